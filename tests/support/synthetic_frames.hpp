// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Test support: synthetic pictures (a moving gradient with a bouncing box) in the
// ABI's pixel formats, so encoder tests need no media files.
#pragma once

#include <vtranscode/plugin/vtc_types.h>

#include <cstdint>
#include <vector>

namespace vtc::test {

/// Owns the pixels of one synthetic picture and a vtc_frame pointing at them.
class SyntheticFrame {
public:
    /// @p pixel_format: VTC_PIXEL_FORMAT_I420, _NV12, _I420_10 or _P010.
    SyntheticFrame(int32_t pixel_format, uint32_t width, uint32_t height);

    /// Draws picture number @p index (content changes every frame) and stamps
    /// it with @p pts and @p flags. The returned frame stays valid until the
    /// next fill() or the object's destruction.
    const vtc_frame &fill(int64_t index, int64_t pts, uint32_t flags = 0);

private:
    int32_t pixel_format_;
    uint32_t width_;
    uint32_t height_;
    std::vector<uint8_t> planes_[3];
    vtc_frame frame_{};
};

} // namespace vtc::test
