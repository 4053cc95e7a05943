// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file dash.hpp
/// @brief `manifest.mpd` for CMAF output: one static MPD, one Period, one video
///        AdaptationSet holding every rendition, SegmentTimeline from real timings.
///
/// It addresses VLog's files as they are laid out (protocol §5.8/§5.9): `manifest.mpd`
/// next to `master.m3u8`, and per rendition `{q}/init.mp4` and `{q}/seg_NNNN.m4s`
/// numbered from 0. Compared with VLog's manifest (§5.16, §12 item 8) the renditions
/// share one AdaptationSet so players can switch between them, the profile is the
/// live profile that numbered templates belong to, and segment times are the real
/// ones instead of an assumed fixed 6 s.
///
/// Audio is muxed into the video segments (VLog's layout), so each Representation's
/// `codecs` lists both tracks and no ContentComponent elements are written: dash.js
/// rejects an AdaptationSet with several ContentComponents as "multiplexed", while a
/// video set whose codecs also name the audio plays through one MSE SourceBuffer.
///
/// Pure and thread-safe; inputs are only read.
#pragma once

#include <vtranscode/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vtc::detail {

/// One media segment on the representation's media timeline.
struct DashSegment {
    uint64_t start = 0;    ///< its `tfdt` baseMediaDecodeTime, in the timescale
    uint64_t duration = 0; ///< in the timescale; > 0
};

/// One rendition, as written (or, for one skipped because it already exists, as the
/// caller knows it).
struct DashRepresentation {
    std::string id;             ///< quality name, e.g. "720p"; also its folder name;
                                ///< letters, digits, '.', '_' and '-' only
    uint64_t bandwidth_bps = 0; ///< measured peak (Bandwidth::peak_bps); > 0
    int32_t width = 0;          ///< real size; > 0
    int32_t height = 0;
    uint32_t frame_rate_num = 0; ///< real frame rate as a fraction, e.g. 30000/1001
    uint32_t frame_rate_den = 1;
    std::string codecs;                    ///< "avc1.64001f,mp4a.40.2" (video, then audio if any)
    uint32_t timescale = 0;                ///< of the segment times (the video track's); > 0
    uint64_t presentation_time_offset = 0; ///< media time of the Period start, in timescale
                                           ///< (normally the first frame's presentation time)
    std::vector<DashSegment> segments;     ///< in order, not overlapping; at least one
};

/// Renders `manifest.mpd`.
///
/// Preconditions the caller guarantees (they are what the attributes claim): every
/// segment starts with an IDR / key frame of a closed GOP (`startWithSAP="1"`), and
/// the files are at `{id}/init.mp4` and `{id}/seg_%04d.m4s`, numbered from 0.
///
/// Derived values: `mediaPresentationDuration` is the longest representation's
/// timeline end minus its presentationTimeOffset; `minBufferTime` is the longest
/// segment (a client must hold one whole segment before it can start, and BANDWIDTH
/// is a per-segment peak); `segmentAlignment="true"` is written only when every
/// representation has the same number of segments with boundaries within half a
/// frame of each other, otherwise the attribute is left out (false). Representations
/// are listed by bandwidth, highest first.
///
/// @return the XML text (UTF-8, "\n" line ends), or Errc::invalid_argument when
///         @p representations is empty (the caller then simply writes no manifest; it
///         is not a job failure) or when any field breaks the rules above (duplicate
///         or malformed id, zero bandwidth/size/frame rate/timescale, empty codecs, no
///         segments, a zero duration, overlapping segments).
Result<std::string> render_dash_manifest(std::span<const DashRepresentation> representations);

/// ISO 8601 duration as MPD attributes use it, in milliseconds, rounded up:
/// 3723.5 -> "PT1H2M3.500S", 6 -> "PT6.000S". Exposed for tests.
std::string iso8601_duration(double seconds);

} // namespace vtc::detail
