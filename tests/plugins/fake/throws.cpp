// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-throws.so: an SDK plugin whose encoder constructor throws a plain
// std::runtime_error. The SDK's trampoline must turn it into VTC_ERR_INTERNAL
// with the exception's text; nothing may cross the C boundary.
#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <stdexcept>

namespace {

class ThrowingEncoder {
public:
    static constexpr const char *id = "throws-h264";
    static constexpr const char *description = "fake encoder whose create() throws";
    static constexpr int32_t codec = VTC_CODEC_H264;
    static constexpr int32_t rank = VTC_RANK_MARGINAL;

    static void query_caps(const vtc_host &, vtc_encoder_caps &caps) {
        caps.bit_depths = VTC_BIT_DEPTH_8;
        caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420);
        caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
        caps.rate_control_modes = VTC_BIT(VTC_RATE_CONTROL_CRF);
        caps.min_width = 16;
        caps.min_height = 16;
        caps.max_width = 1920;
        caps.max_height = 1080;
    }

    ThrowingEncoder(const vtc_host &, const vtc_encoder_config &) {
        throw std::runtime_error("boom from create");
    }

    std::span<const uint8_t> extradata() { return {}; }
    vtc_status send_frame(const vtc_frame &) { return VTC_OK; }
    void drain() {}
    vtc_status receive_packet(vtc_packet &) { return VTC_NEED_INPUT; }
};

} // namespace

VTC_PLUGIN_DEFINE(throws, "1.0.0", "MIT", "fake plugin whose create() throws", ThrowingEncoder)
