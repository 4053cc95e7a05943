// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/caps.hpp"

#include <vtranscode/encoder_registry.hpp>

#include "plugin/validate.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <utility>

namespace vtc::detail {
namespace {

template <class Bits, size_t N>
std::vector<std::string> names_of(Bits bits,
                                  const std::array<std::pair<unsigned, const char *>, N> &table) {
    std::vector<std::string> names;
    Bits known = 0;
    for (const auto &[bit, name] : table) {
        known |= static_cast<Bits>(VTC_BIT(bit));
        if ((bits & static_cast<Bits>(VTC_BIT(bit))) != 0) {
            names.emplace_back(name);
        }
    }
    // Bits from a newer minor are shown, not hidden.
    for (unsigned bit = 0; bit < sizeof(Bits) * 8; ++bit) {
        const auto mask = static_cast<Bits>(VTC_BIT(bit));
        if ((bits & mask) != 0 && (known & mask) == 0) {
            names.push_back(fmt::format("bit{}", bit));
        }
    }
    return names;
}

std::string joined(const std::vector<std::string> &names, std::string_view empty,
                   std::string_view separator = ",") {
    if (names.empty()) {
        return std::string(empty);
    }
    return fmt::format("{}", fmt::join(names, separator));
}

// Length of the valid UTF-8 sequence starting at text[0] (at most `left` bytes),
// or 0 when it is not one: overlong forms, surrogates and values past U+10FFFF
// count as invalid, as JSON encoders treat them.
size_t utf8_sequence_length(const unsigned char *text, size_t left) noexcept {
    const unsigned char lead = text[0];
    size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2;
        code_point = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        code_point = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        code_point = lead & 0x07u;
    } else {
        return 0;
    }
    if (length > left) {
        return 0;
    }
    for (size_t i = 1; i < length; ++i) {
        if ((text[i] & 0xC0) != 0x80) {
            return 0;
        }
        code_point = (code_point << 6) | (text[i] & 0x3Fu);
    }
    static constexpr uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return 0;
    }
    return length;
}

// Plugin text goes to dashboards, logs and the server's JSON: control characters
// become spaces and bytes that are not UTF-8 become '?', in place.
template <size_t N>
void scrub_text(char (&text)[N]) noexcept {
    auto *bytes = reinterpret_cast<unsigned char *>(text);
    const size_t length = strnlen(text, N);
    for (size_t i = 0; i < length;) {
        if (bytes[i] < 0x20 || bytes[i] == 0x7F) {
            bytes[i++] = ' ';
            continue;
        }
        const size_t sequence = utf8_sequence_length(bytes + i, length - i);
        if (sequence == 0) {
            bytes[i++] = '?';
            continue;
        }
        i += sequence;
    }
}

} // namespace

CapsOutcome query_encoder_caps(const vtc_encoder_info &info, const vtc_host *host) {
    CapsOutcome outcome;
    vtc_encoder_caps caps{};
    caps.struct_size = sizeof(caps);
    std::array<char, 512> error_buf{};
    const vtc_status status = info.vtbl->query_caps(host, &caps, error_buf.data(),
                                                    static_cast<uint32_t>(error_buf.size()));
    error_buf.back() = '\0';
    if (status != VTC_OK) {
        outcome.status = status < 0 ? status : VTC_ERR_INTERNAL;
        outcome.reason = error_buf.data();
        if (status > 0) {
            outcome.reason = fmt::format("query_caps returned the flow state {} instead of a "
                                         "result",
                                         vtc_status_name(status));
        } else if (outcome.reason.empty()) {
            outcome.reason = "query_caps gave no reason";
        }
        return outcome;
    }
    if (caps.struct_size > sizeof(caps) || caps.struct_size < encoder_caps_size_1_0) {
        outcome.reason = fmt::format("query_caps broke the contract: it reported struct_size {} "
                                     "(expected {}..{})",
                                     caps.struct_size, encoder_caps_size_1_0, sizeof(caps));
        return outcome;
    }
    if (caps.codec != info.codec) {
        outcome.reason = fmt::format("query_caps broke the contract: it reported codec {} but the "
                                     "descriptor says {}",
                                     codec_name(caps.codec), codec_name(info.codec));
        return outcome;
    }
    // The name is plugin text shown on dashboards and sent to the server: keep it
    // terminated and printable whatever the plugin wrote, and empty when a 1.0
    // plugin (or a struct_size between two ABI sizes) did not fill it.
    if (VTC_HAS_FIELD(&caps, vtc_encoder_caps, device_name)) {
        caps.device_name[sizeof(caps.device_name) - 1] = '\0';
        scrub_text(caps.device_name);
    } else {
        std::memset(caps.device_name, 0, sizeof(caps.device_name));
    }
    outcome.status = VTC_OK;
    outcome.caps = caps;
    return outcome;
}

std::vector<std::string> profile_names(uint32_t profiles) {
    static constexpr std::array<std::pair<unsigned, const char *>, 7> table = {{
        {VTC_PROFILE_H264_BASELINE, "h264-baseline"},
        {VTC_PROFILE_H264_MAIN, "h264-main"},
        {VTC_PROFILE_H264_HIGH, "h264-high"},
        {VTC_PROFILE_H264_HIGH10, "h264-high10"},
        {VTC_PROFILE_HEVC_MAIN, "hevc-main"},
        {VTC_PROFILE_HEVC_MAIN10, "hevc-main10"},
        {VTC_PROFILE_AV1_MAIN, "av1-main"},
    }};
    return names_of(profiles, table);
}

std::vector<std::string> bit_depth_names(uint32_t bit_depths) {
    static constexpr std::array<std::pair<unsigned, const char *>, 3> table = {{
        {0, "8"},
        {1, "10"},
        {2, "12"},
    }};
    return names_of(bit_depths, table);
}

std::vector<std::string> pixel_format_names(uint64_t pixel_formats) {
    static constexpr std::array<std::pair<unsigned, const char *>, 4> table = {{
        {VTC_PIXEL_FORMAT_I420, "i420"},
        {VTC_PIXEL_FORMAT_NV12, "nv12"},
        {VTC_PIXEL_FORMAT_I420_10, "i420-10"},
        {VTC_PIXEL_FORMAT_P010, "p010"},
    }};
    return names_of(pixel_formats, table);
}

std::vector<std::string> memory_type_names(uint32_t memory_types) {
    static constexpr std::array<std::pair<unsigned, const char *>, 3> table = {{
        {VTC_MEMORY_SYSTEM, "system"},
        {VTC_MEMORY_CUDA, "cuda"},
        {VTC_MEMORY_VA_SURFACE, "va-surface"},
    }};
    return names_of(memory_types, table);
}

std::vector<std::string> rate_control_names(uint32_t rate_control_modes) {
    static constexpr std::array<std::pair<unsigned, const char *>, 5> table = {{
        {VTC_RATE_CONTROL_CQP, "cqp"},
        {VTC_RATE_CONTROL_CRF, "crf"},
        {VTC_RATE_CONTROL_CAPPED_CRF, "capped-crf"},
        {VTC_RATE_CONTROL_VBR, "vbr"},
        {VTC_RATE_CONTROL_CBR, "cbr"},
    }};
    return names_of(rate_control_modes, table);
}

std::vector<std::string> caps_flag_names(uint64_t flags) {
    static constexpr std::array<std::pair<unsigned, const char *>, 6> table = {{
        {0, "forced-keyframe"},
        {1, "b-frames"},
        {2, "extradata"},
        {3, "closed-gop"},
        {4, "hardware"},
        {5, "threads"},
    }};
    static_assert(
        VTC_ENCODER_CAP_FORCED_KEYFRAME == VTC_BIT(0) && VTC_ENCODER_CAP_B_FRAMES == VTC_BIT(1) &&
        VTC_ENCODER_CAP_EXTRADATA == VTC_BIT(2) && VTC_ENCODER_CAP_CLOSED_GOP == VTC_BIT(3) &&
        VTC_ENCODER_CAP_HARDWARE == VTC_BIT(4) && VTC_ENCODER_CAP_THREADS == VTC_BIT(5));
    return names_of(flags, table);
}

std::string caps_summary(const vtc_encoder_caps &caps) {
    return fmt::format("{}-bit {} {} {}x{}..{}x{} {} {}",
                       joined(bit_depth_names(caps.bit_depths), "?", "/"),
                       joined(pixel_format_names(caps.pixel_formats), "no-formats"),
                       joined(memory_type_names(caps.memory_types), "no-memory"), caps.min_width,
                       caps.min_height, caps.max_width, caps.max_height,
                       joined(rate_control_names(caps.rate_control_modes), "no-rate-control"),
                       joined(caps_flag_names(caps.flags), "-"));
}

} // namespace vtc::detail

namespace vtc {

std::string_view codec_name(int32_t vtc_codec) noexcept {
    switch (vtc_codec) {
    case VTC_CODEC_H264:
        return "h264";
    case VTC_CODEC_HEVC:
        return "hevc";
    case VTC_CODEC_AV1:
        return "av1";
    default:
        return "unknown";
    }
}

} // namespace vtc
