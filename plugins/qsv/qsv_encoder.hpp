// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Intel Quick Sync encoders behind the plugin ABI, written directly against the
// oneVPL 2.x API (dispatcher libvpl.so.2, which loads the GPU runtime
// libmfx-gen at run time). One class does the work; QsvEncoder<codec> gives
// each codec the static members the SDK adapter needs.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vtc::qsv_plugin {

/// The parts of a config that map onto oneVPL values, worked out before any
/// runtime call (see README.md for the tables). Exposed for the log line.
struct RateControlPlan {
    uint16_t method = 0;        // MFX_RATECONTROL_*
    uint16_t quality = 0;       // QVBRQuality / ICQQuality (1..51)
    uint16_t qp = 0;            // CQP: QPI = QPP = QPB
    uint32_t target_kbps = 0;   // TargetKbps
    uint32_t max_kbps = 0;      // MaxKbps
    uint32_t buffer_kbytes = 0; // BufferSizeInKB
};

/// TargetUsage 1 (best quality) .. 7 (best speed) for a preset name: x264
/// names, SVT-AV1 numbers 0..13, or the native "tu1".."tu7", "best_quality",
/// "balanced", "best_speed". NULL gives 4 (balanced). Throws INVALID_ARG.
uint16_t target_usage(const char *preset);

/// The oneVPL rate control for @p config; throws INVALID_ARG / UNSUPPORTED.
RateControlPlan rate_control_plan(const vtc_encoder_config &config);

/// The shared state of one loaded oneVPL session (loader, session, VA display).
struct Session;

class QsvEncoderBase {
public:
    QsvEncoderBase(const vtc_host &host, const vtc_encoder_config &config);
    ~QsvEncoderBase();
    QsvEncoderBase(const QsvEncoderBase &) = delete;
    QsvEncoderBase &operator=(const QsvEncoderBase &) = delete;

    /// Caps of @p codec from the runtime's implementation description.
    static void query_caps_for(int32_t codec, vtc_encoder_caps &caps);

    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

private:
    struct Packet {
        std::vector<uint8_t> data;
        int64_t pts = 0;
        uint32_t flags = 0;
    };

    // Runs EncodeFrameAsync (surface NULL drains) until it takes the input,
    // syncing and collecting any packet it produces. Returns false when the
    // runtime answered MFX_ERR_MORE_DATA.
    bool encode(void *surface, bool force_idr);
    void check_cancelled() const;

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    std::unique_ptr<Session> session_;
    std::vector<uint8_t> extradata_;
    std::vector<uint8_t> bitstream_;
    std::deque<Packet> packets_;
    // Every frame's pts and duration by input index: the runtime's TimeStamp
    // carries the index, and the decode timestamps come from these.
    std::vector<int64_t> input_pts_;
    std::vector<int64_t> durations_;
    int64_t packets_out_ = 0;
    int64_t first_pts_ = 0;
    int64_t frame_duration_ = 1;
    int reorder_delay_ = 0; // GopRefDist - 1 as the runtime accepted it
    bool drained_ = false;
    bool flushed_ = false;
    std::vector<uint8_t> current_; // the packet handed out last
};

template <int32_t Codec>
struct CodecNames;
template <>
struct CodecNames<VTC_CODEC_H264> {
    static constexpr const char *id = "qsv-h264";
    static constexpr const char *description = "Intel Quick Sync H.264 encoder (oneVPL)";
};
template <>
struct CodecNames<VTC_CODEC_HEVC> {
    static constexpr const char *id = "qsv-hevc";
    static constexpr const char *description = "Intel Quick Sync HEVC encoder (oneVPL)";
};
template <>
struct CodecNames<VTC_CODEC_AV1> {
    static constexpr const char *id = "qsv-av1";
    static constexpr const char *description =
        "Intel Quick Sync AV1 encoder (oneVPL, Arc and newer)";
};

template <int32_t Codec>
class QsvEncoder : public QsvEncoderBase {
public:
    static constexpr const char *id = CodecNames<Codec>::id;
    static constexpr const char *description = CodecNames<Codec>::description;
    static constexpr int32_t codec = Codec;
    static constexpr int32_t rank = VTC_RANK_PRIMARY;

    static void query_caps(const vtc_host &, vtc_encoder_caps &caps) {
        query_caps_for(Codec, caps);
    }
    QsvEncoder(const vtc_host &host, const vtc_encoder_config &config)
        : QsvEncoderBase(host, config) {}
};

} // namespace vtc::qsv_plugin
