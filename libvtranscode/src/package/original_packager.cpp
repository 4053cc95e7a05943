// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/original_packager.hpp"

#include <cmath>

namespace vtc::detail {
namespace {

// Whether a container can carry a codec in a stream copy. MP4 answers the
// question itself; FFmpeg's MPEG-TS muxer has no answer (avformat_query_codec
// returns "unknown"), so for it we list what its PMT can describe.
bool container_carries(SegmentContainer container, AVCodecID codec) {
    if (container == SegmentContainer::mpegts) {
        switch (codec) {
        case AV_CODEC_ID_H264:
        case AV_CODEC_ID_HEVC:
        case AV_CODEC_ID_MPEG2VIDEO:
        case AV_CODEC_ID_MPEG1VIDEO:
        case AV_CODEC_ID_MPEG4:
        case AV_CODEC_ID_AAC:
        case AV_CODEC_ID_AAC_LATM:
        case AV_CODEC_ID_MP2:
        case AV_CODEC_ID_MP3:
        case AV_CODEC_ID_AC3:
        case AV_CODEC_ID_EAC3:
        case AV_CODEC_ID_OPUS:
            return true;
        default:
            return false;
        }
    }
    const AVOutputFormat *mp4 = av_guess_format("mp4", nullptr, nullptr);
    return mp4 != nullptr && avformat_query_codec(mp4, codec, FF_COMPLIANCE_NORMAL) == 1;
}

} // namespace

Result<std::unique_ptr<OriginalPackager>>
OriginalPackager::open(SegmentContainer container, const std::filesystem::path &output_dir,
                       const AVStream &video, const AVStream *audio, int64_t anchor_pts,
                       double timeline_offset_seconds, double segment_seconds) {
    std::unique_ptr<OriginalPackager> self(new OriginalPackager());
    if (!container_carries(container, video.codecpar->codec_id)) {
        return fail(Errc::unsupported, "package", "original",
                    std::string(container == SegmentContainer::mpegts ? "MPEG-TS" : "MP4") +
                        " cannot carry " + avcodec_get_name(video.codecpar->codec_id) +
                        " video without re-encoding");
    }
    // A stream copy keeps the source's pixels, so a rotated source keeps its
    // display matrix (MP4 can carry it; MPEG-TS cannot).
    std::vector<MuxerStreamSpec> streams{
        {video.codecpar, video.time_base, 0, stream_display_matrix(video)}};
    if (audio != nullptr && container_carries(container, audio->codecpar->codec_id)) {
        streams.push_back({audio->codecpar, audio->time_base, 0, nullptr});
        self->audio_index_ = 1;
        self->audio_time_base_ = audio->time_base;
    }
    const bool is_ts = container == SegmentContainer::mpegts;
    auto muxer = SegmentedMuxer::open(container, output_dir, is_ts ? "" : "original",
                                      is_ts ? "original_" : "seg_", streams);
    if (!muxer) {
        return Unexpected(std::move(muxer).error());
    }
    self->muxer_ = std::move(*muxer);
    self->video_time_base_ = video.time_base;
    self->anchor_pts_ = anchor_pts;
    self->segment_seconds_ = segment_seconds;
    const auto offset_us = static_cast<int64_t>(timeline_offset_seconds * 1e6);
    self->video_offset_ =
        av_rescale_q(offset_us, AVRational{1, 1000000}, video.time_base) - anchor_pts;
    if (self->audio_index_ >= 0) {
        self->audio_offset_ = av_rescale_q(offset_us, AVRational{1, 1000000}, audio->time_base) -
                              av_rescale_q(anchor_pts, video.time_base, audio->time_base);
    }
    return self;
}

Result<void> OriginalPackager::push(const AVPacket &packet, bool is_video) {
    if (!is_video && audio_index_ < 0) {
        return ok();
    }
    if (packet.pts == AV_NOPTS_VALUE && packet.dts == AV_NOPTS_VALUE) {
        return ok(); // nothing to place on the timeline; FFmpeg's CLI drops these too
    }
    PacketPtr copy(av_packet_clone(&packet));
    if (!copy) {
        return fail(Errc::no_memory, "package", "original", "cannot copy a packet");
    }
    if (copy->dts == AV_NOPTS_VALUE) {
        copy->dts = copy->pts;
    }
    if (copy->pts == AV_NOPTS_VALUE) {
        copy->pts = copy->dts;
    }
    if (is_video) {
        const bool is_key = (copy->flags & AV_PKT_FLAG_KEY) != 0;
        if (!started_ && !is_key) {
            return ok(); // a copy can only start at a keyframe
        }
        const double t = static_cast<double>(copy->pts - anchor_pts_) * av_q2d(video_time_base_);
        if (is_key && (!started_ || t >= next_cut_seconds_ - 1e-6)) {
            if (auto begun = muxer_->begin_segment(); !begun) {
                return begun;
            }
            started_ = true;
            segment_starts_.push_back(copy->pts + video_offset_);
            next_cut_seconds_ = (std::floor(t / segment_seconds_ + 1e-9) + 1) * segment_seconds_;
        }
        if (last_video_dts_ != AV_NOPTS_VALUE && copy->dts <= last_video_dts_) {
            return ok(); // a non-monotonic dts would make the muxer fail; drop it
        }
        last_video_dts_ = copy->dts;
        end_pts_ = std::max(end_pts_, copy->pts + copy->duration + video_offset_);
        copy->pts += video_offset_;
        copy->dts += video_offset_;
        return muxer_->write(0, *copy);
    }
    if (!started_) {
        return ok();
    }
    if (last_audio_dts_ != AV_NOPTS_VALUE && copy->dts <= last_audio_dts_) {
        return ok();
    }
    last_audio_dts_ = copy->dts;
    copy->pts += audio_offset_;
    copy->dts += audio_offset_;
    if (copy->dts < 0) {
        return ok(); // audio from before the video's start
    }
    return muxer_->write(audio_index_, *copy);
}

Result<void> OriginalPackager::finish() {
    if (!started_) {
        return fail(Errc::corrupt_input, "package", "original", "no video keyframe to copy");
    }
    return muxer_->finish();
}

std::vector<SegmentTiming> OriginalPackager::timings() const {
    std::vector<SegmentTiming> out;
    for (size_t i = 0; i < segment_starts_.size(); ++i) {
        const int64_t end = i + 1 < segment_starts_.size() ? segment_starts_[i + 1] : end_pts_;
        out.push_back({segment_starts_[i], end - segment_starts_[i]});
    }
    return out;
}

} // namespace vtc::detail
