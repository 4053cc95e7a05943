// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/rendition_packager.hpp"

#include "package/parameter_sets.hpp"

#include <vtranscode/plugin/vtc_types.h>

#include <algorithm>

namespace vtc::detail {
namespace {

// When the audio track stops long before the video (a short soundtrack), video
// must not pile up waiting for audio that will never come: past this many
// packets (about 20 s at 30 fps) video is written without waiting.
constexpr size_t kMaxVideoWaitingForAudio = 600;

} // namespace

RenditionPackager::RenditionPackager(std::unique_ptr<SegmentedMuxer> muxer, bool has_audio,
                                     AVRational video_time_base, AVRational audio_time_base,
                                     int64_t video_offset, int32_t strip_parameter_sets_codec)
    : muxer_(std::move(muxer)), has_audio_(has_audio), video_time_base_(video_time_base),
      audio_time_base_(audio_time_base), video_offset_(video_offset),
      strip_codec_(strip_parameter_sets_codec), audio_ended_(!has_audio) {}

Result<void> RenditionPackager::push_video(const AVPacket &packet, bool starts_segment) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_) {
        return fail(Errc::invalid_state, "package", "", "packager already failed");
    }
    PendingVideo pending{PacketPtr(av_packet_clone(&packet)), starts_segment};
    if (!pending.packet) {
        return fail(Errc::no_memory, "package", "", "cannot copy a packet");
    }
    if (strip_codec_ != VTC_CODEC_UNSET && (packet.flags & AV_PKT_FLAG_KEY) != 0) {
        const std::vector<uint8_t> stripped = strip_parameter_sets(
            strip_codec_, std::span<const uint8_t>(packet.data, static_cast<size_t>(packet.size)));
        if (stripped.size() != static_cast<size_t>(packet.size)) {
            av_packet_unref(pending.packet.get());
            if (av_new_packet(pending.packet.get(), static_cast<int>(stripped.size())) < 0) {
                return fail(Errc::no_memory, "package", "", "cannot copy a packet");
            }
            std::copy(stripped.begin(), stripped.end(), pending.packet->data);
            av_packet_copy_props(pending.packet.get(), &packet);
        }
    }
    pending.packet->pts += video_offset_;
    pending.packet->dts += video_offset_;
    if (pending.packet->dts < 0) {
        return fail(Errc::internal, "package", "",
                    "encoder delay is larger than the timeline offset (negative dts)");
    }
    video_.push_back(std::move(pending));
    return drain_locked();
}

Result<void> RenditionPackager::set_video_extradata(std::span<const uint8_t> extradata) {
    std::lock_guard<std::mutex> lock(mutex_);
    return muxer_->set_extradata(0, extradata);
}

Result<void> RenditionPackager::end_video(int64_t end_pts) {
    std::lock_guard<std::mutex> lock(mutex_);
    video_ended_ = true;
    end_pts_ = end_pts + video_offset_;
    return drain_locked();
}

Result<void> RenditionPackager::push_audio(std::shared_ptr<const AVPacket> packet) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_) {
        return fail(Errc::invalid_state, "package", "", "packager already failed");
    }
    audio_.push_back(std::move(packet));
    return drain_locked();
}

Result<void> RenditionPackager::end_audio() {
    std::lock_guard<std::mutex> lock(mutex_);
    audio_ended_ = true;
    return drain_locked();
}

Result<void> RenditionPackager::write_video_locked(PendingVideo &video) {
    if (video.starts_segment) {
        if (auto begun = muxer_->begin_segment(); !begun) {
            return begun;
        }
        segment_open_ = true;
        segment_starts_.push_back(video.packet->pts);
    }
    return muxer_->write(0, *video.packet);
}

Result<void> RenditionPackager::drain_locked() {
    // Decode-time interleaving: always write the earlier of the two heads; a
    // stream that has nothing queued blocks the other until it ends, which is
    // what keeps audio and video of one segment together. Nothing is written
    // before the first video keyframe opens segment 0.
    for (;;) {
        const bool have_video = !video_.empty();
        const bool have_audio = !audio_.empty();
        if (!segment_open_) {
            if (!have_video) {
                return ok();
            }
            if (!video_.front().starts_segment) {
                failed_ = true;
                return fail(Errc::plugin, "package", "",
                            "the encoder's first packet is not the forced keyframe");
            }
        }
        bool take_video = false;
        if (have_video && have_audio && segment_open_) {
            take_video = av_compare_ts(video_.front().packet->dts, video_time_base_,
                                       audio_.front()->dts, audio_time_base_) <= 0;
        } else if (have_video &&
                   (audio_ended_ || !segment_open_ || video_.size() > kMaxVideoWaitingForAudio)) {
            take_video = true;
        } else if (have_audio && video_ended_) {
            take_video = false;
        } else {
            return ok();
        }
        Result<void> written = ok();
        if (take_video) {
            written = write_video_locked(video_.front());
            video_.pop_front();
        } else {
            written = muxer_->write(1, *audio_.front());
            audio_.pop_front();
        }
        if (!written) {
            failed_ = true;
            return written;
        }
    }
}

Result<void> RenditionPackager::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!video_ended_ || !audio_ended_) {
        return fail(Errc::internal, "package", "", "finish before the end of the streams");
    }
    if (auto drained = drain_locked(); !drained) {
        return drained;
    }
    if (!segment_open_) {
        return fail(Errc::corrupt_input, "package", "", "no video was encoded");
    }
    return muxer_->finish();
}

std::vector<SegmentTiming> RenditionPackager::timings() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<SegmentTiming> out;
    for (size_t i = 0; i < segment_starts_.size(); ++i) {
        const int64_t end = i + 1 < segment_starts_.size() ? segment_starts_[i + 1] : end_pts_;
        out.push_back({segment_starts_[i], end - segment_starts_[i]});
    }
    return out;
}

} // namespace vtc::detail
