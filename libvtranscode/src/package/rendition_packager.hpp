// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Turns one rendition's encoded video and the shared AAC packets into
// segments: interleaves the two by decode time and cuts a new segment exactly
// at each forced keyframe, so every rendition's segments line up.
#pragma once

#include "package/segmented_muxer.hpp"

#include <vtranscode/result.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace vtc::detail {

/// A segment's place on the timeline, in the video stream's time base.
struct SegmentTiming {
    int64_t start_pts = 0;
    int64_t duration = 0;
};

class RenditionPackager {
public:
    /// @param video_offset  added to every video pts/dts (video time base) to put
    ///                      the rendition on the engine timeline.
    /// @param strip_parameter_sets_codec  VTC_CODEC_H264 / _HEVC to remove in-band
    ///                      parameter sets (fMP4); VTC_CODEC_UNSET to keep them (TS).
    RenditionPackager(std::unique_ptr<SegmentedMuxer> muxer, bool has_audio,
                      AVRational video_time_base, AVRational audio_time_base, int64_t video_offset,
                      int32_t strip_parameter_sets_codec);

    /// From the rendition's encoder thread, in decode order. @p starts_segment
    /// is true for the forced keyframe that opens the next segment (the first
    /// packet always is one).
    Result<void> push_video(const AVPacket &packet, bool starts_segment);
    /// Updates the video parameter sets before the first segment is written
    /// (see SegmentedMuxer::set_extradata).
    Result<void> set_video_extradata(std::span<const uint8_t> extradata);
    /// No more video; @p end_pts is where the last frame ends (video time base,
    /// before the offset).
    Result<void> end_video(int64_t end_pts);

    /// From the audio thread, in order. Timestamps already on the engine timeline.
    Result<void> push_audio(std::shared_ptr<const AVPacket> packet);
    Result<void> end_audio();

    /// After both ends: writes what is left and closes the last segment.
    Result<void> finish();

    const SegmentedMuxer &muxer() const { return *muxer_; }
    /// One entry per segment, on the engine timeline (offset applied).
    std::vector<SegmentTiming> timings() const;

private:
    struct PendingVideo {
        PacketPtr packet;
        bool starts_segment = false;
    };
    Result<void> drain_locked();
    Result<void> write_video_locked(PendingVideo &video);

    mutable std::mutex mutex_;
    std::unique_ptr<SegmentedMuxer> muxer_;
    bool has_audio_;
    AVRational video_time_base_;
    AVRational audio_time_base_;
    int64_t video_offset_;
    int32_t strip_codec_;
    std::deque<PendingVideo> video_;
    std::deque<std::shared_ptr<const AVPacket>> audio_;
    bool video_ended_ = false;
    bool audio_ended_ = false;
    bool segment_open_ = false;
    int64_t end_pts_ = 0;
    std::vector<int64_t> segment_starts_;
    bool failed_ = false;
};

} // namespace vtc::detail
