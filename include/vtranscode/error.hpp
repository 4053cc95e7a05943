// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file error.hpp
/// @brief vtc::Error: the one error type of the C++ API.
#pragma once

#include "export.hpp"

#include <string>
#include <string_view>

namespace vtc {

/// What went wrong, coarsely; enough for a caller to decide what to do next.
/// The numeric values are not part of any ABI.
enum class Errc {
    invalid_argument = 1, ///< the caller asked for something impossible
    unsupported,          ///< valid, but nothing here can do it (codec, format, option)
    no_memory,            ///< an allocation failed
    no_device,            ///< the hardware or driver is missing
    device_busy,          ///< no free encoder session
    device_lost,          ///< the device failed during use
    cancelled,            ///< the caller's cancellation token fired
    invalid_state,        ///< a call out of order
    not_found,            ///< a file, plugin or stream that should exist does not
    io,                   ///< reading or writing a file failed
    corrupt_input,        ///< the source media cannot be parsed or decoded
    plugin,               ///< a plugin misbehaved (refused at load, broke the contract)
    timeout,              ///< something took longer than allowed
    network,              ///< a connection failed (worker host)
    protocol,             ///< a peer answered something the contract does not allow
    internal,             ///< a bug or an unexpected failure inside vtranscode
};

/// Stable lower-case name of an Errc ("no_device").
VTC_API std::string_view errc_name(Errc code) noexcept;

/// One failure: what kind, in which stage, about which file, and why.
///
/// `to_string()` renders it as one line, "stage: file: message", leaving out
/// the empty parts, which is the form every CLI and log line uses.
struct VTC_API Error {
    Errc code = Errc::internal;
    std::string stage;   ///< "probe", "decode", "encode", "package", "plugin", ...
    std::string file;    ///< the file or plugin concerned; empty when none
    std::string message; ///< the cause, in words, without a trailing period

    std::string to_string() const;
};

/// Builds an Error; reads well in `return make_error(...)`.
VTC_API Error make_error(Errc code, std::string stage, std::string file, std::string message);

} // namespace vtc
