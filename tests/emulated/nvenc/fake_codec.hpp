// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// The real encoders behind the emulated NVENC driver (TEST-ONLY): libx264 for
// H.264 and libx265 for HEVC. Kept apart from fake_nvenc.cpp so x264.h and
// x265.h never meet nvEncodeAPI.h (NVENC 13 and x265 both declare
// MASTERING_DISPLAY_INFO).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fake_nvenc {

/// What the emulated driver was configured with, in plain numbers.
struct CodecSettings {
    bool hevc = false;
    bool ten_bit = false;
    int width = 0;
    int height = 0;
    unsigned fps_num = 0;
    unsigned fps_den = 0;
    int preset = 4; // P1..P7
    enum class Rc { cqp, cbr, vbr } rc = Rc::vbr;
    unsigned qp = 0;
    unsigned average_kbps = 0; // 0 with VBR: constant quality `quality`
    unsigned max_kbps = 0;
    unsigned vbv_kbits = 0;
    unsigned quality = 0;
    int primaries = 2;
    int transfer = 2;
    int matrix = 2;
    int full_range = -1; // -1: not signalled
    int sar_width = 0;
    int sar_height = 0;
    std::string profile; // "baseline", "main", "high", "main10"
};

enum class PictureType { p, i, idr };

/// One encoder emitting exactly one picture per call, without reordering.
class Codec {
public:
    /// Opens libx264 / libx265; NULL with @p error set when refused.
    static std::unique_ptr<Codec> open(const CodecSettings &settings, std::string &error);
    virtual ~Codec() = default;

    /// Annex B parameter sets (SPS/PPS, plus VPS for HEVC).
    virtual const std::vector<uint8_t> &headers() const = 0;

    /// Codes one I420 picture (16-bit samples when ten_bit) of the forced
    /// type. @p was_idr reports what the library really produced.
    virtual bool encode(uint8_t *const planes[3], const int strides[3], int64_t index,
                        PictureType type, std::vector<uint8_t> &out, bool &was_idr,
                        std::string &error) = 0;
};

} // namespace fake_nvenc
