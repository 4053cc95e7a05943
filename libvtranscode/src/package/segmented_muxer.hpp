// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// One libavformat muxer per rendition whose output is cut into segment files.
//
// The muxer context lives for the whole rendition and only its output file
// changes at a cut (as FFmpeg's own HLS muxer does), so MPEG-TS continuity
// counters and fMP4 fragment sequence numbers run on across segments. For fMP4
// the header (ftyp+moov, written with an empty moov) goes to init.mp4 and every
// segment is one fragment (moof+mdat) flushed on request.
#pragma once

#include "util/ffmpeg.hpp"

#include <vtranscode/result.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vtc::detail {

enum class SegmentContainer { mpegts, fmp4 };

/// One elementary stream of the muxer.
struct MuxerStreamSpec {
    const AVCodecParameters *parameters = nullptr; ///< copied at open()
    AVRational packet_time_base{0, 1};             ///< time base of the packets given to write()
    uint32_t codec_tag = 0; ///< sample entry / tag to force (e.g. 'hvc1'); 0 = the muxer's choice
    /// Display matrix to keep (stream copies of rotated sources); nullptr = none.
    const int32_t *display_matrix = nullptr;
};

/// A finished segment file.
struct SegmentFile {
    std::filesystem::path relative_path; ///< relative to the output directory
    uint64_t size_bytes = 0;
};

class SegmentedMuxer {
public:
    /// @param output_dir   the job's output directory
    /// @param subdir       "" for TS renditions at the root, "1080p" for CMAF
    /// @param segment_stem "1080p_" (TS: 1080p_0000.ts) or "seg_" (CMAF: seg_0000.m4s)
    /// For fMP4, init.mp4 is written into subdir when the first segment begins,
    /// so set_extradata() can still correct the sample entry until then.
    static Result<std::unique_ptr<SegmentedMuxer>>
    open(SegmentContainer container, const std::filesystem::path &output_dir,
         const std::filesystem::path &subdir, const std::string &segment_stem,
         const std::vector<MuxerStreamSpec> &streams);

    ~SegmentedMuxer();
    SegmentedMuxer(const SegmentedMuxer &) = delete;
    SegmentedMuxer &operator=(const SegmentedMuxer &) = delete;

    /// Replaces a stream's out-of-band parameter sets. Only before the first
    /// segment (afterwards init.mp4 is written): an encoder may know its exact
    /// sequence header only once it has produced the first key frame.
    Result<void> set_extradata(int stream_index, std::span<const uint8_t> extradata);

    /// Ends the current segment (if one is open) and starts the next file.
    Result<void> begin_segment();

    /// Writes one packet (timestamps in its stream's packet_time_base) into the
    /// current segment. Packets of each stream come in increasing dts order.
    Result<void> write(int stream_index, const AVPacket &packet);

    /// Ends the last segment and the muxer.
    Result<void> finish();

    /// Called with a file's path (relative to the output directory) as soon as
    /// it is closed for good: init.mp4 and then every media segment, in order,
    /// on the thread that closed it. Not called for a file whose write failed.
    using FileClosedFn = std::function<void(const std::filesystem::path &relative_path)>;
    void on_file_closed(FileClosedFn callback) { on_file_closed_ = std::move(callback); }

    const std::vector<SegmentFile> &segments() const noexcept { return segments_; }
    /// init.mp4 relative to the output directory; empty for MPEG-TS.
    const std::filesystem::path &init_segment() const noexcept { return init_segment_; }
    /// The time base the muxer chose for a stream (the fMP4 track timescale).
    AVRational stream_time_base(int stream_index) const;

private:
    SegmentedMuxer() = default;
    Result<void> open_file(const std::filesystem::path &relative_path);
    Result<void> close_file(bool is_segment);
    Result<void> flush_muxer();
    Result<void> write_init_segment();
    Unexpected error(const std::string &message) const;

#if LIBAVFORMAT_VERSION_MAJOR >= 61
    static int write_callback(void *opaque, const uint8_t *data, int size);
#else
    static int write_callback(void *opaque, uint8_t *data, int size);
#endif

    SegmentContainer container_ = SegmentContainer::mpegts;
    std::filesystem::path output_dir_;
    std::filesystem::path subdir_;
    std::string segment_stem_;
    AVFormatContext *format_ = nullptr;
    AVIOContext *io_ = nullptr;
    std::vector<AVRational> packet_time_bases_;
    std::FILE *file_ = nullptr;
    std::filesystem::path file_relative_path_;
    uint64_t file_bytes_ = 0;
    int write_errno_ = 0;
    bool header_written_ = false;
    bool finished_ = false;
    std::vector<SegmentFile> segments_;
    std::filesystem::path init_segment_;
    FileClosedFn on_file_closed_;
};

} // namespace vtc::detail
