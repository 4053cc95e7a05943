// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// H.264, HEVC and (with FFmpeg >= 6.1) AV1 through libavcodec's VA-API
// encoders (h264_vaapi, hevc_vaapi, av1_vaapi), written against the SDK
// (vtc_plugin_sdk.hpp). FFmpeg writes the headers and manages references;
// this class opens the device, uploads frames, maps the config and turns
// FFmpeg's and libva's failures into precise statuses.
#pragma once

#include "va_device.hpp"

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct AVBufferRef;
struct AVCodecContext;
struct AVFrame;
struct AVPacket;

namespace vtc::vaapi_plugin {

/// Shared implementation; the per-codec classes below only name the codec.
class VaapiEncoder {
public:
    /// Opens the device (config.device, else default_device()), checks the
    /// config against the driver, and opens the FFmpeg encoder. When the
    /// config asks for a global header but the driver cannot take packed
    /// sequence headers, the parameter sets are harvested first (see the .cpp).
    VaapiEncoder(const vtc_host &host, const vtc_encoder_config &config, int32_t codec);
    ~VaapiEncoder();
    VaapiEncoder(const VaapiEncoder &) = delete;
    VaapiEncoder &operator=(const VaapiEncoder &) = delete;

    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

    /// Fills caps for @p codec from the driver (libva queries, no FFmpeg
    /// encoder is opened).
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps, int32_t codec);

private:
    struct Settings; // FFmpeg settings derived from the config, see the .cpp
    struct CodecCloser {
        void operator()(AVCodecContext *context) const noexcept;
    };
    struct BufferCloser {
        void operator()(AVBufferRef *ref) const noexcept;
    };
    struct FrameCloser {
        void operator()(AVFrame *frame) const noexcept;
    };
    struct PacketCloser {
        void operator()(AVPacket *packet) const noexcept;
    };
    using CodecPtr = std::unique_ptr<AVCodecContext, CodecCloser>;

    CodecPtr open_codec(const Settings &settings, bool global_header) const;
    void harvest_parameter_sets(const Settings &settings);
    void upload(const vtc_frame &frame, AVFrame *hw) const;
    void pull_packets();
    [[noreturn]] void fail_codec(int averror, const char *what) const;

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    int32_t codec_;
    // Declared first, destroyed last: FFmpeg's objects use the display.
    std::unique_ptr<VaDevice> device_;
    CodecSupport support_;
    std::unique_ptr<AVBufferRef, BufferCloser> device_ref_;
    std::unique_ptr<AVBufferRef, BufferCloser> frames_ref_;
    CodecPtr codec_ctx_;
    std::unique_ptr<AVFrame, FrameCloser> staging_; // NV12 / P010 in system memory
    std::unique_ptr<AVPacket, PacketCloser> av_packet_;
    std::vector<uint8_t> extradata_;
    bool draining_ = false;
    bool finished_ = false;

    struct Output {
        std::vector<uint8_t> data;
        int64_t pts = 0;
        int64_t dts = 0;
        bool keyframe = false;
    };
    std::deque<Output> queue_;
    Output current_; // the packet handed out last; valid until the next call
    std::map<int64_t, int64_t> durations_;
    int64_t default_duration_ = 0;
};

template <int32_t Codec>
class VaapiCodecEncoder : public VaapiEncoder {
public:
    static constexpr int32_t codec = Codec;
    static constexpr int32_t rank = VTC_RANK_PRIMARY;
    static constexpr const char *id = Codec == VTC_CODEC_H264   ? "vaapi-h264"
                                      : Codec == VTC_CODEC_HEVC ? "vaapi-hevc"
                                                                : "vaapi-av1";
    static constexpr const char *description =
        Codec == VTC_CODEC_H264   ? "VA-API H.264 hardware encoder (FFmpeg h264_vaapi)"
        : Codec == VTC_CODEC_HEVC ? "VA-API HEVC hardware encoder (FFmpeg hevc_vaapi)"
                                  : "VA-API AV1 hardware encoder (FFmpeg av1_vaapi)";

    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps) {
        VaapiEncoder::query_caps(host, caps, Codec);
    }
    VaapiCodecEncoder(const vtc_host &host, const vtc_encoder_config &config)
        : VaapiEncoder(host, config, Codec) {}
};

} // namespace vtc::vaapi_plugin
