// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/candidates.hpp"

#include <algorithm>
#include <tuple>

namespace vtc::detail {
namespace {

bool has_bit(uint64_t bits, int32_t index) {
    return index >= 0 && index < 64 && (bits & VTC_BIT(index)) != 0;
}

bool fits_dimension(uint32_t value, uint32_t minimum, uint32_t maximum, uint32_t alignment) {
    if (value == 0) {
        return true;
    }
    const uint32_t step = alignment == 0 ? 1 : alignment;
    return value >= minimum && value <= maximum && value % step == 0;
}

enum class Match { none, by_kind, by_name };

Match matches(const EncoderInfo &encoder, const std::string &entry) {
    if (entry == encoder.id || entry == encoder.plugin) {
        return Match::by_name;
    }
    if ((entry == "hardware" && encoder.is_hardware()) ||
        (entry == "software" && !encoder.is_hardware())) {
        return Match::by_kind;
    }
    return Match::none;
}

} // namespace

bool meets_requirements(const EncoderInfo &encoder, const EncoderRequirements &requirements) {
    if (!encoder.available) {
        return false;
    }
    const vtc_encoder_caps &caps = encoder.caps;
    if (requirements.codec != VTC_CODEC_UNSET && requirements.codec != encoder.codec) {
        return false;
    }
    if (!fits_dimension(requirements.width, caps.min_width, caps.max_width, caps.size_alignment) ||
        !fits_dimension(requirements.height, caps.min_height, caps.max_height,
                        caps.size_alignment)) {
        return false;
    }
    if (requirements.pixel_format != VTC_PIXEL_FORMAT_UNSET &&
        !has_bit(caps.pixel_formats, requirements.pixel_format)) {
        return false;
    }
    if (requirements.memory_type != VTC_MEMORY_UNSET &&
        !has_bit(caps.memory_types, requirements.memory_type)) {
        return false;
    }
    if (requirements.rate_control != VTC_RATE_CONTROL_UNSET &&
        !has_bit(caps.rate_control_modes, requirements.rate_control)) {
        return false;
    }
    if (requirements.forced_keyframes && (caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) == 0) {
        return false;
    }
    if (requirements.bit_depth != 0) {
        // VTC_BIT_DEPTH_8/10/12 are bits 0/1/2.
        const uint32_t depth = requirements.bit_depth;
        const int32_t bit = depth == 8 ? 0 : depth == 10 ? 1 : depth == 12 ? 2 : -1;
        if (!has_bit(caps.bit_depths, bit)) {
            return false;
        }
    }
    return true;
}

std::vector<EncoderInfo> select_candidates(const std::vector<EncoderInfo> &encoders,
                                           const EncoderRequirements &requirements,
                                           const std::vector<std::string> &preference) {
    struct Ranked {
        size_t group; // index of the first preference entry it matches; size() = none
        const EncoderInfo *encoder;
    };
    std::vector<Ranked> ranked;
    for (const EncoderInfo &encoder : encoders) {
        if (!meets_requirements(encoder, requirements)) {
            continue;
        }
        size_t group = preference.size();
        bool named = false;
        for (size_t i = 0; i < preference.size(); ++i) {
            const Match match = matches(encoder, preference[i]);
            if (match == Match::by_name) {
                named = true;
            }
            if (match != Match::none && group == preference.size()) {
                group = i;
            }
        }
        // Rank 0: the operator (or plugin) said "only when asked for by name".
        if (encoder.rank <= 0 && !named) {
            continue;
        }
        ranked.push_back({group, &encoder});
    }
    std::sort(ranked.begin(), ranked.end(), [](const Ranked &a, const Ranked &b) {
        return std::make_tuple(a.group, -static_cast<int64_t>(a.encoder->rank),
                               std::string_view(a.encoder->id)) <
               std::make_tuple(b.group, -static_cast<int64_t>(b.encoder->rank),
                               std::string_view(b.encoder->id));
    });
    std::vector<EncoderInfo> result;
    result.reserve(ranked.size());
    for (const Ranked &entry : ranked) {
        result.push_back(*entry.encoder);
    }
    return result;
}

} // namespace vtc::detail
