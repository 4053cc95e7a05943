// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// What the hardware plugins (NVENC, VA-API, QSV) share: every GPU encoder takes
// NV12 or P010 input, while the engine hands over I420 / I420_10 (and may hand
// over NV12 / P010). Header-only and internal to this tree: it is compiled into
// each plugin module, never installed, and nothing in it crosses the ABI.
#pragma once

#include <vtranscode/plugin/vtc_encoder.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vtc::plugins {

/// "H.264", "HEVC" or "AV1", for error texts.
inline const char *codec_label(int32_t codec) noexcept {
    switch (codec) {
    case VTC_CODEC_H264:
        return "H.264";
    case VTC_CODEC_HEVC:
        return "HEVC";
    default:
        return "AV1";
    }
}

/// The two planes of an NV12 (8-bit) or P010 (10-bit) picture the device lent.
struct SemiPlanarPicture {
    uint8_t *luma = nullptr;
    std::ptrdiff_t luma_pitch = 0; ///< bytes from one row to the next
    uint8_t *chroma = nullptr;     ///< interleaved Cb, Cr
    std::ptrdiff_t chroma_pitch = 0;
};

/// Copies a system-memory frame of @p width x @p height into @p dst, which is
/// NV12 for 8-bit formats and P010 for 10-bit ones: I420's separate chroma
/// planes are interleaved, and I420_10's low-bit samples move to P010's high
/// bits. @p pixel_format is the frame's (I420, NV12, I420_10 or P010), already
/// checked against the config (vtc::sdk::check_frame_planes).
inline void copy_to_semiplanar(const vtc_frame &frame, int32_t pixel_format, uint32_t width,
                               uint32_t height, const SemiPlanarPicture &dst) noexcept {
    const bool ten_bit =
        pixel_format == VTC_PIXEL_FORMAT_I420_10 || pixel_format == VTC_PIXEL_FORMAT_P010;
    const size_t sample_bytes = ten_bit ? 2 : 1;
    const uint32_t chroma_width = (width + 1) / 2;
    const uint32_t chroma_height = (height + 1) / 2;
    auto src_row = [&frame](int plane, uint32_t row) {
        return frame.planes[plane] + static_cast<std::ptrdiff_t>(row) * frame.strides[plane];
    };
    // I420_10 keeps its 10 bits low in 16, P010 high.
    auto high_bits = [](const uint8_t *src, size_t index) {
        uint16_t value;
        std::memcpy(&value, src + 2 * index, 2);
        return static_cast<uint16_t>((value & 0x3ffu) << 6);
    };

    for (uint32_t row = 0; row < height; ++row) {
        uint8_t *out = dst.luma + dst.luma_pitch * row;
        if (pixel_format == VTC_PIXEL_FORMAT_I420_10) {
            for (uint32_t x = 0; x < width; ++x) {
                const uint16_t value = high_bits(src_row(0, row), x);
                std::memcpy(out + 2 * size_t{x}, &value, 2);
            }
        } else {
            std::memcpy(out, src_row(0, row), width * sample_bytes);
        }
    }
    for (uint32_t row = 0; row < chroma_height; ++row) {
        uint8_t *out = dst.chroma + dst.chroma_pitch * row;
        switch (pixel_format) {
        case VTC_PIXEL_FORMAT_NV12:
        case VTC_PIXEL_FORMAT_P010:
            std::memcpy(out, src_row(1, row), size_t{chroma_width} * 2 * sample_bytes);
            break;
        case VTC_PIXEL_FORMAT_I420: {
            const uint8_t *u = src_row(1, row);
            const uint8_t *v = src_row(2, row);
            for (uint32_t x = 0; x < chroma_width; ++x) {
                out[2 * x] = u[x];
                out[2 * x + 1] = v[x];
            }
            break;
        }
        default: { // I420_10
            const uint8_t *u = src_row(1, row);
            const uint8_t *v = src_row(2, row);
            for (uint32_t x = 0; x < chroma_width; ++x) {
                const uint16_t cb = high_bits(u, x);
                const uint16_t cr = high_bits(v, x);
                std::memcpy(out + 4 * size_t{x}, &cb, 2);
                std::memcpy(out + 4 * size_t{x} + 2, &cr, 2);
            }
            break;
        }
        }
    }
}

} // namespace vtc::plugins
