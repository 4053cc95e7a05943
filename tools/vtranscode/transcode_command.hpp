// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// `vtranscode transcode` and `vtranscode probe`: the engine on the command line.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace vtc::cli {

inline constexpr std::string_view transcode_summary =
    "transcode a video into an HLS/CMAF ladder (master playlist, DASH, thumbnail)";
inline constexpr std::string_view probe_summary = "print what a source contains, as JSON";

/// @return 0 on success, 1 on failure (one line on @p err), 2 for bad usage.
int run_transcode(std::span<const std::string_view> args, std::ostream &out, std::ostream &err);

/// @return 0 on success, 1 when the source cannot be probed, 2 for bad usage.
int run_probe(std::span<const std::string_view> args, std::ostream &out, std::ostream &err);

} // namespace vtc::cli
