// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The "original" rendition: the source's video and first audio stream copied
// without re-encoding into the job's container, cut at the first source
// keyframe at or after each segment boundary.
#pragma once

#include "package/rendition_packager.hpp"
#include "package/segmented_muxer.hpp"

#include <vtranscode/result.hpp>

#include <memory>
#include <string>

namespace vtc::detail {

class OriginalPackager {
public:
    /// @param audio  the source audio stream to copy, or nullptr. An audio codec
    ///               the container cannot carry is left out (see has_audio()).
    /// @param anchor_pts       source video pts that maps to timeline offset
    /// @param timeline_offset  seconds added to every timestamp
    /// Errors (Errc::unsupported) when the container cannot carry the video codec.
    static Result<std::unique_ptr<OriginalPackager>>
    open(SegmentContainer container, const std::filesystem::path &output_dir, const AVStream &video,
         const AVStream *audio, int64_t anchor_pts, double timeline_offset_seconds,
         double segment_seconds);

    /// One demuxed packet of the video or the audio stream, in demux order.
    Result<void> push(const AVPacket &packet, bool is_video);
    Result<void> finish();

    bool has_audio() const noexcept { return audio_index_ >= 0; }
    const SegmentedMuxer &muxer() const { return *muxer_; }
    /// See SegmentedMuxer::on_file_closed; set it before the first push().
    void on_file_closed(SegmentedMuxer::FileClosedFn callback) {
        muxer_->on_file_closed(std::move(callback));
    }
    /// Segment timings on the engine timeline, in the video time base.
    std::vector<SegmentTiming> timings() const;
    AVRational video_time_base() const noexcept { return video_time_base_; }

private:
    OriginalPackager() = default;

    std::unique_ptr<SegmentedMuxer> muxer_;
    AVRational video_time_base_{1, 1};
    AVRational audio_time_base_{1, 1};
    int audio_index_ = -1;
    int64_t video_offset_ = 0;
    int64_t audio_offset_ = 0;
    int64_t anchor_pts_ = 0;
    double segment_seconds_ = 6;
    double next_cut_seconds_ = 0;
    bool started_ = false;
    int64_t last_video_dts_ = AV_NOPTS_VALUE;
    int64_t last_audio_dts_ = AV_NOPTS_VALUE;
    int64_t end_pts_ = 0;
    std::vector<int64_t> segment_starts_;
};

} // namespace vtc::detail
