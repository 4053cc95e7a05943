// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-good.so: a well-behaved plugin written with the SDK, for the loader,
// registry and session tests. Two encoders with different caps and ranks;
// each frame becomes one packet whose payload is a tag plus the frame's pts,
// held back by one frame (like a B-frame encoder) so drain() matters.
#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

class FakeEncoderBase {
public:
    FakeEncoderBase(const vtc_host &host, const vtc_encoder_config &config, const char *id)
        : host_(host) {
        const void *marker = host.get_service(host.ctx, "vtc.test.marker");
        vtc::sdk::log(&host, VTC_LOG_INFO,
                      std::string(id) + " created " + std::to_string(config.width) + "x" +
                          std::to_string(config.height) + ", test marker service " +
                          (marker != nullptr ? "present" : "absent"));
    }

    std::span<const uint8_t> extradata() { return extradata_; }

    vtc_status send_frame(const vtc_frame &frame) {
        if (vtc::sdk::is_cancelled(&host_)) {
            vtc::sdk::fail(VTC_ERR_CANCELLED, "cancelled by the host");
        }
        if (ready_) {
            return VTC_OUTPUT_PENDING;
        }
        if (held_) {
            ready_ = held_;
        }
        held_ = Pending{frame.pts, frames_ == 0 || (frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0};
        ++frames_;
        return VTC_OK;
    }

    void drain() {
        if (!ready_ && held_) {
            ready_ = held_;
            held_.reset();
        }
        draining_ = true;
    }

    vtc_status receive_packet(vtc_packet &packet) {
        if (!ready_) {
            if (draining_ && held_) {
                ready_ = held_;
                held_.reset();
            } else {
                return VTC_NEED_INPUT; // the SDK turns this into END_OF_STREAM after drain()
            }
        }
        payload_.assign({'G', 'O', 'O', 'D'});
        for (int i = 0; i < 8; ++i) {
            payload_.push_back(static_cast<uint8_t>(static_cast<uint64_t>(ready_->pts) >> (8 * i)));
        }
        packet.flags = ready_->keyframe ? VTC_PACKET_KEYFRAME : 0;
        packet.data = payload_.data();
        packet.size = payload_.size();
        packet.pts = ready_->pts;
        packet.dts = ready_->pts;
        packet.duration = 1;
        ready_.reset();
        return VTC_OK;
    }

private:
    struct Pending {
        int64_t pts;
        bool keyframe;
    };

    const vtc_host &host_;
    std::optional<Pending> held_;
    std::optional<Pending> ready_;
    bool draining_ = false;
    int64_t frames_ = 0;
    std::vector<uint8_t> payload_;
    std::array<uint8_t, 8> extradata_ = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f};
};

class GoodH264 : public FakeEncoderBase {
public:
    static constexpr const char *id = "good-h264";
    static constexpr const char *description = "good fake H.264 encoder";
    static constexpr int32_t codec = VTC_CODEC_H264;
    static constexpr int32_t rank = VTC_RANK_SECONDARY;

    static void query_caps(const vtc_host &, vtc_encoder_caps &caps) {
        caps.profiles = VTC_BIT(VTC_PROFILE_H264_MAIN) | VTC_BIT(VTC_PROFILE_H264_HIGH);
        caps.bit_depths = VTC_BIT_DEPTH_8;
        caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
        caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
        caps.rate_control_modes =
            VTC_BIT(VTC_RATE_CONTROL_CRF) | VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF);
        caps.min_width = 16;
        caps.min_height = 16;
        caps.max_width = 1920;
        caps.max_height = 1088;
        caps.size_alignment = 2;
        caps.flags =
            VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA | VTC_ENCODER_CAP_B_FRAMES;
    }

    GoodH264(const vtc_host &host, const vtc_encoder_config &config)
        : FakeEncoderBase(host, config, id) {}
};

class GoodHevc : public FakeEncoderBase {
public:
    static constexpr const char *id = "good-hevc";
    static constexpr const char *description = "good fake HEVC encoder";
    static constexpr int32_t codec = VTC_CODEC_HEVC;
    static constexpr int32_t rank = VTC_RANK_MARGINAL;

    static void query_caps(const vtc_host &, vtc_encoder_caps &caps) {
        caps.profiles = VTC_BIT(VTC_PROFILE_HEVC_MAIN) | VTC_BIT(VTC_PROFILE_HEVC_MAIN10);
        caps.bit_depths = VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10;
        caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_I420_10);
        caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
        caps.rate_control_modes = VTC_BIT(VTC_RATE_CONTROL_CRF);
        caps.min_width = 64;
        caps.min_height = 64;
        caps.max_width = 8192;
        caps.max_height = 4320;
        caps.size_alignment = 8;
        caps.flags = VTC_ENCODER_CAP_THREADS;
    }

    GoodHevc(const vtc_host &host, const vtc_encoder_config &config)
        : FakeEncoderBase(host, config, id) {}
};

} // namespace

VTC_PLUGIN_DEFINE(good, "1.0.0", "MIT", "well-behaved fake plugin for loader tests", GoodH264,
                  GoodHevc)
