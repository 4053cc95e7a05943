// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Validation of a plugin descriptor, as documented on struct
// vtc_plugin_descriptor. A pure function of its inputs (the host's ABI version
// is a parameter), so tests can run it as a host of a later minor.
#pragma once

#include <vtranscode/plugin/vtc_plugin.h>
#include <vtranscode/result.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vtc::detail {

struct AbiVersion {
    uint32_t major = 0;
    uint32_t minor = 0;
};

/// The ABI this host was compiled against.
inline constexpr AbiVersion host_abi_version{VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR};

/// Size of each ABI struct in ABI 1.0: up to and including its last 1.0 member.
/// These never change, whatever is appended later.
inline constexpr uint32_t descriptor_size_1_0 =
    offsetof(vtc_plugin_descriptor, _pad0) + sizeof(uint32_t);
inline constexpr uint32_t encoder_info_size_1_0 =
    offsetof(vtc_encoder_info, _pad0) + sizeof(uint32_t);
inline constexpr uint32_t encoder_vtbl_size_1_0 =
    offsetof(vtc_encoder_vtbl, last_error) + sizeof(void *);
inline constexpr uint32_t encoder_caps_size_1_0 =
    offsetof(vtc_encoder_caps, flags) + sizeof(uint64_t);

/// Largest struct_size a plugin built for 1.@p minor may report for each
/// struct. A minor newer than this host's compiled one is refused before these
/// are consulted; a test host of a later minor gets the latest sizes known.
uint32_t descriptor_size_for_minor(uint32_t minor) noexcept;
uint32_t encoder_info_size_for_minor(uint32_t minor) noexcept;
uint32_t encoder_vtbl_size_for_minor(uint32_t minor) noexcept;

/// Encoder ids already taken by loaded plugins: id -> file that provides it.
using TakenIds = std::map<std::string, std::string, std::less<>>;

struct ValidationContext {
    AbiVersion host_abi = host_abi_version;
    /// The name the file implies ("x264" for vtc-x264.so).
    std::string expected_name;
    bool allow_gpl = false;
    /// May be null (nothing taken yet).
    const TakenIds *taken_ids = nullptr;
};

/// Checks @p descriptor against the ABI contract, in the documented order.
/// @return ok, or an Error (Errc::plugin) whose message is the one-line reason,
///         without the file name ("built for plugin ABI 2.0, this host supports 1.1").
/// Reads only through pointers it has already checked for NULL, and never
/// reads a struct past the struct_size its producer declared.
Result<void> validate_descriptor(const vtc_plugin_descriptor *descriptor,
                                 const ValidationContext &context);

/// "x264" for ".../vtc-x264.so"; nullopt when the file name is not vtc-*.so.
std::optional<std::string> plugin_name_from_file(const std::filesystem::path &file);

/// True when an SPDX licence expression mentions a GPL or AGPL licence (not
/// LGPL). Conservative: "MIT OR GPL-2.0-only" counts as GPL.
bool is_gpl_license(std::string_view spdx_expression) noexcept;

/// True for a non-empty id made only of [a-z0-9._-].
bool is_valid_encoder_id(std::string_view id) noexcept;

} // namespace vtc::detail
