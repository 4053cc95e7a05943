// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Picture geometry: rotating decoded frames upright, and scaling/converting
// them to what one rendition's encoder takes.
#pragma once

#include "util/ffmpeg.hpp"

#include <vtranscode/result.hpp>

namespace vtc::detail {

/// Output size of a rung: @p target_height and the width FFmpeg's `scale=-2:H`
/// gives (the source aspect in pixels, rounded to the nearest even number).
/// Never larger than the source; odd sources are rounded down to even.
struct FrameSize {
    int width = 0;
    int height = 0;
};
FrameSize rendition_size(int source_width, int source_height, int target_height);

/// Rotates decoded pictures clockwise by 90, 180 or 270 degrees, once, in the
/// source stage, so that every rendition and the thumbnail are upright.
class Rotator {
public:
    explicit Rotator(int degrees_clockwise) : degrees_(degrees_clockwise) {}
    /// Returns a new frame holding the rotated picture (timestamps and colour
    /// properties copied). Formats whose chroma is subsampled differently
    /// horizontally and vertically (4:2:2) are converted to 4:2:0 first.
    Result<FramePtr> rotate(const AVFrame &in);

private:
    int degrees_;
    SwsPtr converter_;
};

/// Scales and converts frames to one output size and pixel format with
/// swscale's bicubic filter (what FFmpeg's `scale` filter uses by default, so
/// quality matches the ffmpeg CLI at the same settings). Re-initialises when the
/// input geometry changes mid-stream.
class Scaler {
public:
    Scaler(int out_width, int out_height, AVPixelFormat out_format);

    /// Returns a frame in the output geometry: @p in itself when it already
    /// matches (no copy), otherwise an internal buffer valid until the next call.
    Result<const AVFrame *> scale(const AVFrame &in);

private:
    int out_width_;
    int out_height_;
    AVPixelFormat out_format_;
    SwsPtr context_;
    int in_width_ = 0;
    int in_height_ = 0;
    int in_format_ = -1;
    int in_range_ = -1;
    FramePtr out_;
};

} // namespace vtc::detail
