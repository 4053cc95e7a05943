// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// FFmpeg logs through one process-wide callback. The engine points it at its
// own Logger (component "ffmpeg") so libav* never writes to stderr on its own.
#pragma once

#include <vtranscode/log.hpp>

namespace vtc::detail {

/// Routes av_log() into @p logger, one line per message, with FFmpeg's levels
/// lowered one step (FFmpeg "errors" such as one damaged packet are warnings
/// for a job that goes on). The most recent call wins. Thread-safe.
void route_ffmpeg_log(const Logger &logger);

} // namespace vtc::detail
