// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later
#include "x265_encoder.hpp"

#include <x265.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <numeric>
#include <string>
#include <string_view>

namespace vtc::x265_plugin {
namespace {

using vtc::sdk::fail;

// HEVC level 6.2, the largest, allows MaxLumaPs = 35 651 584 luma samples per
// picture and at most sqrt(8 * MaxLumaPs) = 16888 in either dimension.
constexpr uint64_t kMaxLumaSamples = 35651584;
constexpr uint32_t kMaxDimension = 16888;
// x265 needs the picture to hold one CTU; the smallest CTU is 16x16.
constexpr uint32_t kMinDimension = 16;
constexpr int32_t kMaxQuality = 51;

// HEVC NAL unit types (ITU-T H.265 table 7-1).
constexpr uint32_t kNalIdrWithLeading = 19;
constexpr uint32_t kNalIdrNoLeading = 20;
constexpr uint32_t kNalVps = 32;
constexpr uint32_t kNalSps = 33;
constexpr uint32_t kNalPps = 34;

// The x265 interface for one internal bit depth, or NULL. The structs this
// plugin reads and writes must have the size it was compiled with.
const x265_api *api_for(int bit_depth) {
    int error = X265_API_QUERY_ERR_NONE;
    const x265_api *api = x265_api_query(bit_depth, X265_BUILD, &error);
    if (api == nullptr || error != X265_API_QUERY_ERR_NONE ||
        api->api_major_version != X265_MAJOR_VERSION || api->bit_depth != bit_depth ||
        api->sizeof_param != static_cast<int>(sizeof(x265_param)) ||
        api->sizeof_picture != static_cast<int>(sizeof(x265_picture)) ||
        api->sizeof_stats != static_cast<int>(sizeof(x265_stats))) {
        return nullptr;
    }
    return api;
}

struct Apis {
    const x265_api *main = nullptr;   // 8-bit
    const x265_api *main10 = nullptr; // 10-bit
};

// Asked once per process: the answer cannot change while libx265 is loaded.
const Apis &apis() {
    static const Apis found{api_for(8), api_for(10)};
    return found;
}

std::string join(const char *const *names) {
    std::string out;
    for (size_t i = 0; names[i] != nullptr; ++i) {
        out += (i == 0 ? "" : ", ");
        out += names[i];
    }
    return out;
}

bool is_one_of(std::string_view value, const char *const *names) {
    for (size_t i = 0; names[i] != nullptr; ++i) {
        if (value == names[i]) {
            return true;
        }
    }
    return false;
}

int to_int(uint64_t value, const char *what) {
    if (value > static_cast<uint64_t>(INT_MAX)) {
        fail(VTC_ERR_INVALID_ARG, std::string(what) + " is too large");
    }
    return static_cast<int>(value);
}

// The subset of H.273 code points x265 writes (its parameter check refuses the
// rest); vtc::sdk::validate_config() has kept the value within 0..255.
void check_color_code(int32_t value, int32_t x265_max, const char *what) {
    if (value > x265_max || value == 3) {
        fail(VTC_ERR_UNSUPPORTED, std::string(what) + " " + std::to_string(value) +
                                      " is not one x265 can signal (0.." +
                                      std::to_string(x265_max) + ", not 3)");
    }
}

// What the config asks for, checked, before any x265 call. The SDK's
// create() already ran vtc::sdk::validate_config(), so every value here is one
// the ABI allows; what is left is what x265 and HEVC can do with it.
struct Plan {
    int input_bit_depth = 8;
    int internal_bit_depth = 8;
    const x265_api *api = nullptr;
};

Plan validate(const vtc_encoder_config &config) {
    Plan plan;
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "x265 takes frames in system memory only (memory_type " +
                                      std::to_string(config.memory_type) + ")");
    }
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
        break;
    case VTC_PIXEL_FORMAT_I420_10:
        plan.input_bit_depth = 10;
        break;
    default: // NV12, P010, or a format of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED, "x265 takes planar 4:2:0 only: send I420 or I420_10");
    }
    switch (config.profile) {
    case VTC_PROFILE_UNSET:
        plan.internal_bit_depth = plan.input_bit_depth;
        break;
    case VTC_PROFILE_HEVC_MAIN:
        if (plan.input_bit_depth != 8) {
            fail(VTC_ERR_UNSUPPORTED, "HEVC Main is 8-bit; 10-bit input needs Main10");
        }
        plan.internal_bit_depth = 8;
        break;
    // Main10 from 8-bit input is fine: x265 shifts the samples up itself.
    case VTC_PROFILE_HEVC_MAIN10:
        plan.internal_bit_depth = 10;
        break;
    default: // an HEVC profile of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED,
             "x265 does not offer HEVC profile " + std::to_string(config.profile));
    }
    plan.api = plan.internal_bit_depth == 8 ? apis().main : apis().main10;
    if (plan.api == nullptr) {
        fail(VTC_ERR_UNSUPPORTED, "this libx265 has no " + std::to_string(plan.internal_bit_depth) +
                                      "-bit encoder (x265_api_query)");
    }

    if (config.width % 2 != 0 || config.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, "4:2:0 HEVC needs an even width and height, not " +
                                      std::to_string(config.width) + "x" +
                                      std::to_string(config.height));
    }
    if (config.width < kMinDimension || config.height < kMinDimension) {
        fail(VTC_ERR_UNSUPPORTED, "x265 needs at least 16x16 (one CTU), not " +
                                      std::to_string(config.width) + "x" +
                                      std::to_string(config.height));
    }
    if (config.width > kMaxDimension || config.height > kMaxDimension ||
        uint64_t{config.width} * config.height > kMaxLumaSamples) {
        fail(VTC_ERR_UNSUPPORTED, std::to_string(config.width) + "x" +
                                      std::to_string(config.height) +
                                      " is larger than HEVC level 6.2 allows");
    }

    if (config.quality != VTC_QUALITY_DEFAULT &&
        (config.quality < 0 || config.quality > kMaxQuality)) {
        fail(VTC_ERR_INVALID_ARG,
             "quality " + std::to_string(config.quality) + " is outside x265's 0..51");
    }
    if (config.max_b_frames > X265_BFRAME_MAX) {
        fail(VTC_ERR_UNSUPPORTED, "x265 allows at most 16 consecutive B-frames, not " +
                                      std::to_string(config.max_b_frames));
    }
    check_color_code(config.color_primaries, 12, "color_primaries");
    check_color_code(config.color_transfer, 18, "color_transfer");
    check_color_code(config.color_matrix, 14, "color_matrix");
    return plan;
}

void apply_rate_control(const vtc_encoder_config &config, x265_param &param) {
    const bool has_quality = config.quality != VTC_QUALITY_DEFAULT;
    // VLog's "-maxrate B -bufsize 2B": an unset buffer holds two seconds.
    auto vbv_buffer = [&](uint32_t max_kbps) {
        return to_int(config.vbv_buffer_kbits != 0 ? uint64_t{config.vbv_buffer_kbits}
                                                   : uint64_t{max_kbps} * 2,
                      "vbv_buffer_kbits");
    };
    switch (config.rate_control) {
    case VTC_RATE_CONTROL_CQP:
        param.rc.rateControlMode = X265_RC_CQP;
        if (has_quality) {
            param.rc.qp = config.quality;
        }
        break;
    case VTC_RATE_CONTROL_CRF:
    case VTC_RATE_CONTROL_CAPPED_CRF:
        param.rc.rateControlMode = X265_RC_CRF;
        if (has_quality) {
            param.rc.rfConstant = config.quality;
        }
        if (config.rate_control == VTC_RATE_CONTROL_CAPPED_CRF) {
            param.rc.vbvMaxBitrate = to_int(config.max_bitrate_kbps, "max_bitrate_kbps");
            param.rc.vbvBufferSize = vbv_buffer(config.max_bitrate_kbps);
        }
        break;
    case VTC_RATE_CONTROL_VBR:
        param.rc.rateControlMode = X265_RC_ABR;
        param.rc.bitrate = to_int(config.bitrate_kbps, "bitrate_kbps");
        if (config.max_bitrate_kbps != 0) {
            param.rc.vbvMaxBitrate = to_int(config.max_bitrate_kbps, "max_bitrate_kbps");
            param.rc.vbvBufferSize = vbv_buffer(config.max_bitrate_kbps);
        }
        break;
    case VTC_RATE_CONTROL_CBR:
        param.rc.rateControlMode = X265_RC_ABR;
        param.rc.bitrate = to_int(config.bitrate_kbps, "bitrate_kbps");
        param.rc.vbvMaxBitrate = param.rc.bitrate;
        param.rc.vbvBufferSize = vbv_buffer(config.bitrate_kbps);
        param.rc.bStrictCbr = 1;
        break;
    default: // a mode of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED,
             "x265 does not offer rate_control " + std::to_string(config.rate_control));
    }
}

void apply_vui(const vtc_encoder_config &config, x265_param &param) {
    if (config.sample_aspect_ratio.num > 0 && config.sample_aspect_ratio.den > 0) {
        const int32_t divisor =
            std::gcd(config.sample_aspect_ratio.num, config.sample_aspect_ratio.den);
        const int32_t sar_w = config.sample_aspect_ratio.num / divisor;
        const int32_t sar_h = config.sample_aspect_ratio.den / divisor;
        if (sar_w > 65535 || sar_h > 65535) {
            fail(VTC_ERR_UNSUPPORTED, "sample_aspect_ratio " + std::to_string(sar_w) + ":" +
                                          std::to_string(sar_h) +
                                          " does not fit the 16-bit VUI fields");
        }
        param.vui.aspectRatioIdc = X265_EXTENDED_SAR;
        param.vui.sarWidth = sar_w;
        param.vui.sarHeight = sar_h;
    }
    const bool has_colour =
        config.color_primaries != 2 || config.color_transfer != 2 || config.color_matrix != 2;
    if (has_colour || config.color_range != 0) {
        param.vui.bEnableVideoSignalTypePresentFlag = 1;
        param.vui.videoFormat = 5; // unspecified
        param.vui.bEnableVideoFullRangeFlag = config.color_range == 2 ? 1 : 0;
    }
    if (has_colour) {
        param.vui.bEnableColorDescriptionPresentFlag = 1;
        param.vui.colorPrimaries = config.color_primaries;
        param.vui.transferCharacteristics = config.color_transfer;
        param.vui.matrixCoeffs = config.color_matrix;
    }
}

// x265 needs the picture to hold one CTU (64x64 in most presets); small
// pictures get the largest CTU that fits instead of a refusal.
void fit_ctu(const vtc_encoder_config &config, x265_param &param) {
    const uint32_t smaller = std::min(config.width, config.height);
    while (param.maxCUSize > kMinDimension && param.maxCUSize > smaller) {
        param.maxCUSize /= 2;
    }
    param.minCUSize = std::min(param.minCUSize, param.maxCUSize);
}

// Applies `options` one at a time through x265's own parser; refuses unknown
// keys, bad values, and values that would break what the ABI promises.
void apply_options(const x265_api &api, const std::vector<vtc::sdk::Option> &options,
                   const vtc_encoder_config &config, const Plan &plan, x265_param &param) {
    for (const vtc::sdk::Option &option : options) {
        if (option.key == "tune") {
            continue; // applied with the preset
        }
        const int rc = api.param_parse(&param, option.key.c_str(), option.value.c_str());
        if (rc == X265_PARAM_BAD_NAME) {
            std::string hint;
            if (option.key == "preset" || option.key == "profile") {
                hint = " (set it in vtc_encoder_config::" + option.key + ")";
            }
            fail(VTC_ERR_INVALID_ARG, "unknown x265 option '" + option.key + "'" + hint);
        }
        if (rc != 0) {
            fail(VTC_ERR_INVALID_ARG,
                 "bad value '" + option.value + "' for x265 option '" + option.key + "'");
        }
        const char *broken = nullptr;
        if (param.bAnnexB != 1) {
            broken = "Annex B output";
        } else if (param.bRepeatHeaders != 1) {
            broken = "VPS/SPS/PPS on every keyframe";
        } else if ((config.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) != 0 && param.bOpenGOP != 0) {
            broken = "closed GOPs (VTC_ENCODER_CONFIG_CLOSED_GOP)";
        } else if (param.bField != 0) {
            // Field coding turns each frame into two pictures and two packets.
            broken = "one access unit per frame";
        } else if (param.logLevel != X265_LOG_NONE) {
            broken = "a silent plugin (x265 logs to stderr only)";
        } else if (param.sourceWidth != static_cast<int>(config.width) ||
                   param.sourceHeight != static_cast<int>(config.height) ||
                   param.internalCsp != X265_CSP_I420 ||
                   param.internalBitDepth != plan.internal_bit_depth) {
            broken = "the configured picture size and format";
        }
        if (broken != nullptr) {
            fail(VTC_ERR_INVALID_ARG,
                 "x265 option '" + option.key + "=" + option.value + "' conflicts with " + broken);
        }
    }
}

} // namespace

void X265Encoder::query_caps(const vtc_host &, vtc_encoder_caps &caps) {
    const Apis &found = apis();
    if (found.main == nullptr && found.main10 == nullptr) {
        fail(VTC_ERR_UNSUPPORTED, "libx265 offers neither an 8-bit nor a 10-bit encoder "
                                  "compatible with X265_BUILD " +
                                      std::to_string(X265_BUILD));
    }
    if (found.main != nullptr) {
        caps.bit_depths |= VTC_BIT_DEPTH_8;
        caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN));
    }
    if (found.main10 != nullptr) {
        caps.bit_depths |= VTC_BIT_DEPTH_10;
        caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN10));
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420_10);
    }
    // 8-bit input feeds Main, and Main10 too (x265 shifts it up).
    caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420);
    caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
    caps.rate_control_modes =
        static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                              VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF) | VTC_BIT(VTC_RATE_CONTROL_VBR) |
                              VTC_BIT(VTC_RATE_CONTROL_CBR));
    caps.min_width = kMinDimension;
    caps.min_height = kMinDimension;
    caps.max_width = kMaxDimension;
    caps.max_height = kMaxDimension;
    caps.size_alignment = 2;
    caps.max_sessions = 0;
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_B_FRAMES |
                 VTC_ENCODER_CAP_EXTRADATA | VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_THREADS;
}

X265Encoder::X265Encoder(const vtc_host &host, const vtc_encoder_config &config)
    : host_(host), config_(config) {
    const Plan plan = validate(config);
    api_ = plan.api;
    input_bit_depth_ = plan.input_bit_depth;

    const std::vector<vtc::sdk::Option> options = vtc::sdk::parse_options(config.options);
    std::string tune;
    for (const vtc::sdk::Option &option : options) {
        if (option.key == "tune") {
            tune = option.value;
        }
    }
    if (!tune.empty() && !is_one_of(tune, x265_tune_names)) {
        fail(VTC_ERR_INVALID_ARG,
             "unknown x265 tune '" + tune + "' (expected one of " + join(x265_tune_names) + ")");
    }
    const std::string preset = config.preset != nullptr ? config.preset : "medium";
    if (!is_one_of(preset, x265_preset_names)) {
        fail(VTC_ERR_INVALID_ARG, "unknown x265 preset '" + preset + "' (expected one of " +
                                      join(x265_preset_names) + ")");
    }

    // From here on every early exit must free what x265 allocated.
    try {
        param_ = api_->param_alloc();
        if (param_ == nullptr) {
            fail(VTC_ERR_NO_MEMORY, "x265_param_alloc failed");
        }
        x265_param &param = *param_;
        if (api_->param_default_preset(param_, preset.c_str(),
                                       tune.empty() ? nullptr : tune.c_str()) < 0) {
            fail(VTC_ERR_INVALID_ARG,
                 "x265 refused preset '" + preset + "' with tune '" + tune + "'");
        }
        param.logLevel = X265_LOG_NONE;
        param.sourceWidth = static_cast<int>(config.width);
        param.sourceHeight = static_cast<int>(config.height);
        param.internalCsp = X265_CSP_I420;
        param.internalBitDepth = plan.internal_bit_depth;
        fit_ctu(config, param);

        if (config.thread_count == 1) {
            // No pool at all: x265 then encodes on the calling thread.
            pools_ = "none";
            param.frameNumThreads = 1;
        } else if (config.thread_count > 1) {
            pools_ = std::to_string(config.thread_count);
        }
        // x265 keeps the pointer, not a copy; pools_ outlives the encoder.
        if (!pools_.empty()) {
            param.numaPools = pools_.c_str();
        }

        if (config.frame_rate.num > 0) {
            param.fpsNum = static_cast<uint32_t>(config.frame_rate.num);
            param.fpsDenom = static_cast<uint32_t>(config.frame_rate.den);
            const int64_t ticks = int64_t{config.time_base.den} * config.frame_rate.den;
            const int64_t per = int64_t{config.time_base.num} * config.frame_rate.num;
            default_duration_ = (ticks + per / 2) / per;
        } else {
            // x265 has no variable-rate mode: its rate control needs a nominal
            // rate. Use the time base when it looks like one, else 25 fps, and
            // keep that guess out of the VUI.
            const int32_t ticks_per_second = config.time_base.den / config.time_base.num;
            const bool plausible = ticks_per_second >= 1 && ticks_per_second <= 240 &&
                                   config.time_base.den % config.time_base.num == 0;
            param.fpsNum = plausible ? static_cast<uint32_t>(ticks_per_second) : 25u;
            param.fpsDenom = 1;
            param.bEmitVUITimingInfo = 0;
        }
        if (config.max_keyframe_interval != 0) {
            param.keyframeMax =
                static_cast<int>(std::min<uint32_t>(config.max_keyframe_interval, INT_MAX));
        }
        if (config.max_b_frames != VTC_B_FRAMES_DEFAULT) {
            param.bframes = config.max_b_frames;
        }
        if ((config.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) != 0) {
            param.bOpenGOP = 0;
        }
        apply_rate_control(config, param);
        apply_vui(config, param);
        param.bAnnexB = 1;
        param.bRepeatHeaders = 1;

        apply_options(*api_, options, config, plan, param);
        if (config.profile != VTC_PROFILE_UNSET) {
            const char *name = config.profile == VTC_PROFILE_HEVC_MAIN ? "main" : "main10";
            if (api_->param_apply_profile(param_, name) < 0) {
                fail(VTC_ERR_UNSUPPORTED, std::string("x265 cannot fit these settings into "
                                                      "HEVC profile ") +
                                              name);
            }
        }

        encoder_ = api_->encoder_open(param_);
        if (encoder_ == nullptr) {
            fail(VTC_ERR_INVALID_ARG,
                 "x265_encoder_open refused the settings (x265 explains only on stderr, which "
                 "plugins keep closed; check the options)");
        }

        x265_nal *nals = nullptr;
        uint32_t nal_count = 0;
        if (api_->encoder_headers(encoder_, &nals, &nal_count) < 0) {
            fail(VTC_ERR_INTERNAL, "x265_encoder_headers failed");
        }
        // Only the parameter sets go out of band; x265's SEI (its version and
        // settings) stays in the first keyframe packet.
        for (uint32_t i = 0; i < nal_count; ++i) {
            if (nals[i].type == kNalVps || nals[i].type == kNalSps || nals[i].type == kNalPps) {
                extradata_.insert(extradata_.end(), nals[i].payload,
                                  nals[i].payload + nals[i].sizeBytes);
            }
        }

        input_ = api_->picture_alloc();
        output_ = api_->picture_alloc();
        if (input_ == nullptr || output_ == nullptr) {
            fail(VTC_ERR_NO_MEMORY, "x265_picture_alloc failed");
        }
        api_->picture_init(param_, input_);
        api_->picture_init(param_, output_);

        char rate[96];
        switch (param_->rc.rateControlMode) {
        case X265_RC_CQP:
            std::snprintf(rate, sizeof rate, "qp %d", param_->rc.qp);
            break;
        case X265_RC_CRF:
            std::snprintf(rate, sizeof rate, "crf %.1f", param_->rc.rfConstant);
            break;
        default:
            std::snprintf(rate, sizeof rate, "%d kbps", param_->rc.bitrate);
            break;
        }
        std::string summary = std::to_string(config.width) + "x" + std::to_string(config.height) +
                              (plan.internal_bit_depth == 10 ? " Main10" : " Main") + " from " +
                              std::to_string(plan.input_bit_depth) + "-bit input, preset " +
                              preset + ", " + rate;
        if (param_->rc.vbvMaxBitrate > 0) {
            summary += ", vbv " + std::to_string(param_->rc.vbvMaxBitrate) + " kbps / " +
                       std::to_string(param_->rc.vbvBufferSize) + " kbit";
        }
        vtc::sdk::log(&host_, VTC_LOG_INFO,
                      std::string("x265 ") + api_->version_str + ": " + summary);
    } catch (...) {
        release();
        throw;
    }
}

X265Encoder::~X265Encoder() {
    if (encoder_ != nullptr && host_.log_level >= VTC_LOG_DEBUG) {
        x265_stats stats{};
        api_->encoder_get_stats(encoder_, &stats, sizeof stats);
        char line[160];
        std::snprintf(line, sizeof line, "x265: %u pictures encoded, %.1f kbps",
                      stats.encodedPictureCount, stats.bitrate);
        vtc::sdk::log(&host_, VTC_LOG_DEBUG, line);
    }
    release();
}

void X265Encoder::release() noexcept {
    if (encoder_ != nullptr) {
        api_->encoder_close(encoder_);
        encoder_ = nullptr;
    }
    if (input_ != nullptr) {
        api_->picture_free(input_);
        input_ = nullptr;
    }
    if (output_ != nullptr) {
        api_->picture_free(output_);
        output_ = nullptr;
    }
    if (param_ != nullptr) {
        api_->param_free(param_);
        param_ = nullptr;
    }
}

std::span<const uint8_t> X265Encoder::extradata() {
    return extradata_;
}

void X265Encoder::check_cancelled() const {
    if (vtc::sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
}

vtc_status X265Encoder::send_frame(const vtc_frame &frame) {
    if (has_packet_) {
        return VTC_OUTPUT_PENDING;
    }
    check_cancelled();

    // The adapter checked size and format; x265 reads rows top-down only.
    vtc::sdk::check_frame_planes(frame, config_, vtc::sdk::StrideSign::positive);

    api_->picture_init(param_, input_);
    input_->colorSpace = X265_CSP_I420;
    input_->bitDepth = input_bit_depth_;
    for (int i = 0; i < 3; ++i) {
        // x265 copies the picture into its own buffers during the call.
        input_->planes[i] = const_cast<uint8_t *>(frame.planes[i]);
        input_->stride[i] = frame.strides[i];
    }
    input_->pts = frame.pts;
    input_->sliceType =
        (frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0 ? X265_TYPE_IDR : X265_TYPE_AUTO;
    durations_[frame.pts] = frame.duration > 0 ? frame.duration : default_duration_;
    encode(input_);
    return VTC_OK;
}

void X265Encoder::drain() {
    draining_ = true;
}

vtc_status X265Encoder::receive_packet(vtc_packet &packet) {
    // x265 returns nothing (0) once the flush has emptied it.
    while (!has_packet_ && draining_ && !flushed_) {
        check_cancelled();
        encode(nullptr);
    }
    if (!has_packet_) {
        return VTC_NEED_INPUT; // the adapter turns this into END_OF_STREAM after drain()
    }
    has_packet_ = false;
    packet.flags = packet_.flags;
    packet.data = packet_data_.data();
    packet.size = packet_data_.size();
    packet.pts = packet_.pts;
    packet.dts = packet_.dts;
    packet.duration = packet_.duration;
    return VTC_OK;
}

void X265Encoder::encode(x265_picture *input) {
    x265_nal *nals = nullptr;
    uint32_t nal_count = 0;
    const int rc = api_->encoder_encode(encoder_, &nals, &nal_count, input, output_);
    if (rc < 0) {
        fail(VTC_ERR_INTERNAL, "x265_encoder_encode failed");
    }
    if (rc == 0 || nal_count == 0) {
        if (input == nullptr) {
            flushed_ = true;
        }
        return;
    }
    // x265 guarantees the NAL payloads of one call are contiguous.
    const uint8_t *start = nals[0].payload;
    const uint8_t *end = nals[nal_count - 1].payload + nals[nal_count - 1].sizeBytes;
    packet_data_.assign(start, end);
    bool idr = false;
    bool referenced = false;
    for (uint32_t i = 0; i < nal_count; ++i) {
        const uint32_t type = nals[i].type;
        if (type == kNalIdrWithLeading || type == kNalIdrNoLeading) {
            idr = true;
        }
        // VCL types below 16 with an even number are sub-layer non-reference
        // pictures (TRAIL_N, TSA_N, ...); x265 uses a single temporal layer.
        if (type < 32 && !(type < 16 && type % 2 == 0)) {
            referenced = true;
        }
    }
    packet_ = vtc_packet{};
    packet_.flags = (idr ? VTC_PACKET_KEYFRAME : 0u) | (referenced ? 0u : VTC_PACKET_DISPOSABLE);
    packet_.pts = output_->pts;
    packet_.dts = output_->dts;
    if (auto it = durations_.find(output_->pts); it != durations_.end()) {
        packet_.duration = it->second;
        durations_.erase(it);
    }
    has_packet_ = true;
}

} // namespace vtc::x265_plugin
