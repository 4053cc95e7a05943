// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/parameter_sets.hpp"

#include <vtranscode/plugin/vtc_types.h>

namespace vtc::detail {
namespace {

// Position of the next 00 00 01 start code at or after @p from, or size.
size_t find_start_code(std::span<const uint8_t> data, size_t from) {
    for (size_t i = from; i + 2 < data.size(); ++i) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            return i;
        }
    }
    return data.size();
}

bool is_parameter_set(int32_t codec, uint8_t header) {
    if (codec == VTC_CODEC_H264) {
        const int type = header & 0x1f;
        return type == 7 || type == 8;
    }
    const int type = (header >> 1) & 0x3f; // HEVC
    return type == 32 || type == 33 || type == 34;
}

} // namespace

std::vector<uint8_t> strip_parameter_sets(int32_t vtc_codec, std::span<const uint8_t> access_unit) {
    std::vector<uint8_t> out;
    if (vtc_codec != VTC_CODEC_H264 && vtc_codec != VTC_CODEC_HEVC) {
        return {access_unit.begin(), access_unit.end()};
    }
    size_t start = find_start_code(access_unit, 0);
    if (start == access_unit.size()) {
        return {access_unit.begin(), access_unit.end()}; // not Annex B
    }
    out.reserve(access_unit.size());
    while (start < access_unit.size()) {
        const size_t payload = start + 3;
        size_t next = find_start_code(access_unit, payload);
        // A 4-byte start code's leading zero belongs to the next NAL unit.
        size_t end = next;
        if (next < access_unit.size() && next > payload && access_unit[next - 1] == 0) {
            end = next - 1;
        }
        if (payload < access_unit.size() && !is_parameter_set(vtc_codec, access_unit[payload])) {
            static constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
            out.insert(out.end(), std::begin(kStartCode), std::end(kStartCode));
            out.insert(out.end(), access_unit.begin() + static_cast<ptrdiff_t>(payload),
                       access_unit.begin() + static_cast<ptrdiff_t>(end));
        }
        start = next;
    }
    return out;
}

} // namespace vtc::detail
