// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later
#include "x264_encoder.hpp"

// x264.h uses the fixed-width types without including <stdint.h> itself.
#include <cstdint>
#include <x264.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <string_view>

namespace vtc::x264_plugin {

struct LogSink {
    const vtc_host *host = nullptr;
    std::mutex mutex;
    std::string last_error;
};

namespace {

using vtc::sdk::fail;

// libx264 refuses wider or taller pictures in x264_encoder_open().
constexpr uint32_t kMaxDimension = 16384;
// The largest H.264 level (6.2) allows 139264 macroblocks per frame; x264 only
// warns beyond that and writes a stream no level describes, so refuse it here.
constexpr uint64_t kMaxMacroblocks = 139264;
// The ABI's quality scale for x264 (vtc_encoder_config::quality).
constexpr int32_t kMaxQuality = 51;
constexpr int32_t kMaxBFrames = 16; // X264_BFRAME_MAX in x264's common.h

// x264 prints through pf_log only once a param has one; a few helpers
// (preset, tune and profile parsing) print to stderr directly on bad input,
// so every value they see is validated here first.
void log_to_host(void *opaque, int level, const char *format, va_list args) {
    auto *sink = static_cast<LogSink *>(opaque);
    if (sink == nullptr || format == nullptr) {
        return;
    }
    // Called from C, possibly on an x264 worker thread: nothing may escape.
    try {
        char buffer[1024];
        va_list copy;
        va_copy(copy, args);
        const int length = std::vsnprintf(buffer, sizeof buffer, format, copy);
        va_end(copy);
        if (length < 0) {
            return;
        }
        std::string line(buffer, std::min<size_t>(static_cast<size_t>(length), sizeof buffer - 1));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        if (line.empty()) {
            return;
        }
        // x264's INFO lines are per-stream statistics; hosts keep INFO for
        // events, so they go one level down.
        int32_t host_level = VTC_LOG_TRACE;
        switch (level) {
        case X264_LOG_ERROR:
            host_level = VTC_LOG_ERROR;
            break;
        case X264_LOG_WARNING:
            host_level = VTC_LOG_WARNING;
            break;
        case X264_LOG_INFO:
            host_level = VTC_LOG_DEBUG;
            break;
        default:
            break;
        }
        if (level == X264_LOG_ERROR) {
            const std::lock_guard lock(sink->mutex);
            sink->last_error = line;
        }
        vtc::sdk::log(sink->host, host_level, line);
    } catch (...) {
    }
}

void discard_log(void *, int, const char *, va_list) {}

// x264's log level for a host that keeps messages up to `host_level`.
int x264_log_level(int32_t host_level) {
    if (host_level >= VTC_LOG_TRACE) {
        return X264_LOG_DEBUG;
    }
    if (host_level >= VTC_LOG_DEBUG) {
        return X264_LOG_INFO;
    }
    if (host_level >= VTC_LOG_WARNING) {
        return X264_LOG_WARNING;
    }
    return X264_LOG_ERROR;
}

bool can_open(int bit_depth) {
    x264_param_t param;
    if (x264_param_default_preset(&param, "ultrafast", nullptr) < 0) {
        return false;
    }
    param.pf_log = discard_log;
    param.i_log_level = X264_LOG_NONE;
    param.i_width = 16;
    param.i_height = 16;
    param.i_threads = 1;
    param.i_bitdepth = bit_depth;
    param.i_csp = X264_CSP_I420 | (bit_depth > 8 ? X264_CSP_HIGH_DEPTH : 0);
    x264_t *encoder = x264_encoder_open(&param);
    if (encoder == nullptr) {
        return false;
    }
    x264_encoder_close(encoder);
    return true;
}

// VTC_BIT_DEPTH_* this libx264 encodes. A build may hold 8-bit, 10-bit or
// both (X264_BIT_DEPTH 0, as Debian's), and the library loaded at run time
// may differ from the headers, so ask the library itself, once.
uint32_t supported_bit_depths() {
    static const uint32_t depths = [] {
        uint32_t found = 0;
        if (can_open(8)) {
            found |= VTC_BIT_DEPTH_8;
        }
        if (can_open(10)) {
            found |= VTC_BIT_DEPTH_10;
        }
        return found;
    }();
    return depths;
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

// x264 accepts a comma-separated tune list with at most one psychovisual tune.
void validate_tune(const std::string &tune) {
    int psy_tunes = 0;
    size_t start = 0;
    while (start <= tune.size()) {
        const size_t end = std::min(tune.find(',', start), tune.size());
        const std::string_view name = std::string_view(tune).substr(start, end - start);
        if (!is_one_of(name, x264_tune_names)) {
            fail(VTC_ERR_INVALID_ARG, "unknown x264 tune '" + std::string(name) +
                                          "' (expected one of " + join(x264_tune_names) + ")");
        }
        if (name != "fastdecode" && name != "zerolatency") {
            ++psy_tunes;
        }
        start = end + 1;
    }
    if (psy_tunes > 1) {
        fail(VTC_ERR_INVALID_ARG,
             "x264 tune '" + tune + "' combines more than one psychovisual tune");
    }
}

const char *profile_name(int32_t profile) {
    switch (profile) {
    case VTC_PROFILE_H264_BASELINE:
        return "baseline";
    case VTC_PROFILE_H264_MAIN:
        return "main";
    case VTC_PROFILE_H264_HIGH:
        return "high";
    case VTC_PROFILE_H264_HIGH10:
        return "high10";
    default:
        return nullptr;
    }
}

// Names the profile from the SPS's profile_idc, for the summary log line.
std::string describe_sps(const std::vector<uint8_t> &sps_annexb) {
    // Annex B start code, NAL header, profile_idc, constraint flags, level_idc.
    for (size_t i = 0; i + 6 < sps_annexb.size(); ++i) {
        if (sps_annexb[i] == 0 && sps_annexb[i + 1] == 0 && sps_annexb[i + 2] == 1 &&
            (sps_annexb[i + 3] & 0x1f) == 7) {
            const int profile_idc = sps_annexb[i + 4];
            const bool constrained = (sps_annexb[i + 5] & 0x40) != 0;
            const int level_idc = sps_annexb[i + 6];
            std::string name;
            switch (profile_idc) {
            case 66:
                name = constrained ? "Constrained Baseline" : "Baseline";
                break;
            case 77:
                name = "Main";
                break;
            case 100:
                name = "High";
                break;
            case 110:
                name = "High 10";
                break;
            default:
                name = "profile " + std::to_string(profile_idc);
                break;
            }
            return name + " level " + std::to_string(level_idc / 10) + "." +
                   std::to_string(level_idc % 10);
        }
    }
    return "unknown profile";
}

int to_int(uint64_t value, const char *what) {
    if (value > static_cast<uint64_t>(INT_MAX)) {
        fail(VTC_ERR_INVALID_ARG, std::string(what) + " is too large");
    }
    return static_cast<int>(value);
}

// What the config asks for, checked, before any x264 call. The SDK's
// create() already ran vtc::sdk::validate_config(), so every value here is one
// the ABI allows; what is left is what x264 and H.264 can do with it.
struct Plan {
    int bit_depth = 8;
    int csp = X264_CSP_I420;
};

Plan validate(const vtc_encoder_config &config) {
    Plan plan;
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "x264 takes frames in system memory only (memory_type " +
                                      std::to_string(config.memory_type) + ")");
    }
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
        break;
    case VTC_PIXEL_FORMAT_NV12:
        plan.csp = X264_CSP_NV12;
        break;
    case VTC_PIXEL_FORMAT_I420_10:
        plan.bit_depth = 10;
        plan.csp = X264_CSP_I420 | X264_CSP_HIGH_DEPTH;
        break;
    case VTC_PIXEL_FORMAT_P010:
        fail(VTC_ERR_UNSUPPORTED, "x264 does not take P010; send I420_10 for 10-bit");
    default: // a format of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED,
             "x264 does not take pixel_format " + std::to_string(config.pixel_format));
    }
    const uint32_t depth_bit = plan.bit_depth == 8 ? VTC_BIT_DEPTH_8 : VTC_BIT_DEPTH_10;
    if ((supported_bit_depths() & depth_bit) == 0) {
        fail(VTC_ERR_UNSUPPORTED,
             "this libx264 build cannot encode " + std::to_string(plan.bit_depth) + "-bit video");
    }

    if (config.width % 2 != 0 || config.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, "4:2:0 H.264 needs an even width and height, not " +
                                      std::to_string(config.width) + "x" +
                                      std::to_string(config.height));
    }
    const uint64_t macroblocks =
        uint64_t{(config.width + 15) / 16} * uint64_t{(config.height + 15) / 16};
    if (config.width > kMaxDimension || config.height > kMaxDimension ||
        macroblocks > kMaxMacroblocks) {
        fail(VTC_ERR_UNSUPPORTED, std::to_string(config.width) + "x" +
                                      std::to_string(config.height) +
                                      " is larger than x264 and H.264 level 6.2 allow");
    }

    if (config.profile != VTC_PROFILE_UNSET) {
        if (profile_name(config.profile) == nullptr) { // an H.264 profile of a later ABI minor
            fail(VTC_ERR_UNSUPPORTED,
                 "x264 does not offer H.264 profile " + std::to_string(config.profile));
        }
        const bool wants_10bit = config.profile == VTC_PROFILE_H264_HIGH10;
        if (wants_10bit != (plan.bit_depth == 10)) {
            fail(VTC_ERR_UNSUPPORTED, std::string("H.264 profile ") + profile_name(config.profile) +
                                          " does not match " + std::to_string(plan.bit_depth) +
                                          "-bit input (High10 takes I420_10, the others 8-bit)");
        }
    }

    if (config.quality != VTC_QUALITY_DEFAULT &&
        (config.quality < 0 || config.quality > kMaxQuality)) {
        fail(VTC_ERR_INVALID_ARG,
             "quality " + std::to_string(config.quality) + " is outside x264's 0..51");
    }
    if (config.max_b_frames > kMaxBFrames) {
        fail(VTC_ERR_UNSUPPORTED, "x264 allows at most 16 consecutive B-frames, not " +
                                      std::to_string(config.max_b_frames));
    }
    return plan;
}

void apply_rate_control(const vtc_encoder_config &config, x264_param_t &param) {
    const bool has_quality = config.quality != VTC_QUALITY_DEFAULT;
    // VLog's "-maxrate B -bufsize 2B": an unset buffer holds two seconds.
    auto vbv_buffer = [&](uint32_t max_kbps) {
        return to_int(config.vbv_buffer_kbits != 0 ? uint64_t{config.vbv_buffer_kbits}
                                                   : uint64_t{max_kbps} * 2,
                      "vbv_buffer_kbits");
    };
    switch (config.rate_control) {
    case VTC_RATE_CONTROL_CQP:
        param.rc.i_rc_method = X264_RC_CQP;
        if (has_quality) {
            param.rc.i_qp_constant = config.quality;
        }
        break;
    case VTC_RATE_CONTROL_CRF:
    case VTC_RATE_CONTROL_CAPPED_CRF:
        param.rc.i_rc_method = X264_RC_CRF;
        if (has_quality) {
            param.rc.f_rf_constant = static_cast<float>(config.quality);
        }
        if (config.rate_control == VTC_RATE_CONTROL_CAPPED_CRF) {
            param.rc.i_vbv_max_bitrate = to_int(config.max_bitrate_kbps, "max_bitrate_kbps");
            param.rc.i_vbv_buffer_size = vbv_buffer(config.max_bitrate_kbps);
        }
        break;
    case VTC_RATE_CONTROL_VBR:
        param.rc.i_rc_method = X264_RC_ABR;
        param.rc.i_bitrate = to_int(config.bitrate_kbps, "bitrate_kbps");
        if (config.max_bitrate_kbps != 0) {
            param.rc.i_vbv_max_bitrate = to_int(config.max_bitrate_kbps, "max_bitrate_kbps");
            param.rc.i_vbv_buffer_size = vbv_buffer(config.max_bitrate_kbps);
        }
        break;
    case VTC_RATE_CONTROL_CBR:
        param.rc.i_rc_method = X264_RC_ABR;
        param.rc.i_bitrate = to_int(config.bitrate_kbps, "bitrate_kbps");
        param.rc.i_vbv_max_bitrate = param.rc.i_bitrate;
        param.rc.i_vbv_buffer_size = vbv_buffer(config.bitrate_kbps);
        // Filler data keeps the rate constant when the picture is simple.
        param.rc.b_filler = 1;
        break;
    default: // a mode of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED,
             "x264 does not offer rate_control " + std::to_string(config.rate_control));
    }
}

void apply_vui(const vtc_encoder_config &config, x264_param_t &param) {
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
        param.vui.i_sar_width = sar_w;
        param.vui.i_sar_height = sar_h;
    }
    param.vui.i_colorprim = config.color_primaries;
    param.vui.i_transfer = config.color_transfer;
    param.vui.i_colmatrix = config.color_matrix;
    if (config.color_range != 0) {
        param.vui.b_fullrange = config.color_range == 2 ? 1 : 0;
    }
}

// Applies `options` one at a time through x264's own parser; refuses unknown
// keys, bad values, and values that would break what the ABI promises.
void apply_options(const std::vector<vtc::sdk::Option> &options, const vtc_encoder_config &config,
                   x264_param_t &param) {
    for (const vtc::sdk::Option &option : options) {
        if (option.key == "tune") {
            continue; // applied with the preset
        }
        const int rc = x264_param_parse(&param, option.key.c_str(), option.value.c_str());
        if (rc == X264_PARAM_BAD_NAME) {
            std::string hint;
            if (option.key == "preset" || option.key == "profile") {
                hint = " (set it in vtc_encoder_config::" + option.key + ")";
            }
            fail(VTC_ERR_INVALID_ARG, "unknown x264 option '" + option.key + "'" + hint);
        }
        if (rc != 0) {
            fail(VTC_ERR_INVALID_ARG,
                 "bad value '" + option.value + "' for x264 option '" + option.key + "'");
        }
        const char *broken = nullptr;
        if (param.b_annexb != 1) {
            broken = "Annex B output";
        } else if (param.b_repeat_headers != 1) {
            broken = "SPS/PPS on every keyframe";
        } else if ((config.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) != 0 && param.b_open_gop != 0) {
            broken = "closed GOPs (VTC_ENCODER_CONFIG_CLOSED_GOP)";
        } else if (param.i_width != static_cast<int>(config.width) ||
                   param.i_height != static_cast<int>(config.height)) {
            broken = "the configured picture size";
        }
        if (broken != nullptr) {
            fail(VTC_ERR_INVALID_ARG,
                 "x264 option '" + option.key + "=" + option.value + "' conflicts with " + broken);
        }
    }
}

// x264_param_apply_profile() reports its refusals on stderr, so the cases it
// refuses are checked here first and named in the error instead.
void apply_profile(const vtc_encoder_config &config, int bit_depth, x264_param_t &param) {
    const char *name = profile_name(config.profile);
    if (name == nullptr) {
        return;
    }
    const int qp_offset = 6 * (bit_depth - 8);
    const bool lossless =
        (param.rc.i_rc_method == X264_RC_CQP && param.rc.i_qp_constant <= 0) ||
        (param.rc.i_rc_method == X264_RC_CRF &&
         static_cast<int>(param.rc.f_rf_constant + static_cast<float>(qp_offset)) <= 0);
    if (lossless) {
        fail(VTC_ERR_UNSUPPORTED, std::string("lossless coding (quality 0) is not allowed in "
                                              "H.264 profile ") +
                                      name);
    }
    if (config.profile == VTC_PROFILE_H264_BASELINE &&
        (param.b_interlaced != 0 || param.b_fake_interlaced != 0)) {
        fail(VTC_ERR_UNSUPPORTED, "H.264 profile baseline does not allow interlacing");
    }
    if (x264_param_apply_profile(&param, name) < 0) {
        fail(VTC_ERR_UNSUPPORTED, std::string("x264 refused H.264 profile ") + name);
    }
}

} // namespace

void X264Encoder::query_caps(const vtc_host &, vtc_encoder_caps &caps) {
    const uint32_t depths = supported_bit_depths();
    if (depths == 0) {
        fail(VTC_ERR_UNSUPPORTED, "libx264 could not open an encoder at 8 or 10 bits");
    }
    caps.bit_depths = depths;
    if ((depths & VTC_BIT_DEPTH_8) != 0) {
        caps.profiles |=
            static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_BASELINE) |
                                  VTC_BIT(VTC_PROFILE_H264_MAIN) | VTC_BIT(VTC_PROFILE_H264_HIGH));
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
    }
    if ((depths & VTC_BIT_DEPTH_10) != 0) {
        caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_HIGH10));
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420_10);
    }
    caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
    caps.rate_control_modes =
        static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                              VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF) | VTC_BIT(VTC_RATE_CONTROL_VBR) |
                              VTC_BIT(VTC_RATE_CONTROL_CBR));
    caps.min_width = 2;
    caps.min_height = 2;
    caps.max_width = kMaxDimension;
    caps.max_height = kMaxDimension;
    caps.size_alignment = 2;
    caps.max_sessions = 0;
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_B_FRAMES |
                 VTC_ENCODER_CAP_EXTRADATA | VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_THREADS;
}

X264Encoder::X264Encoder(const vtc_host &host, const vtc_encoder_config &config)
    : host_(host), config_(config), log_(std::make_unique<LogSink>()) {
    log_->host = &host_;
    const Plan plan = validate(config);
    csp_ = plan.csp;

    const std::vector<vtc::sdk::Option> options = vtc::sdk::parse_options(config.options);
    std::string tune;
    for (const vtc::sdk::Option &option : options) {
        if (option.key == "tune") {
            tune = option.value;
        }
    }
    if (!tune.empty()) {
        validate_tune(tune);
    }
    const std::string preset = config.preset != nullptr ? config.preset : "medium";
    if (!is_one_of(preset, x264_preset_names)) {
        fail(VTC_ERR_INVALID_ARG, "unknown x264 preset '" + preset + "' (expected one of " +
                                      join(x264_preset_names) + ")");
    }

    x264_param_t param;
    if (x264_param_default_preset(&param, preset.c_str(), tune.empty() ? nullptr : tune.c_str()) <
        0) {
        fail(VTC_ERR_INVALID_ARG, "x264 refused preset '" + preset + "' with tune '" + tune + "'");
    }
    param.pf_log = log_to_host;
    param.p_log_private = log_.get();
    param.i_log_level = x264_log_level(host.log_level);

    param.i_width = static_cast<int>(config.width);
    param.i_height = static_cast<int>(config.height);
    param.i_csp = plan.csp;
    param.i_bitdepth = plan.bit_depth;
    param.i_threads =
        config.thread_count == 0 ? X264_THREADS_AUTO : to_int(config.thread_count, "thread_count");
    param.i_timebase_num = static_cast<uint32_t>(config.time_base.num);
    param.i_timebase_den = static_cast<uint32_t>(config.time_base.den);
    if (config.frame_rate.num > 0) {
        param.b_vfr_input = 0;
        param.i_fps_num = static_cast<uint32_t>(config.frame_rate.num);
        param.i_fps_den = static_cast<uint32_t>(config.frame_rate.den);
        const int64_t ticks = int64_t{config.time_base.den} * config.frame_rate.den;
        const int64_t per = int64_t{config.time_base.num} * config.frame_rate.num;
        default_duration_ = (ticks + per / 2) / per;
    } else {
        // No nominal rate: x264 rate-controls on the timestamps instead.
        param.b_vfr_input = 1;
    }
    if (config.max_keyframe_interval != 0) {
        param.i_keyint_max = static_cast<int>(
            std::min<uint32_t>(config.max_keyframe_interval, X264_KEYINT_MAX_INFINITE));
    }
    if (config.max_b_frames != VTC_B_FRAMES_DEFAULT) {
        param.i_bframe = config.max_b_frames;
    }
    if ((config.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) != 0) {
        param.b_open_gop = 0;
    }
    apply_rate_control(config, param);
    apply_vui(config, param);
    param.b_annexb = 1;
    param.b_repeat_headers = 1;

    apply_options(options, config, param);
    apply_profile(config, plan.bit_depth, param);

    encoder_.reset(x264_encoder_open(&param));
    if (encoder_ == nullptr) {
        const std::lock_guard lock(log_->mutex);
        fail(VTC_ERR_INVALID_ARG,
             "x264_encoder_open failed: " +
                 (log_->last_error.empty() ? std::string("no reason given") : log_->last_error));
    }

    x264_nal_t *nals = nullptr;
    int nal_count = 0;
    if (x264_encoder_headers(encoder_.get(), &nals, &nal_count) < 0) {
        fail(VTC_ERR_INTERNAL, "x264_encoder_headers failed");
    }
    // Only the parameter sets go out of band; x264's SEI (its version and
    // settings) stays in the first keyframe packet.
    for (int i = 0; i < nal_count; ++i) {
        if (nals[i].i_type == NAL_SPS || nals[i].i_type == NAL_PPS) {
            extradata_.insert(extradata_.end(), nals[i].p_payload,
                              nals[i].p_payload + nals[i].i_payload);
        }
    }

    x264_param_t final_param;
    x264_encoder_parameters(encoder_.get(), &final_param);
    char rate[96];
    switch (final_param.rc.i_rc_method) {
    case X264_RC_CQP:
        std::snprintf(rate, sizeof rate, "qp %d", final_param.rc.i_qp_constant);
        break;
    case X264_RC_CRF:
        std::snprintf(rate, sizeof rate, "crf %.1f",
                      static_cast<double>(final_param.rc.f_rf_constant));
        break;
    default:
        std::snprintf(rate, sizeof rate, "%d kbps", final_param.rc.i_bitrate);
        break;
    }
    std::string summary = std::to_string(config.width) + "x" + std::to_string(config.height) + " " +
                          std::to_string(plan.bit_depth) + "-bit " + describe_sps(extradata_) +
                          ", preset " + preset + ", " + rate;
    if (final_param.rc.i_vbv_max_bitrate > 0) {
        summary += ", vbv " + std::to_string(final_param.rc.i_vbv_max_bitrate) + " kbps / " +
                   std::to_string(final_param.rc.i_vbv_buffer_size) + " kbit";
    }
    vtc::sdk::log(&host_, VTC_LOG_INFO, "x264 " X264_POINTVER ": " + summary);
}

X264Encoder::~X264Encoder() = default;

void X264Encoder::EncoderCloser::operator()(x264_t *encoder) const noexcept {
    x264_encoder_close(encoder);
}

std::span<const uint8_t> X264Encoder::extradata() {
    return extradata_;
}

void X264Encoder::check_cancelled() const {
    if (vtc::sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
}

vtc_status X264Encoder::send_frame(const vtc_frame &frame) {
    if (has_packet_) {
        return VTC_OUTPUT_PENDING;
    }
    check_cancelled();

    // The adapter checked size and format; x264 reads rows top-down only.
    vtc::sdk::check_frame_planes(frame, config_, vtc::sdk::StrideSign::positive);
    const int planes = config_.pixel_format == VTC_PIXEL_FORMAT_NV12 ? 2 : 3;

    x264_picture_t picture;
    x264_picture_init(&picture);
    picture.img.i_csp = csp_;
    picture.img.i_plane = planes;
    for (int i = 0; i < planes; ++i) {
        // x264 copies the picture into its own frame pool during the call.
        picture.img.plane[i] = const_cast<uint8_t *>(frame.planes[i]);
        picture.img.i_stride[i] = frame.strides[i];
    }
    picture.i_pts = frame.pts;
    picture.i_type = (frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0 ? X264_TYPE_IDR : X264_TYPE_AUTO;
    durations_[frame.pts] = frame.duration > 0 ? frame.duration : default_duration_;

    x264_picture_t output;
    x264_nal_t *nals = nullptr;
    int nal_count = 0;
    const int size = x264_encoder_encode(encoder_.get(), &nals, &nal_count, &picture, &output);
    if (size < 0) {
        const std::lock_guard lock(log_->mutex);
        fail(VTC_ERR_INTERNAL, "x264_encoder_encode failed: " + log_->last_error);
    }
    if (size > 0) {
        store_packet(nals, nal_count, size, output.i_pts, output.i_dts);
    }
    return VTC_OK;
}

void X264Encoder::drain() {
    draining_ = true;
}

vtc_status X264Encoder::receive_packet(vtc_packet &packet) {
    if (!has_packet_ && draining_) {
        while (!has_packet_ && x264_encoder_delayed_frames(encoder_.get()) > 0) {
            check_cancelled();
            x264_picture_t output;
            x264_nal_t *nals = nullptr;
            int nal_count = 0;
            const int size =
                x264_encoder_encode(encoder_.get(), &nals, &nal_count, nullptr, &output);
            if (size < 0) {
                const std::lock_guard lock(log_->mutex);
                fail(VTC_ERR_INTERNAL, "x264_encoder_encode (flush) failed: " + log_->last_error);
            }
            if (size > 0) {
                store_packet(nals, nal_count, size, output.i_pts, output.i_dts);
            }
        }
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

void X264Encoder::store_packet(const x264_nal_t *nals, int nal_count, int size, int64_t pts,
                               int64_t dts) {
    // x264 guarantees the NAL payloads of one call are contiguous.
    packet_data_.assign(nals[0].p_payload, nals[0].p_payload + size);
    packet_ = vtc_packet{};
    bool idr = false;
    bool referenced = false;
    for (int i = 0; i < nal_count; ++i) {
        if (nals[i].i_type == NAL_SLICE_IDR) {
            idr = true;
        }
        if ((nals[i].i_type == NAL_SLICE || nals[i].i_type == NAL_SLICE_IDR) &&
            nals[i].i_ref_idc != NAL_PRIORITY_DISPOSABLE) {
            referenced = true;
        }
    }
    packet_.flags = (idr ? VTC_PACKET_KEYFRAME : 0u) | (referenced ? 0u : VTC_PACKET_DISPOSABLE);
    packet_.pts = pts;
    packet_.dts = dts;
    if (auto it = durations_.find(pts); it != durations_.end()) {
        packet_.duration = it->second;
        durations_.erase(it);
    }
    has_packet_ = true;
}

} // namespace vtc::x264_plugin
