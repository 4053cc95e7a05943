// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// The x264 H.264 encoder behind the plugin ABI, written against the SDK
// (vtc_plugin_sdk.hpp). libx264 is called directly; nothing here crosses the ABI.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct x264_t;
struct x264_nal_t;

namespace vtc::x264_plugin {

/// Receives libx264's log lines (possibly from its worker threads) and keeps the
/// last error so a failed call can say why. Defined in x264_encoder.cpp.
struct LogSink;

/// One libx264 encoder instance. See vtc_plugin_sdk.hpp for the contract of
/// each member; the notes here say what this encoder does beyond it.
class X264Encoder {
public:
    static constexpr const char *id = "x264-h264";
    static constexpr const char *description = "x264 H.264 / AVC software encoder (libx264)";
    static constexpr int32_t codec = VTC_CODEC_H264;
    static constexpr int32_t rank = VTC_RANK_SECONDARY;

    /// Reports what the linked libx264 can do; the bit depths are found by
    /// opening a tiny encoder at 8 and 10 bits once per process.
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps);

    /// Validates the config, builds the x264 parameters (preset, then the
    /// config, then `options`, then the profile) and opens the encoder.
    X264Encoder(const vtc_host &host, const vtc_encoder_config &config);
    ~X264Encoder();

    X264Encoder(const X264Encoder &) = delete;
    X264Encoder &operator=(const X264Encoder &) = delete;

    /// Annex B SPS and PPS, without x264's SEI.
    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

private:
    // Copies one access unit out of libx264's buffers into packet_.
    void store_packet(const x264_nal_t *nals, int nal_count, int size, int64_t pts, int64_t dts);
    void check_cancelled() const;

    struct EncoderCloser {
        void operator()(x264_t *encoder) const noexcept;
    };

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    // Declared before the encoder: x264 may log until x264_encoder_close().
    std::unique_ptr<LogSink> log_;
    std::unique_ptr<x264_t, EncoderCloser> encoder_;
    int csp_ = 0; // x264 input colour space of every frame
    int64_t default_duration_ = 0;
    bool draining_ = false;
    std::vector<uint8_t> extradata_;

    // The access unit waiting for receive_packet(); x264 hands out at most one
    // per call, so one slot is enough.
    bool has_packet_ = false;
    std::vector<uint8_t> packet_data_;
    vtc_packet packet_{};
    // Frame durations by pts, to stamp the packet that frame becomes.
    std::map<int64_t, int64_t> durations_;
};

} // namespace vtc::x264_plugin
