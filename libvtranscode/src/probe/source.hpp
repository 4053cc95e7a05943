// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Opening a source: container and stream headers, the streams the engine uses,
// and the facts (SourceInfo) every later stage relies on.
#pragma once

#include "util/ffmpeg.hpp"

#include <vtranscode/engine.hpp>
#include <vtranscode/result.hpp>

#include <filesystem>

namespace vtc::detail {

/// An opened source: the demuxer plus the chosen streams.
struct OpenedSource {
    FormatInputPtr format;
    int video_stream = -1; ///< index of the first real video stream (not cover art)
    int audio_stream = -1; ///< index of the first audio stream, or -1
    SourceInfo info;
};

/// Opens @p path, reads stream info and validates what the engine needs: a
/// decodable video stream and a finite, positive duration of at most 7 days.
/// Errors (stage "probe"): not_found, corrupt_input, unsupported.
Result<OpenedSource> open_source(const std::filesystem::path &path);

} // namespace vtc::detail
