// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "synthetic_frames.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace vtc::test {
namespace {

uint32_t chroma(uint32_t luma_size) { return (luma_size + 1) / 2; }

void put_sample(uint8_t *row, uint32_t x, uint32_t value, bool is_16bit, bool msb_aligned) {
    if (!is_16bit) {
        row[x] = static_cast<uint8_t>(value);
        return;
    }
    // value is on a 10-bit scale; P010 keeps it in the high bits.
    const uint16_t sample = static_cast<uint16_t>(msb_aligned ? value << 6 : value);
    std::memcpy(row + 2 * x, &sample, 2);
}

} // namespace

SyntheticFrame::SyntheticFrame(int32_t pixel_format, uint32_t width, uint32_t height)
    : pixel_format_(pixel_format), width_(width), height_(height) {
    const bool is_16bit =
        pixel_format == VTC_PIXEL_FORMAT_I420_10 || pixel_format == VTC_PIXEL_FORMAT_P010;
    const uint32_t bytes = is_16bit ? 2 : 1;
    const uint32_t cw = chroma(width), ch = chroma(height);
    frame_.struct_size = sizeof(frame_);
    frame_.pixel_format = pixel_format;
    frame_.width = width;
    frame_.height = height;
    frame_.memory_type = VTC_MEMORY_SYSTEM;
    planes_[0].resize(size_t{width} * height * bytes);
    frame_.strides[0] = static_cast<int32_t>(width * bytes);
    switch (pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
    case VTC_PIXEL_FORMAT_I420_10:
        planes_[1].resize(size_t{cw} * ch * bytes);
        planes_[2].resize(size_t{cw} * ch * bytes);
        frame_.strides[1] = frame_.strides[2] = static_cast<int32_t>(cw * bytes);
        break;
    case VTC_PIXEL_FORMAT_NV12:
    case VTC_PIXEL_FORMAT_P010:
        planes_[1].resize(size_t{cw} * 2 * ch * bytes);
        frame_.strides[1] = static_cast<int32_t>(cw * 2 * bytes);
        break;
    default:
        throw std::invalid_argument("SyntheticFrame: unknown pixel format");
    }
    for (int i = 0; i < 3; ++i) {
        frame_.planes[i] = planes_[i].empty() ? nullptr : planes_[i].data();
    }
}

const vtc_frame &SyntheticFrame::fill(int64_t index, int64_t pts, uint32_t flags) {
    const bool is_16bit =
        pixel_format_ == VTC_PIXEL_FORMAT_I420_10 || pixel_format_ == VTC_PIXEL_FORMAT_P010;
    const bool msb = pixel_format_ == VTC_PIXEL_FORMAT_P010;
    const bool interleaved =
        pixel_format_ == VTC_PIXEL_FORMAT_NV12 || pixel_format_ == VTC_PIXEL_FORMAT_P010;
    const uint32_t scale = is_16bit ? 4 : 1; // 8-bit values mapped to the 10-bit range
    const auto t = static_cast<uint32_t>(index);
    const uint32_t box = std::max<uint32_t>(8, width_ / 6);
    const uint32_t box_x = (t * 7) % (width_ > box ? width_ - box : 1);
    const uint32_t box_y = (t * 3) % (height_ > box ? height_ - box : 1);

    for (uint32_t y = 0; y < height_; ++y) {
        uint8_t *row = planes_[0].data() + size_t{y} * static_cast<uint32_t>(frame_.strides[0]);
        for (uint32_t x = 0; x < width_; ++x) {
            const bool in_box = x >= box_x && x < box_x + box && y >= box_y && y < box_y + box;
            const uint32_t luma = in_box ? 235 : 16 + ((x + y + t * 2) % 200);
            put_sample(row, x, luma * scale, is_16bit, msb);
        }
    }
    const uint32_t cw = chroma(width_), ch = chroma(height_);
    for (uint32_t y = 0; y < ch; ++y) {
        for (uint32_t x = 0; x < cw; ++x) {
            const uint32_t u = (64 + x * 2 + t) % 224 + 16;
            const uint32_t v = (96 + y * 2 + t * 3) % 224 + 16;
            if (interleaved) {
                uint8_t *row =
                    planes_[1].data() + size_t{y} * static_cast<uint32_t>(frame_.strides[1]);
                put_sample(row, 2 * x, u * scale, is_16bit, msb);
                put_sample(row, 2 * x + 1, v * scale, is_16bit, msb);
            } else {
                put_sample(planes_[1].data() + size_t{y} * static_cast<uint32_t>(frame_.strides[1]),
                           x, u * scale, is_16bit, msb);
                put_sample(planes_[2].data() + size_t{y} * static_cast<uint32_t>(frame_.strides[2]),
                           x, v * scale, is_16bit, msb);
            }
        }
    }
    frame_.pts = pts;
    frame_.duration = 0;
    frame_.flags = flags;
    return frame_;
}

} // namespace vtc::test
