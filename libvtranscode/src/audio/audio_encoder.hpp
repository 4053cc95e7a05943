// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Audio is decoded once, resampled once to 48 kHz stereo, and AAC-encoded once
// per distinct bit rate; the packets are shared by every rendition at that rate.
#pragma once

#include "util/ffmpeg.hpp"

extern "C" {
#include <libavutil/audio_fifo.h>
}

#include <vtranscode/result.hpp>

#include <algorithm>

#include <memory>
#include <vector>

namespace vtc::detail {

inline constexpr int kAudioSampleRateHz = 48000;
inline constexpr int kAacFrameSamples = 1024;

/// Resamples decoded audio to 48 kHz stereo planar float and cuts it into
/// AAC-sized frames. Output pts are in 1/48000 on the engine timeline.
class AudioResampler {
public:
    /// @param timeline_offset_samples added to every output pts (1/48000), so the
    ///        audio sits on the same timeline as the video.
    static Result<std::unique_ptr<AudioResampler>> create(const AVCodecContext &decoder,
                                                          int64_t timeline_offset_samples);
    ~AudioResampler();

    /// Adds one decoded frame (pts in the decoder's pkt_timebase).
    Result<void> push(const AVFrame &frame);
    /// Takes the next complete 1024-sample frame; at end of input with
    /// @p flush, the last partial frame padded with silence.
    FramePtr pop(bool flush);

private:
    AudioResampler() = default;
    SwrPtr swr_;
    AVAudioFifo *fifo_ = nullptr;
    AVRational input_time_base_{1, 1};
    int input_rate_hz_ = 0;
    int64_t timeline_offset_samples_ = 0;
    int64_t next_pts_ = AV_NOPTS_VALUE;
};

/// One AAC-LC encoder (libavcodec's native "aac") at one bit rate.
class AacEncoder {
public:
    static Result<std::unique_ptr<AacEncoder>> create(int bitrate_kbps);
    /// Encodes @p frame (nullptr drains) and returns every packet now ready,
    /// pts/dts in 1/48000.
    Result<std::vector<std::shared_ptr<const AVPacket>>> encode(const AVFrame *frame);
    const AVCodecContext &context() const { return *context_; }
    int bitrate_kbps() const noexcept { return bitrate_kbps_; }

private:
    CodecContextPtr context_;
    int bitrate_kbps_ = 0;
};

} // namespace vtc::detail
