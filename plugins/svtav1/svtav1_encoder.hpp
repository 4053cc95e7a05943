// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file svtav1_encoder.hpp
/// @brief The SVT-AV1 (libSvtAv1Enc) encoder behind the vtc-svtav1 plugin.
///
/// One instance drives one SVT-AV1 encoder handle through the plugin SDK
/// (vtc_plugin_sdk.hpp), which already did the generic checks (NULL arguments,
/// config values the ABI rules out, frame size/format/pts against the config,
/// call order). What this class adds:
///  - 8-bit I420 and 10-bit I420_10 input, AV1 Main profile, 64x64 up to
///    16384x8704, even sizes only (SVT-AV1 1.4.1's limits).
///  - CQP, CRF and capped CRF. SVT-AV1 1.4.1 honours a forced key frame only in
///    its CRF/CQP random-access mode, so VBR and CBR are not offered. Its capped
///    CRF is a soft cap: it raises the quantiser of base-layer frames once a
///    60-frame window has spent max_bitrate_kbps (plus mbr-overshoot-pct, 50 %
///    by default), so short or busy clips overshoot; vbv_buffer_kbits has no
///    SVT-AV1 counterpart and is not used.
///  - A frame flagged VTC_FRAME_FORCE_KEYFRAME becomes a key frame (a closed
///    GOP starts there); every key-frame packet carries the sequence header.
///  - Packets come out in presentation order (one temporal unit each), so
///    dts == pts.
///
/// Threading: as vtc_encoder.h. SVT-AV1 runs its own worker threads; this class
/// never calls the host from them. Creating and tearing down SVT handles is
/// serialised process-wide, because libSvtAv1Enc 1.4.1 keeps global state there.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <vector>

struct EbComponentType;
struct EbBufferHeaderType;

namespace vtc::plugins::svtav1 {

class SvtAv1Encoder {
public:
    static constexpr const char *id = "svtav1-av1";
    static constexpr const char *description = "SVT-AV1 AV1 software encoder (libSvtAv1Enc)";
    static constexpr int32_t codec = VTC_CODEC_AV1;
    static constexpr int32_t rank = VTC_RANK_SECONDARY;

    /// Fills @p caps with what libSvtAv1Enc can do; throws VTC_ERR_UNSUPPORTED
    /// when the library found at run time is not the series this was built for.
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps);

    /// Validates @p config and starts an SVT-AV1 encoder. Both references stay
    /// valid for the object's life (the SDK guarantees it).
    SvtAv1Encoder(const vtc_host &host, const vtc_encoder_config &config);
    ~SvtAv1Encoder();
    SvtAv1Encoder(const SvtAv1Encoder &) = delete;
    SvtAv1Encoder &operator=(const SvtAv1Encoder &) = delete;

    /// The sequence header OBU. Before the first key frame is out this is the
    /// header libSvtAv1Enc predicts at init; once the first key frame is out it
    /// is the header actually written in the stream (1.4.1 predicts some
    /// coding-tool flags differently). Every returned span stays valid until
    /// destruction.
    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

private:
    struct FrameTiming {
        int64_t pts = 0;
        int64_t duration = 0;
    };
    struct Packet {
        std::vector<uint8_t> data;
        int64_t pts = 0;
        int64_t duration = 0;
        bool keyframe = false;
    };

    void log(int32_t level, const std::string &message) const;
    void check_cancelled() const;
    void copy_into_staging(const vtc_frame &frame);
    void submit_staging(uint32_t flags, int64_t index);
    void send_end_of_stream();
    /// Moves finished packets from SVT-AV1 into ready_. Non-blocking: takes
    /// what is there. Blocking (only after end of stream was sent): waits for
    /// exactly one packet, so cancellation can be checked between waits.
    void collect(bool blocking);
    void take(EbBufferHeaderType &buffer);
    void shut_down() noexcept;

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    EbComponentType *handle_ = nullptr;
    bool svt_initialised_ = false;
    uint32_t bit_depth_ = 8;
    int64_t default_duration_ = 0;

    std::vector<uint8_t> staging_[3];       // the frame repacked with tight strides
    std::vector<uint8_t> predicted_header_; // sequence header OBU from svt_av1_enc_stream_header
    std::vector<uint8_t> stream_header_;    // sequence header OBU seen in the first key frame

    std::map<int64_t, FrameTiming> in_flight_; // keyed by the index handed to SVT as its pts
    int64_t next_index_ = 0;
    std::deque<Packet> ready_;
    Packet current_;        // the packet last returned; its data stays valid until the next call
    bool eos_sent_ = false; // SVT was told that no more frames come
    bool eos_received_ = false; // SVT returned its last packet
};

} // namespace vtc::plugins::svtav1
