// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file playlist.hpp
/// @brief HLS text (RFC 8216): variant (media) playlists, the master playlist, and the
///        BANDWIDTH / AVERAGE-BANDWIDTH figures measured from the written segments.
///
/// Everything here turns facts the caller measured into text; nothing is estimated
/// or defaulted. Functions are pure and thread-safe; inputs are only read.
#pragma once

#include <vtranscode/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vtc::detail {

/// The segment container of a playlist; it decides `#EXT-X-VERSION`.
enum class HlsContainer {
    mpeg_ts, ///< `.ts` segments; version 3 (floating-point EXTINF)
    fmp4,    ///< CMAF `.m4s` segments + `#EXT-X-MAP`; version 7 (as VLog's players expect)
};

/// One written media segment.
struct SegmentEntry {
    std::string uri;         ///< relative to the playlist, e.g. "seg_0003.m4s" or "720p_0003.ts"
    double duration_seconds; ///< its real duration (next segment's start - its start)
    uint64_t size_bytes;     ///< its size on disk, all tracks included
};

/// A VOD variant playlist (`{q}.m3u8` for TS, `{q}/stream.m3u8` for CMAF).
struct MediaPlaylist {
    HlsContainer container = HlsContainer::fmp4;
    std::string init_uri = "init.mp4"; ///< `#EXT-X-MAP` URI; used for fmp4 only
    std::vector<SegmentEntry> segments;
};

/// `#EXT-X-TARGETDURATION` for @p segments: the largest EXTINF, as written with six
/// decimals, rounded to the nearest integer (RFC 8216 §4.3.3.1), and at least 1.
/// Returns 0 for an empty list.
uint32_t target_duration_seconds(std::span<const SegmentEntry> segments);

/// Renders a complete VOD media playlist:
/// `#EXTM3U`, `#EXT-X-VERSION`, `#EXT-X-TARGETDURATION`, `#EXT-X-MEDIA-SEQUENCE:0`,
/// `#EXT-X-PLAYLIST-TYPE:VOD`, `#EXT-X-INDEPENDENT-SEGMENTS` (the pipeline starts every
/// segment with a keyframe), `#EXT-X-MAP` (fmp4), one `#EXTINF:<d.dddddd>,` + URI per
/// segment, `#EXT-X-ENDLIST`. Lines end in "\n".
/// @return the text, or Errc::invalid_argument when there are no segments, a duration
///         is not a positive finite number, a URI is empty, contains whitespace, a
///         control character or '"', or does not end in ".ts" (mpeg_ts) / ".m4s" (fmp4),
///         as VLog's playlist validation requires (protocol §5.13).
Result<std::string> render_media_playlist(const MediaPlaylist &playlist);

/// Measured bit rates of one variant, in bits per second.
struct Bandwidth {
    uint64_t peak_bps = 0;    ///< for BANDWIDTH / DASH @bandwidth
    uint64_t average_bps = 0; ///< for AVERAGE-BANDWIDTH
};

/// BANDWIDTH and AVERAGE-BANDWIDTH from the segments as written.
///
/// peak: RFC 8216 §4.3.4.2 asks for the "peak segment bit rate", which §4.1 defines
/// as the largest bit rate of any contiguous set of segments whose total duration
/// is between 0.5 and 1.5 times the target duration (target_duration_seconds()).
/// That definition is applied as written, so a short last segment (whose rate is
/// inflated by container overhead over a small duration) counts only together with
/// its neighbour, while a real burst inside a full-length segment always counts.
/// When no set qualifies (a presentation shorter than half the target duration),
/// the whole presentation's rate is used. The peak is never below the average.
/// average: total bits / total duration.
/// Both are rounded up, so BANDWIDTH is never below the measured peak.
/// @return the figures, or Errc::invalid_argument for an empty list or a duration
///         that is not a positive finite number.
Result<Bandwidth> bandwidth_from_segments(std::span<const SegmentEntry> segments);

/// One `#EXT-X-STREAM-INF` entry of the master playlist, with measured values.
struct VariantStream {
    std::string uri;     ///< "720p.m3u8" (TS) or "720p/stream.m3u8" (CMAF)
    Bandwidth bandwidth; ///< from bandwidth_from_segments()
    int32_t width = 0;   ///< real coded display size of the rendition
    int32_t height = 0;
    double frame_rate = 0;    ///< real (maximum) frame rate, e.g. 29.97002997
    std::string video_codecs; ///< video_codec_string() of the rendition's bitstream
    std::string audio_codecs; ///< audio_codec_string(); empty when it has no audio
};

/// Renders `master.m3u8`: `#EXTM3U`, `#EXT-X-VERSION` (3 for mpeg_ts, 7 for fmp4: all
/// variants of one master share one container), `#EXT-X-INDEPENDENT-SEGMENTS`, then per
/// variant `#EXT-X-STREAM-INF:BANDWIDTH=..,AVERAGE-BANDWIDTH=..,RESOLUTION=WxH,
/// FRAME-RATE=f.fff,CODECS="video[,audio]"` and its URI, sorted by BANDWIDTH
/// descending (VLog's order; ties keep the caller's order).
/// @return the text, or Errc::invalid_argument when @p variants is empty or a variant
///         has an empty or malformed URI, a zero bandwidth, an average above the peak,
///         a non-positive size or frame rate, or an empty video codec string (a
///         CODECS value is never invented).
Result<std::string> render_master_playlist(HlsContainer container,
                                           std::span<const VariantStream> variants);

} // namespace vtc::detail
