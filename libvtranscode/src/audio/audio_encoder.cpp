// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "audio/audio_encoder.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace vtc::detail {
namespace {

void free_packet(AVPacket *packet) {
    av_packet_free(&packet);
}

} // namespace

Result<std::unique_ptr<AudioResampler>> AudioResampler::create(const AVCodecContext &decoder,
                                                               int64_t timeline_offset_samples) {
    std::unique_ptr<AudioResampler> self(new AudioResampler());
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    AVChannelLayout input_layout{};
    if (decoder.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || decoder.ch_layout.nb_channels <= 0) {
        av_channel_layout_default(
            &input_layout, decoder.ch_layout.nb_channels > 0 ? decoder.ch_layout.nb_channels : 2);
    } else if (av_channel_layout_copy(&input_layout, &decoder.ch_layout) < 0) {
        return fail(Errc::no_memory, "audio", "", "cannot copy the channel layout");
    }
    SwrContext *swr = nullptr;
    const int rc =
        swr_alloc_set_opts2(&swr, &stereo, AV_SAMPLE_FMT_FLTP, kAudioSampleRateHz, &input_layout,
                            decoder.sample_fmt, decoder.sample_rate, 0, nullptr);
    av_channel_layout_uninit(&input_layout);
    self->swr_.reset(swr);
    if (rc < 0 || swr_init(swr) < 0) {
        return fail(Errc::unsupported, "audio", "",
                    "cannot resample from " + std::to_string(decoder.sample_rate) + " Hz");
    }
    self->fifo_ = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, kAacFrameSamples * 4);
    if (self->fifo_ == nullptr) {
        return fail(Errc::no_memory, "audio", "", "cannot allocate the audio FIFO");
    }
    self->input_time_base_ =
        decoder.pkt_timebase.num > 0 ? decoder.pkt_timebase : AVRational{1, decoder.sample_rate};
    self->input_rate_hz_ = decoder.sample_rate;
    self->timeline_offset_samples_ = timeline_offset_samples;
    return self;
}

AudioResampler::~AudioResampler() {
    if (fifo_ != nullptr) {
        av_audio_fifo_free(fifo_);
    }
}

Result<void> AudioResampler::push(const AVFrame &frame) {
    if (next_pts_ == AV_NOPTS_VALUE) {
        // The first frame anchors the audio clock; after that the clock runs on
        // the sample count, so small timestamp jitter never becomes a gap.
        const int64_t pts = frame.pts != AV_NOPTS_VALUE ? frame.pts : 0;
        next_pts_ = av_rescale_q(pts, input_time_base_, AVRational{1, kAudioSampleRateHz}) +
                    timeline_offset_samples_;
    }
    const int max_out = swr_get_out_samples(swr_.get(), frame.nb_samples);
    if (max_out < 0) {
        return fail(Errc::internal, "audio", "", "resampler state is invalid");
    }
    uint8_t *planes[2] = {nullptr, nullptr};
    if (av_samples_alloc(planes, nullptr, 2, max_out + 16, AV_SAMPLE_FMT_FLTP, 0) < 0) {
        return fail(Errc::no_memory, "audio", "", "cannot allocate samples");
    }
    const int converted =
        swr_convert(swr_.get(), planes, max_out + 16,
                    const_cast<const uint8_t **>(frame.extended_data), frame.nb_samples);
    int rc = converted;
    if (converted > 0) {
        rc = av_audio_fifo_write(fifo_, reinterpret_cast<void **>(planes), converted);
    }
    av_freep(&planes[0]);
    if (rc < 0) {
        return fail(Errc::internal, "audio", "", "resampling failed: " + av_error_text(rc));
    }
    return ok();
}

FramePtr AudioResampler::pop(bool flush) {
    if (flush) {
        // Pull what the resampler still buffers internally.
        uint8_t *planes[2] = {nullptr, nullptr};
        if (av_samples_alloc(planes, nullptr, 2, kAacFrameSamples * 4, AV_SAMPLE_FMT_FLTP, 0) >=
            0) {
            const int tail = swr_convert(swr_.get(), planes, kAacFrameSamples * 4, nullptr, 0);
            if (tail > 0) {
                av_audio_fifo_write(fifo_, reinterpret_cast<void **>(planes), tail);
            }
            av_freep(&planes[0]);
        }
    }
    const int available = av_audio_fifo_size(fifo_);
    if (available <= 0 || (available < kAacFrameSamples && !flush)) {
        return nullptr;
    }
    FramePtr frame = make_frame();
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = kAudioSampleRateHz;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    av_channel_layout_copy(&frame->ch_layout, &stereo);
    frame->nb_samples = kAacFrameSamples;
    if (av_frame_get_buffer(frame.get(), 0) < 0) {
        return nullptr;
    }
    const int take = std::min(available, kAacFrameSamples);
    av_audio_fifo_read(fifo_, reinterpret_cast<void **>(frame->data), take);
    if (take < kAacFrameSamples) {
        av_samples_set_silence(frame->data, take, kAacFrameSamples - take, 2, AV_SAMPLE_FMT_FLTP);
        frame->nb_samples = take; // the encoder pads; the duration stays exact
    }
    frame->pts = next_pts_;
    next_pts_ += take;
    return frame;
}

Result<std::unique_ptr<AacEncoder>> AacEncoder::create(int bitrate_kbps) {
    const AVCodec *codec = avcodec_find_encoder_by_name("aac");
    if (codec == nullptr) {
        return fail(Errc::unsupported, "audio", "", "libavcodec has no AAC encoder");
    }
    auto self = std::make_unique<AacEncoder>();
    self->bitrate_kbps_ = bitrate_kbps;
    self->context_.reset(avcodec_alloc_context3(codec));
    AVCodecContext &ctx = *self->context_;
    ctx.sample_fmt = AV_SAMPLE_FMT_FLTP;
    ctx.sample_rate = kAudioSampleRateHz;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    av_channel_layout_copy(&ctx.ch_layout, &stereo);
    ctx.bit_rate = static_cast<int64_t>(bitrate_kbps) * 1000;
    ctx.time_base = AVRational{1, kAudioSampleRateHz};
    // The AudioSpecificConfig goes into extradata: MP4 needs it, and the
    // MPEG-TS muxer builds ADTS headers from it.
    ctx.flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (int rc = avcodec_open2(&ctx, codec, nullptr); rc < 0) {
        return fail(Errc::internal, "audio", "",
                    "cannot open the AAC encoder: " + av_error_text(rc));
    }
    return self;
}

Result<std::vector<std::shared_ptr<const AVPacket>>> AacEncoder::encode(const AVFrame *frame) {
    std::vector<std::shared_ptr<const AVPacket>> packets;
    if (int rc = avcodec_send_frame(context_.get(), frame); rc < 0 && rc != AVERROR_EOF) {
        return fail(Errc::internal, "audio", "", "AAC encoding failed: " + av_error_text(rc));
    }
    for (;;) {
        AVPacket *packet = av_packet_alloc();
        if (packet == nullptr) {
            return fail(Errc::no_memory, "audio", "", "cannot allocate a packet");
        }
        const int rc = avcodec_receive_packet(context_.get(), packet);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            av_packet_free(&packet);
            break;
        }
        if (rc < 0) {
            av_packet_free(&packet);
            return fail(Errc::internal, "audio", "", "AAC encoding failed: " + av_error_text(rc));
        }
        packets.emplace_back(packet, &free_packet);
    }
    return packets;
}

} // namespace vtc::detail
