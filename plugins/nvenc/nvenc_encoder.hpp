// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// NVENC encoders behind the plugin ABI, written against the SDK
// (vtc_plugin_sdk.hpp) and the NVENC API itself (nv-codec-headers), not
// libavcodec. One class holds the logic; thin subclasses name each codec.
#pragma once

#include "nvenc_driver.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vtc::nvenc_plugin {

/// One NVENC encoder instance: a CUDA context of its own on the configured
/// device, a session in synchronous mode, system-memory input buffers (frames
/// are converted to NV12 / P010 while they are copied in) and bitstream
/// buffers. See vtc_plugin_sdk.hpp for the contract of each member.
class NvencEncoder {
public:
    /// Opens device 0 and a session to read NV_ENC_CAPS_* for @p codec.
    static void query_caps_for(int32_t codec, const vtc_host &host, vtc_encoder_caps &caps);

    NvencEncoder(const vtc_host &host, const vtc_encoder_config &config);
    ~NvencEncoder();
    NvencEncoder(const NvencEncoder &) = delete;
    NvencEncoder &operator=(const NvencEncoder &) = delete;

    /// The parameter sets from nvEncGetSequenceParams, read right after
    /// initialisation.
    std::span<const uint8_t> extradata();
    vtc_status send_frame(const vtc_frame &frame);
    void drain();
    vtc_status receive_packet(vtc_packet &packet);

private:
    // One input buffer and the bitstream buffer its picture is encoded into.
    struct Slot {
        NV_ENC_INPUT_PTR input = nullptr;
        NV_ENC_OUTPUT_PTR output = nullptr;
    };

    void create_buffers(size_t count);
    void destroy_buffers() noexcept;
    void copy_into(const vtc_frame &frame, NV_ENC_INPUT_PTR input, uint32_t &pitch);
    void check_cancelled() const;
    // Moves every submitted slot to ready_ after the driver said SUCCESS: in
    // synchronous mode all bitstream buffers handed over so far are then
    // complete, filled in coding order.
    void mark_submitted_ready();

    const vtc_host &host_;
    const vtc_encoder_config &config_;
    const Driver &driver_;
    std::unique_ptr<CudaContext> context_;
    std::unique_ptr<Session> session_;

    GUID codec_guid_{};
    NV_ENC_BUFFER_FORMAT buffer_format_ = NV_ENC_BUFFER_FORMAT_NV12;
    bool ten_bit_ = false;
    bool b_frames_disposable_ = false;
    int64_t default_duration_ = 1;
    int64_t reorder_delay_ = 0; // B-frames between anchors: how far dts trails
    std::vector<uint8_t> extradata_;

    std::vector<Slot> slots_;
    std::deque<size_t> free_;      // slots not in use
    std::deque<size_t> submitted_; // encoded with NEED_MORE_INPUT, not yet complete
    std::deque<size_t> ready_;     // complete, in coding order
    bool draining_ = false;
    bool eos_sent_ = false;

    // Input pts in submission order (increasing) for the dts of output k,
    // and frame durations by pts.
    std::deque<int64_t> input_pts_;
    int64_t outputs_ = 0;
    int64_t first_pts_ = 0;
    std::map<int64_t, int64_t> durations_;
    std::vector<uint8_t> packet_data_;
};

/// H.264 8-bit (Baseline, Main, High).
class NvencH264 : public NvencEncoder {
public:
    static constexpr const char *id = "nvenc-h264";
    static constexpr const char *description = "NVIDIA NVENC H.264 / AVC hardware encoder";
    static constexpr int32_t codec = VTC_CODEC_H264;
    static constexpr int32_t rank = VTC_RANK_PRIMARY;
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps) {
        query_caps_for(codec, host, caps);
    }
    NvencH264(const vtc_host &host, const vtc_encoder_config &config)
        : NvencEncoder(host, config) {}
};

/// HEVC Main (NV12) and Main10 (P010).
class NvencHevc : public NvencEncoder {
public:
    static constexpr const char *id = "nvenc-hevc";
    static constexpr const char *description = "NVIDIA NVENC HEVC / H.265 hardware encoder";
    static constexpr int32_t codec = VTC_CODEC_HEVC;
    static constexpr int32_t rank = VTC_RANK_PRIMARY;
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps) {
        query_caps_for(codec, host, caps);
    }
    NvencHevc(const vtc_host &host, const vtc_encoder_config &config)
        : NvencEncoder(host, config) {}
};

#if NVENCAPI_MAJOR_VERSION >= 12
// AV1 came with NVENC API 12 (Ada GPUs); built only against those headers.
#define VTC_NVENC_HAS_AV1 1
/// AV1 Main, 8- and 10-bit.
class NvencAv1 : public NvencEncoder {
public:
    static constexpr const char *id = "nvenc-av1";
    static constexpr const char *description = "NVIDIA NVENC AV1 hardware encoder";
    static constexpr int32_t codec = VTC_CODEC_AV1;
    static constexpr int32_t rank = VTC_RANK_PRIMARY;
    static void query_caps(const vtc_host &host, vtc_encoder_caps &caps) {
        query_caps_for(codec, host, caps);
    }
    NvencAv1(const vtc_host &host, const vtc_encoder_config &config) : NvencEncoder(host, config) {}
};
#endif

} // namespace vtc::nvenc_plugin
