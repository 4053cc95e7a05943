// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// The x265 HEVC encoder behind the plugin ABI, written against the SDK
// (vtc_plugin_sdk.hpp). libx265 is called directly, through its multi-library
// API (x265_api_query), so one process can encode Main and Main10.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

struct x265_api;
struct x265_encoder;
struct x265_param;
struct x265_picture;
struct x265_nal;

namespace vtc::x265_plugin {

/// One libx265 encoder instance. See vtc_plugin_sdk.hpp for the contract of
/// each member; the notes here say what this encoder does beyond it.
///
/// libx265 can only log to stderr, which plugins must keep closed, so its own
/// log is switched off; the plugin logs a summary through the host instead.
class X265Encoder {
public:
    static constexpr const char *id = "x265-hevc";
    static constexpr const char *description = "x265 HEVC / H.265 software encoder (libx265)";
    static constexpr int32_t codec = VTC_CODEC_HEVC;
    static constexpr int32_t rank = VTC_RANK_SECONDARY;

    /// Reports what the linked libx265 can do; the bit depths are the ones
    /// x265_api_query() offers (Debian's libx265 carries 8, 10 and 12 bits).
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps);

    /// Validates the config, builds the x265 parameters (preset, then the
    /// config, then `options`, then the profile) and opens the encoder.
    X265Encoder(const vtc_host &host, const vtc_encoder_config &config);
    ~X265Encoder();

    X265Encoder(const X265Encoder &) = delete;
    X265Encoder &operator=(const X265Encoder &) = delete;

    /// Annex B VPS, SPS and PPS, without x265's SEI.
    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

private:
    // Runs one x265_encoder_encode() call (pic_in NULL flushes) and keeps the
    // access unit it returns, if any.
    void encode(x265_picture *input);
    void check_cancelled() const;
    void release() noexcept;

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    const x265_api *api_ = nullptr; // static data of libx265
    x265_param *param_ = nullptr;
    x265_encoder *encoder_ = nullptr;
    x265_picture *input_ = nullptr;
    x265_picture *output_ = nullptr;
    int input_bit_depth_ = 8;
    int64_t default_duration_ = 0;
    bool draining_ = false;
    bool flushed_ = false;
    std::string pools_; // x265's thread pool spec ("none", "4"), borrowed by x265
    std::vector<uint8_t> extradata_;

    // The access unit waiting for receive_packet(); x265 hands out at most one
    // per call, so one slot is enough.
    bool has_packet_ = false;
    std::vector<uint8_t> packet_data_;
    vtc_packet packet_{};
    // Frame durations by pts, to stamp the packet that frame becomes.
    std::map<int64_t, int64_t> durations_;
};

} // namespace vtc::x265_plugin
