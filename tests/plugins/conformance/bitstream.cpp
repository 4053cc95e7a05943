// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "bitstream.hpp"

#include <vtranscode/plugin/vtc_types.h>

#include <optional>
#include <set>

namespace vtc::conformance {
namespace {

struct Unit {
    int type = -1;
    size_t begin = 0; // first byte kept when copying (start code or OBU header)
    size_t end = 0;
};

// Annex B: NAL units behind 00 00 01 or 00 00 00 01 start codes.
std::vector<Unit> annexb_units(int codec, const std::vector<uint8_t> &data) {
    std::vector<size_t> starts; // offsets of the start codes
    for (size_t i = 0; i + 3 <= data.size(); ++i) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            starts.push_back(i > 0 && data[i - 1] == 0 ? i - 1 : i);
            i += 2;
        }
    }
    std::vector<Unit> units;
    for (size_t n = 0; n < starts.size(); ++n) {
        Unit unit;
        unit.begin = starts[n];
        unit.end = n + 1 < starts.size() ? starts[n + 1] : data.size();
        size_t header = unit.begin + (data[unit.begin + 2] == 1 ? 3 : 4);
        if (header < unit.end) {
            unit.type = codec == VTC_CODEC_H264 ? data[header] & 0x1f : (data[header] >> 1) & 0x3f;
        }
        units.push_back(unit);
    }
    return units;
}

// AV1 low-overhead format (AV1 spec §5.3); nullopt when malformed.
std::optional<std::vector<Unit>> obu_units(const std::vector<uint8_t> &data) {
    std::vector<Unit> units;
    size_t pos = 0;
    while (pos < data.size()) {
        const uint8_t header = data[pos];
        size_t at = pos + 1 + ((header & 0x04) != 0 ? 1 : 0);
        uint64_t payload = 0;
        if ((header & 0x02) != 0) {
            for (int shift = 0;; shift += 7) {
                if (at >= data.size() || shift > 56) {
                    return std::nullopt;
                }
                const uint8_t byte = data[at++];
                payload |= uint64_t{byte & 0x7fu} << shift;
                if ((byte & 0x80) == 0) {
                    break;
                }
            }
        } else {
            payload = data.size() - at;
        }
        if (at > data.size() || payload > data.size() - at) {
            return std::nullopt;
        }
        units.push_back({(header >> 3) & 0x0f, pos, at + static_cast<size_t>(payload)});
        pos = at + static_cast<size_t>(payload);
    }
    return units;
}

constexpr int av1_sequence_header_obu = 1;

std::set<int> parameter_set_types(int codec) {
    switch (codec) {
    case VTC_CODEC_H264:
        return {7, 8}; // SPS, PPS
    case VTC_CODEC_HEVC:
        return {32, 33, 34}; // VPS, SPS, PPS
    default:
        return {};
    }
}

} // namespace

bool has_parameter_sets(int codec, const std::vector<uint8_t> &data) {
    if (codec == VTC_CODEC_AV1) {
        return !av1_sequence_header(data).empty();
    }
    std::set<int> missing = parameter_set_types(codec);
    for (const Unit &unit : annexb_units(codec, data)) {
        missing.erase(unit.type);
    }
    return missing.empty();
}

std::vector<uint8_t> strip_parameter_sets(int codec, const std::vector<uint8_t> &data) {
    if (codec == VTC_CODEC_AV1) {
        return data;
    }
    const std::set<int> drop = parameter_set_types(codec);
    std::vector<uint8_t> kept;
    for (const Unit &unit : annexb_units(codec, data)) {
        if (drop.count(unit.type) == 0) {
            kept.insert(kept.end(), data.begin() + static_cast<std::ptrdiff_t>(unit.begin),
                        data.begin() + static_cast<std::ptrdiff_t>(unit.end));
        }
    }
    return kept;
}

std::vector<uint8_t> av1_sequence_header(const std::vector<uint8_t> &data) {
    const auto units = obu_units(data);
    if (units) {
        for (const Unit &unit : *units) {
            if (unit.type == av1_sequence_header_obu) {
                return {data.begin() + static_cast<std::ptrdiff_t>(unit.begin),
                        data.begin() + static_cast<std::ptrdiff_t>(unit.end)};
            }
        }
    }
    return {};
}

bool is_single_av1_sequence_header(const std::vector<uint8_t> &data) {
    const auto units = obu_units(data);
    return units && units->size() == 1 && units->front().type == av1_sequence_header_obu;
}

} // namespace vtc::conformance
