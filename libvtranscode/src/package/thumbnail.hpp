// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// thumbnail.jpg: one upright source frame, 640 px wide, as VLog shows it.
#pragma once

#include "util/ffmpeg.hpp"

#include <vtranscode/result.hpp>

#include <filesystem>

namespace vtc::detail {

inline constexpr int kThumbnailWidth = 640;

/// When to take the thumbnail: min(5 s, duration / 4), VLog's rule.
double thumbnail_time_seconds(double duration_seconds);

/// Scales @p frame to 640 px wide (height from the display aspect ratio) and
/// writes it as a JPEG to @p path (atomically: temp file, then rename).
Result<void> write_thumbnail(const AVFrame &frame, const std::filesystem::path &path);

} // namespace vtc::detail
