// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/validate.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <set>

namespace vtc::detail {
namespace {

// Index = ABI minor. A later minor that appends to a struct appends its new
// sizeof here; a minor that leaves a struct alone repeats the previous size.
// 1.1 appended to vtc_encoder_caps only, which is sized by the host, not here.
constexpr std::array<uint32_t, 2> descriptor_sizes = {descriptor_size_1_0, descriptor_size_1_0};
constexpr std::array<uint32_t, 2> encoder_info_sizes = {encoder_info_size_1_0,
                                                        encoder_info_size_1_0};
constexpr std::array<uint32_t, 2> encoder_vtbl_sizes = {encoder_vtbl_size_1_0,
                                                        encoder_vtbl_size_1_0};
static_assert(descriptor_sizes.size() == VTC_PLUGIN_ABI_MINOR + 1 &&
                  encoder_info_sizes.size() == VTC_PLUGIN_ABI_MINOR + 1 &&
                  encoder_vtbl_sizes.size() == VTC_PLUGIN_ABI_MINOR + 1,
              "record the struct sizes of the new ABI minor in the tables above");
static_assert(descriptor_sizes.back() == sizeof(vtc_plugin_descriptor) &&
                  encoder_info_sizes.back() == sizeof(vtc_encoder_info) &&
                  encoder_vtbl_sizes.back() == sizeof(vtc_encoder_vtbl),
              "the newest entry of each size table must be the struct's sizeof");

// Strings come from plugin memory: bound every read so garbage without a
// terminator cannot run the host off into unmapped memory.
constexpr size_t max_string_bytes = 255;
constexpr uint32_t max_encoders = 256;

template <size_t N>
uint32_t size_for_minor(const std::array<uint32_t, N> &table, uint32_t minor) noexcept {
    return table[minor < N ? minor : N - 1];
}

Unexpected refuse(std::string reason) {
    return fail(Errc::plugin, "", "", std::move(reason));
}

// Reads a plugin string: nullopt when NULL or empty, the text otherwise
// (truncated strings are reported by the caller through `too_long`).
std::string_view bounded(const char *text, bool &too_long) noexcept {
    too_long = false;
    if (text == nullptr) {
        return {};
    }
    const size_t length = strnlen(text, max_string_bytes + 1);
    if (length > max_string_bytes) {
        too_long = true;
        return {};
    }
    return {text, length};
}

Result<std::string_view> required_string(const char *text, std::string_view what) {
    bool too_long = false;
    const std::string_view value = bounded(text, too_long);
    if (too_long) {
        return refuse(fmt::format("descriptor {} is longer than {} bytes", what, max_string_bytes));
    }
    if (value.empty()) {
        return refuse(fmt::format("descriptor has no {}", what));
    }
    return value;
}

bool is_known_codec(int32_t codec) noexcept {
    return codec == VTC_CODEC_H264 || codec == VTC_CODEC_HEVC || codec == VTC_CODEC_AV1;
}

Result<void> check_size(uint32_t size, uint32_t minimum, uint32_t maximum, uint32_t minor,
                        std::string_view what) {
    if (size < minimum) {
        return refuse(fmt::format("{} struct_size {} is smaller than the ABI 1.0 size ({} bytes)",
                                  what, size, minimum));
    }
    if (size > maximum) {
        return refuse(fmt::format("{} struct_size {} is larger than ABI {}.{} defines ({} bytes)",
                                  what, size, VTC_PLUGIN_ABI_MAJOR, minor, maximum));
    }
    return ok();
}

Result<void> check_vtable(const vtc_encoder_vtbl *vtbl, std::string_view id, uint32_t minor) {
    if (vtbl == nullptr) {
        return refuse(fmt::format("encoder '{}' has no vtable", id));
    }
    if (auto sized =
            check_size(vtbl->struct_size, encoder_vtbl_size_1_0, encoder_vtbl_size_for_minor(minor),
                       minor, fmt::format("encoder '{}': vtable", id));
        !sized) {
        return sized;
    }
    // Every ABI 1.0 member is required (vtc_encoder.h).
    const std::pair<bool, const char *> members[] = {
        {vtbl->query_caps != nullptr, "query_caps"},
        {vtbl->create != nullptr, "create"},
        {vtbl->destroy != nullptr, "destroy"},
        {vtbl->get_extradata != nullptr, "get_extradata"},
        {vtbl->send_frame != nullptr, "send_frame"},
        {vtbl->drain != nullptr, "drain"},
        {vtbl->receive_packet != nullptr, "receive_packet"},
        {vtbl->last_error != nullptr, "last_error"},
    };
    for (const auto &[present, name] : members) {
        if (!present) {
            return refuse(fmt::format("encoder '{}': vtable member {} is NULL", id, name));
        }
    }
    return ok();
}

Result<void> check_encoders(const vtc_plugin_descriptor &d, uint32_t minor,
                            const TakenIds *taken_ids) {
    if (d.encoder_count > max_encoders) {
        return refuse(fmt::format("descriptor lists {} encoders (at most {} are allowed)",
                                  d.encoder_count, max_encoders));
    }
    if (d.encoder_count > 0 && d.encoders == nullptr) {
        return refuse(
            fmt::format("descriptor lists {} encoders but encoders is NULL", d.encoder_count));
    }
    std::set<std::string_view> seen;
    for (uint32_t i = 0; i < d.encoder_count; ++i) {
        const vtc_encoder_info *info = d.encoders[i];
        if (info == nullptr) {
            return refuse(fmt::format("encoder {} is NULL", i));
        }
        if (auto sized = check_size(info->struct_size, encoder_info_size_1_0,
                                    encoder_info_size_for_minor(minor), minor,
                                    fmt::format("encoder {}:", i));
            !sized) {
            return sized;
        }
        bool too_long = false;
        const std::string_view id = bounded(info->id, too_long);
        if (too_long) {
            return refuse(
                fmt::format("encoder {}: id is longer than {} bytes", i, max_string_bytes));
        }
        if (id.empty()) {
            return refuse(fmt::format("encoder {} has no id", i));
        }
        if (!is_valid_encoder_id(id)) {
            return refuse(fmt::format("encoder id '{}' has characters outside [a-z0-9._-]", id));
        }
        if (!is_known_codec(info->codec)) {
            return refuse(fmt::format("encoder '{}': unknown codec {}", id, info->codec));
        }
        bounded(info->description, too_long);
        if (too_long) {
            return refuse(fmt::format("encoder '{}': description is longer than {} bytes", id,
                                      max_string_bytes));
        }
        if (auto vtable = check_vtable(info->vtbl, id, minor); !vtable) {
            return vtable;
        }
        if (!seen.insert(id).second) {
            return refuse(fmt::format("encoder id '{}' appears twice in this plugin", id));
        }
        if (taken_ids != nullptr) {
            if (auto it = taken_ids->find(id); it != taken_ids->end()) {
                return refuse(
                    fmt::format("encoder id '{}' is already provided by {}", id, it->second));
            }
        }
    }
    return ok();
}

} // namespace

uint32_t descriptor_size_for_minor(uint32_t minor) noexcept {
    return size_for_minor(descriptor_sizes, minor);
}
uint32_t encoder_info_size_for_minor(uint32_t minor) noexcept {
    return size_for_minor(encoder_info_sizes, minor);
}
uint32_t encoder_vtbl_size_for_minor(uint32_t minor) noexcept {
    return size_for_minor(encoder_vtbl_sizes, minor);
}

Result<void> validate_descriptor(const vtc_plugin_descriptor *descriptor,
                                 const ValidationContext &context) {
    if (descriptor == nullptr) {
        return refuse("vtc_plugin_entry returned NULL");
    }
    const vtc_plugin_descriptor &d = *descriptor;
    // The 1.0 size covers abi_major/abi_minor, so the version can be read next;
    // the upper bound depends on the plugin's minor, so it comes after it.
    if (d.struct_size < descriptor_size_1_0) {
        return refuse(
            fmt::format("descriptor struct_size {} is smaller than the ABI 1.0 size ({} bytes)",
                        d.struct_size, descriptor_size_1_0));
    }
    if (d.abi_major != context.host_abi.major || d.abi_minor > context.host_abi.minor) {
        return refuse(fmt::format("built for plugin ABI {}.{}, this host supports {}.{}",
                                  d.abi_major, d.abi_minor, context.host_abi.major,
                                  context.host_abi.minor));
    }
    if (auto sized = check_size(d.struct_size, descriptor_size_1_0,
                                descriptor_size_for_minor(d.abi_minor), d.abi_minor, "descriptor");
        !sized) {
        return sized;
    }
    auto name = required_string(d.name, "name");
    if (!name) {
        return Unexpected(name.error());
    }
    if (auto version = required_string(d.version, "version"); !version) {
        return Unexpected(version.error());
    }
    auto license = required_string(d.license, "licence");
    if (!license) {
        return Unexpected(license.error());
    }
    bool too_long = false;
    bounded(d.description, too_long);
    if (too_long) {
        return refuse(
            fmt::format("descriptor description is longer than {} bytes", max_string_bytes));
    }
    for (char c : *name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return refuse(
                fmt::format("descriptor name '{}' has characters outside [a-z0-9_]", *name));
        }
    }
    if (*name != context.expected_name) {
        return refuse(fmt::format("descriptor name '{}' does not match the file name (expected "
                                  "'{}')",
                                  *name, context.expected_name));
    }
    if (!context.allow_gpl && is_gpl_license(*license)) {
        return refuse(
            fmt::format("licence '{}' is GPL and this host does not allow GPL plugins", *license));
    }
    return check_encoders(d, d.abi_minor, context.taken_ids);
}

std::optional<std::string> plugin_name_from_file(const std::filesystem::path &file) {
    const std::string name = file.filename().string();
    constexpr std::string_view prefix = "vtc-";
    constexpr std::string_view suffix = ".so";
    if (name.size() < prefix.size() + suffix.size() ||
        name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return std::nullopt;
    }
    return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

bool is_gpl_license(std::string_view spdx_expression) noexcept {
    // Split on anything that is not part of an SPDX licence id, so "(MIT OR
    // GPL-2.0+)" yields MIT, OR, GPL-2.0+. "LGPL-..." is its own token.
    size_t pos = 0;
    while (pos < spdx_expression.size()) {
        const size_t start = spdx_expression.find_first_not_of(" \t()", pos);
        if (start == std::string_view::npos) {
            break;
        }
        size_t end = spdx_expression.find_first_of(" \t()", start);
        if (end == std::string_view::npos) {
            end = spdx_expression.size();
        }
        const std::string_view token = spdx_expression.substr(start, end - start);
        for (std::string_view family : {"GPL", "AGPL"}) {
            if (token.size() >= family.size() && token.compare(0, family.size(), family) == 0 &&
                (token.size() == family.size() || token[family.size()] == '-' ||
                 token[family.size()] == '+')) {
                return true;
            }
        }
        pos = end;
    }
    return false;
}

bool is_valid_encoder_id(std::string_view id) noexcept {
    if (id.empty()) {
        return false;
    }
    for (char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-')) {
            return false;
        }
    }
    return true;
}

} // namespace vtc::detail
