// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "vaapi_encoder.hpp"

#include "../common/semiplanar_copy.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/version.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vaapi.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>

namespace vtc::vaapi_plugin {

using plugins::codec_label;
using sdk::fail;
using sdk::set_device_name;

namespace {

// FFmpeg logs through the process-wide av_log callback, which belongs to the
// host (libvtranscode routes it to its logger; elsewhere it is stderr). A
// plugin must not print, and must not take that callback over, so every
// message of our codec contexts is demoted by this offset: errors arrive as
// debug lines, warnings as trace. Our own error texts say what failed.
constexpr int kFfmpegLogOffset = AV_LOG_DEBUG - AV_LOG_ERROR;

// The engine's default CRF per codec (x264/x265 CRF, SVT-AV1 CRF scale).
int32_t default_quality(int32_t codec) {
    return codec == VTC_CODEC_H264 ? 23 : codec == VTC_CODEC_HEVC ? 28 : 30;
}
int32_t max_quality(int32_t codec) {
    return codec == VTC_CODEC_AV1 ? 63 : 51;
}
// VA-API's AV1 quality factors and QPs are AV1 qindex values (0..255); the
// ABI's AV1 quality is SVT-AV1's 1..63 CRF scale, so it is scaled by 4.
int va_quality(int32_t codec, int32_t quality) {
    return codec == VTC_CODEC_AV1 ? std::min(quality * 4, 255) : quality;
}

const char *ffmpeg_encoder_name(int32_t codec) {
    return codec == VTC_CODEC_H264   ? "h264_vaapi"
           : codec == VTC_CODEC_HEVC ? "hevc_vaapi"
                                     : "av1_vaapi";
}

std::string av_error_text(int error) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(error, text, sizeof text);
    return text;
}

// ---------------------------------------------------------------------------
// Presets: VA-API's "quality level" runs from 1 (best, slowest) to the
// driver's EncQualityRange (fastest). Names are first placed on a 1..7 scale
// (Intel's seven target usages) and then stretched onto the driver's range.

constexpr int kPresetScale = 7;

std::optional<int> preset_on_scale(const std::string &name, int32_t codec, int levels,
                                   bool &native) {
    static const std::array<std::pair<std::string_view, int>, 10> x264_names = {{
        {"placebo", 1},
        {"veryslow", 1},
        {"slower", 2},
        {"slow", 3},
        {"medium", 4},
        {"fast", 5},
        {"faster", 6},
        {"veryfast", 7},
        {"superfast", 7},
        {"ultrafast", 7},
    }};
    native = false;
    for (const auto &[preset, level] : x264_names) {
        if (name == preset) {
            return level;
        }
    }
    // Native names: "level1" .. "levelN", the driver's own quality levels.
    if (name.rfind("level", 0) == 0 && name.size() > 5 && name.size() <= 7 &&
        std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const int level = std::stoi(name.substr(5));
        if (level >= 1 && level <= (levels > 0 ? levels : kPresetScale)) {
            native = true;
            return level;
        }
        return std::nullopt;
    }
    // SVT-AV1's 0 (slowest) .. 13 (fastest), the engine's AV1 default scale.
    if (codec == VTC_CODEC_AV1 && !name.empty() && name.size() <= 2 &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const int preset = std::stoi(name);
        if (preset <= 13) {
            return 1 + static_cast<int>(std::lround(preset * 6.0 / 13.0));
        }
    }
    return std::nullopt;
}

// The quality level FFmpeg gets (AVCodecContext::compression_level), or -1
// for "driver default".
int quality_level(const char *preset, int32_t codec, int levels) {
    if (preset == nullptr) {
        return -1;
    }
    bool native = false;
    const std::optional<int> level = preset_on_scale(preset, codec, levels, native);
    if (!level) {
        fail(VTC_ERR_INVALID_ARG, std::string("unknown VA-API preset '") + preset +
                                      "' (expected ultrafast..veryslow/placebo, level1..level" +
                                      std::to_string(levels > 0 ? levels : kPresetScale) +
                                      (codec == VTC_CODEC_AV1 ? ", or SVT-AV1's 0..13)" : ")"));
    }
    if (levels <= 0) {
        return -1; // the driver has no quality levels; the name was still valid
    }
    if (native || levels == kPresetScale) {
        return *level;
    }
    return 1 +
           static_cast<int>(std::lround((*level - 1) * (levels - 1) / double(kPresetScale - 1)));
}

std::atomic<bool> g_qvbr_fallback_warned{false};

} // namespace

// ---------------------------------------------------------------------------

struct VaapiEncoder::Settings {
    const AVCodec *encoder = nullptr;
    AVPixelFormat sw_format = AV_PIX_FMT_NV12;
    int bit_depth = 8;
    VAProfile va_profile = VAProfileNone;
    int ffmpeg_profile = -1; // value of the encoder's "profile" option, -1 = its choice
    const char *rc_mode = "CQP";
    int global_quality = 0;
    int64_t bit_rate = 0;
    int64_t max_rate = 0;
    int buffer_bits = 0;
    int compression_level = -1;
    int max_b_frames = -1;
    int low_power = -1;
    int async_depth = -1;
};

void VaapiEncoder::CodecCloser::operator()(AVCodecContext *context) const noexcept {
    avcodec_free_context(&context);
}
void VaapiEncoder::BufferCloser::operator()(AVBufferRef *ref) const noexcept {
    av_buffer_unref(&ref);
}
void VaapiEncoder::FrameCloser::operator()(AVFrame *frame) const noexcept {
    av_frame_free(&frame);
}
void VaapiEncoder::PacketCloser::operator()(AVPacket *packet) const noexcept {
    av_packet_free(&packet);
}

void VaapiEncoder::query_caps(const vtc_host &host, vtc_encoder_caps &caps, int32_t codec) {
    if (avcodec_find_encoder_by_name(ffmpeg_encoder_name(codec)) == nullptr) {
        fail(VTC_ERR_UNSUPPORTED, std::string("this FFmpeg (" LIBAVCODEC_IDENT ") has no ") +
                                      ffmpeg_encoder_name(codec) + " encoder");
    }
    const VaDevice device(host, default_device());
    const CodecSupport s = query_codec(device, codec);
    if (!s.found || (!s.eight_bit && !s.ten_bit)) {
        fail(VTC_ERR_UNSUPPORTED, "VA-API device " + device.path() + " (" + device.vendor() +
                                      ") has no " + codec_label(codec) + " encode entrypoint");
    }
    for (VAProfile p : s.profiles) {
        switch (p) {
        case VAProfileH264ConstrainedBaseline:
            caps.profiles |= VTC_BIT(VTC_PROFILE_H264_BASELINE);
            break;
        case VAProfileH264Main:
            caps.profiles |= VTC_BIT(VTC_PROFILE_H264_MAIN);
            break;
        case VAProfileH264High:
            caps.profiles |= VTC_BIT(VTC_PROFILE_H264_HIGH);
            break;
        case VAProfileHEVCMain:
            caps.profiles |= VTC_BIT(VTC_PROFILE_HEVC_MAIN);
            break;
        case VAProfileHEVCMain10:
            caps.profiles |= VTC_BIT(VTC_PROFILE_HEVC_MAIN10);
            break;
        case VAProfileAV1Profile0:
            caps.profiles |= VTC_BIT(VTC_PROFILE_AV1_MAIN);
            break;
        default:
            break;
        }
    }
    if (s.eight_bit) {
        caps.bit_depths |= VTC_BIT_DEPTH_8;
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
    }
    if (s.ten_bit) {
        caps.bit_depths |= VTC_BIT_DEPTH_10;
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420_10) | VTC_BIT(VTC_PIXEL_FORMAT_P010);
    }
    caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
    // libva names the driver, which names the GPU family ("Intel iHD driver for
    // Intel(R) Gen Graphics - 24.1.0", "Mesa Gallium driver ... for AMD Radeon ...").
    set_device_name(caps, device.vendor());
    if (s.rc_modes & VA_RC_CQP) {
        caps.rate_control_modes |= VTC_BIT(VTC_RATE_CONTROL_CQP);
    }
    if (s.rc_modes & VA_RC_ICQ) {
        caps.rate_control_modes |= VTC_BIT(VTC_RATE_CONTROL_CRF);
    }
    if (s.rc_modes & VA_RC_CBR) {
        caps.rate_control_modes |= VTC_BIT(VTC_RATE_CONTROL_CBR);
    }
    if (s.rc_modes & VA_RC_VBR) {
        caps.rate_control_modes |= VTC_BIT(VTC_RATE_CONTROL_VBR);
    }
    // Capped CRF is QVBR, or VBR at the cap where QVBR is missing (README).
    if (s.rc_modes & (VA_RC_QVBR | VA_RC_VBR)) {
        caps.rate_control_modes |= VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF);
    }
    caps.min_width = std::max(s.min_width, 16u);
    caps.min_height = std::max(s.min_height, 16u);
    caps.max_width = s.max_width != 0 ? s.max_width : 4096;
    caps.max_height = s.max_height != 0 ? s.max_height : 4096;
    caps.size_alignment = 2;
    caps.max_sessions = 0; // VA-API does not say; a full device fails vaCreateContext
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA |
                 VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_HARDWARE;
    if (s.ref_l1 > 0) {
        caps.flags |= VTC_ENCODER_CAP_B_FRAMES;
    }
}

VaapiEncoder::VaapiEncoder(const vtc_host &host, const vtc_encoder_config &config, int32_t codec)
    : host_(host), config_(config), codec_(codec) {
    const vtc_encoder_config &c = config;
    Settings s;
    s.encoder = avcodec_find_encoder_by_name(ffmpeg_encoder_name(codec));
    if (s.encoder == nullptr) {
        fail(VTC_ERR_UNSUPPORTED,
             std::string("this FFmpeg has no ") + ffmpeg_encoder_name(codec) + " encoder");
    }

    // Options first: an unknown key is a caller error whatever the device.
    for (const sdk::Option &option : sdk::parse_options(c.options)) {
        auto as_int = [&](int low, int high) {
            char *end = nullptr;
            errno = 0;
            const long v = std::strtol(option.value.c_str(), &end, 10);
            if (option.value.empty() || *end != '\0' || errno != 0 || v < low || v > high) {
                fail(VTC_ERR_INVALID_ARG, "option " + option.key + "=" + option.value +
                                              ": expected an integer " + std::to_string(low) +
                                              ".." + std::to_string(high));
            }
            return static_cast<int>(v);
        };
        if (option.key == "low_power") {
            s.low_power = as_int(0, 1);
        } else if (option.key == "async_depth") {
            s.async_depth = as_int(1, 64);
        } else {
            fail(VTC_ERR_INVALID_ARG,
                 "unknown VA-API option '" + option.key + "' (known: low_power, async_depth)");
        }
    }
    if (c.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "only system-memory frames are accepted");
    }
    const bool ten_bit =
        c.pixel_format == VTC_PIXEL_FORMAT_I420_10 || c.pixel_format == VTC_PIXEL_FORMAT_P010;
    s.bit_depth = ten_bit ? 10 : 8;
    s.sw_format = ten_bit ? AV_PIX_FMT_P010 : AV_PIX_FMT_NV12;
    const int32_t quality = c.quality == VTC_QUALITY_DEFAULT ? default_quality(codec) : c.quality;
    if (quality < 0 || quality > max_quality(codec)) {
        fail(VTC_ERR_INVALID_ARG, "quality " + std::to_string(c.quality) + " is outside 0.." +
                                      std::to_string(max_quality(codec)));
    }

    // The device: the host's display if it lends one, else our own.
    const void *lent =
        host.get_service != nullptr ? host.get_service(host.ctx, VTC_SERVICE_VA_DISPLAY) : nullptr;
    const std::string path = c.device != nullptr ? c.device : default_device();
    if (lent != nullptr) {
        device_ = std::make_unique<VaDevice>(host, const_cast<void *>(lent), "host VADisplay");
    } else {
        device_ = std::make_unique<VaDevice>(host, path);
    }
    support_ = query_codec(*device_, codec);
    const std::string where = "VA-API device " + device_->path();
    if (!support_.found) {
        fail(VTC_ERR_UNSUPPORTED, where + " has no " + codec_label(codec) + " encode entrypoint");
    }
    if (ten_bit ? !support_.ten_bit : !support_.eight_bit) {
        fail(VTC_ERR_UNSUPPORTED, where + " cannot encode " + codec_label(codec) + " at " +
                                      std::to_string(s.bit_depth) + " bits");
    }
    s.va_profile = va_profile_for(codec, c.profile, s.bit_depth);
    if (s.va_profile == VAProfileNone ||
        std::find(support_.profiles.begin(), support_.profiles.end(), s.va_profile) ==
            support_.profiles.end() ||
        (c.profile == VTC_PROFILE_HEVC_MAIN && ten_bit) ||
        (c.profile == VTC_PROFILE_HEVC_MAIN10 && !ten_bit) ||
        c.profile == VTC_PROFILE_H264_HIGH10) {
        fail(VTC_ERR_UNSUPPORTED, where + " cannot encode the requested " + codec_label(codec) +
                                      " profile at " + std::to_string(s.bit_depth) + " bits");
    }
    // libavcodec's "profile" values (profile_idc / general_profile_idc).
    switch (c.profile) {
    case VTC_PROFILE_H264_BASELINE:
        s.ffmpeg_profile = 66 | (1 << 9); // constrained baseline
        break;
    case VTC_PROFILE_H264_MAIN:
        s.ffmpeg_profile = 77;
        break;
    case VTC_PROFILE_H264_HIGH:
        s.ffmpeg_profile = 100;
        break;
    case VTC_PROFILE_HEVC_MAIN:
        s.ffmpeg_profile = 1;
        break;
    case VTC_PROFILE_HEVC_MAIN10:
        s.ffmpeg_profile = 2;
        break;
    default:
        break;
    }
    const uint32_t min_w = std::max(support_.min_width, 16u);
    const uint32_t min_h = std::max(support_.min_height, 16u);
    const uint32_t max_w = support_.max_width != 0 ? support_.max_width : 4096;
    const uint32_t max_h = support_.max_height != 0 ? support_.max_height : 4096;
    if (c.width < min_w || c.height < min_h || c.width > max_w || c.height > max_h ||
        c.width % 2 != 0 || c.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, where + " cannot encode " + std::to_string(c.width) + "x" +
                                      std::to_string(c.height) + " (even sizes from " +
                                      std::to_string(min_w) + "x" + std::to_string(min_h) + " to " +
                                      std::to_string(max_w) + "x" + std::to_string(max_h) + ")");
    }

    // Rate control (README: "Rate control").
    const uint32_t rc = support_.rc_modes;
    const int64_t vbv_bits =
        int64_t{c.vbv_buffer_kbits != 0 ? c.vbv_buffer_kbits : 2 * c.max_bitrate_kbps} * 1000;
    auto need = [&](uint32_t va_mode, const char *name) {
        if ((rc & va_mode) == 0) {
            fail(VTC_ERR_UNSUPPORTED, where + " (" + device_->vendor() + ") has no " + name +
                                          " rate control for " + codec_label(codec));
        }
    };
    switch (c.rate_control) {
    case VTC_RATE_CONTROL_CQP:
        need(VA_RC_CQP, "CQP");
        s.rc_mode = "CQP";
        s.global_quality = std::max(va_quality(codec, quality), 1);
        break;
    case VTC_RATE_CONTROL_CRF:
        need(VA_RC_ICQ, "ICQ (constant quality)");
        s.rc_mode = "ICQ";
        s.global_quality = std::max(va_quality(codec, quality), 1);
        break;
    case VTC_RATE_CONTROL_CAPPED_CRF:
        s.global_quality = std::max(va_quality(codec, quality), 1);
        s.max_rate = int64_t{c.max_bitrate_kbps} * 1000;
        s.buffer_bits = static_cast<int>(std::min<int64_t>(vbv_bits, INT32_MAX));
        if (rc & VA_RC_QVBR) {
            // QVBR: quality target under a peak. FFmpeg sends bits_per_second =
            // maxrate and target_percentage = bitrate / maxrate, so bitrate =
            // maxrate leaves only the cap to constrain the quality target.
            s.rc_mode = "QVBR";
            s.bit_rate = s.max_rate;
        } else {
            need(VA_RC_VBR, "QVBR or VBR");
            s.rc_mode = "VBR";
            s.bit_rate = s.max_rate * 3 / 4;
            s.global_quality = 0;
            if (!g_qvbr_fallback_warned.exchange(true)) {
                sdk::log(&host, VTC_LOG_WARNING,
                         where + " (" + device_->vendor() +
                             ") has no QVBR: capped CRF runs as VBR at 75% of the cap, peaking "
                             "at the cap (quality " +
                             std::to_string(quality) + " is not used)");
            }
        }
        break;
    case VTC_RATE_CONTROL_VBR:
        need(VA_RC_VBR, "VBR");
        s.rc_mode = "VBR";
        s.bit_rate = int64_t{c.bitrate_kbps} * 1000;
        s.max_rate =
            int64_t{c.max_bitrate_kbps != 0 ? c.max_bitrate_kbps : 2 * c.bitrate_kbps} * 1000;
        s.buffer_bits = static_cast<int>(std::min<int64_t>(
            c.vbv_buffer_kbits != 0 ? int64_t{c.vbv_buffer_kbits} * 1000 : 2 * s.max_rate,
            INT32_MAX));
        break;
    case VTC_RATE_CONTROL_CBR:
        need(VA_RC_CBR, "CBR");
        s.rc_mode = "CBR";
        s.bit_rate = int64_t{c.bitrate_kbps} * 1000;
        s.max_rate = s.bit_rate;
        s.buffer_bits = static_cast<int>(std::min<int64_t>(
            c.vbv_buffer_kbits != 0 ? int64_t{c.vbv_buffer_kbits} * 1000 : 2 * s.bit_rate,
            INT32_MAX));
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED, "unsupported rate-control mode");
    }
    s.compression_level = quality_level(c.preset, codec, static_cast<int>(support_.quality_levels));
    if (c.max_b_frames != VTC_B_FRAMES_DEFAULT) {
        // A maximum: a device without L1 references encodes P-only.
        s.max_b_frames = support_.ref_l1 > 0 ? std::min(c.max_b_frames, 16) : 0;
    } else if (support_.ref_l1 == 0) {
        s.max_b_frames = 0;
    }
    if (s.low_power < 0 && support_.entrypoint == VAEntrypointEncSliceLP) {
        s.low_power = 1; // the device only has the low-power entrypoint
    }

    // FFmpeg's device and frame pool on our display.
    device_ref_.reset(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_VAAPI));
    if (!device_ref_) {
        throw std::bad_alloc();
    }
    auto *hw_device = reinterpret_cast<AVHWDeviceContext *>(device_ref_->data);
    static_cast<AVVAAPIDeviceContext *>(hw_device->hwctx)->display = device_->display();
    if (const int err = av_hwdevice_ctx_init(device_ref_.get()); err < 0) {
        fail(VTC_ERR_NO_DEVICE,
             where + ": FFmpeg cannot use the VA display (" + av_error_text(err) + ")");
    }
    frames_ref_.reset(av_hwframe_ctx_alloc(device_ref_.get()));
    if (!frames_ref_) {
        throw std::bad_alloc();
    }
    auto *frames = reinterpret_cast<AVHWFramesContext *>(frames_ref_->data);
    frames->format = AV_PIX_FMT_VAAPI;
    frames->sw_format = s.sw_format;
    frames->width = static_cast<int>(c.width);
    frames->height = static_cast<int>(c.height);
    frames->initial_pool_size = 0; // input surfaces need not be render targets
    if (const int err = av_hwframe_ctx_init(frames_ref_.get()); err < 0) {
        fail(VTC_ERR_UNSUPPORTED, where + ": cannot create " +
                                      std::string(ten_bit ? "P010" : "NV12") + " surfaces of " +
                                      std::to_string(c.width) + "x" + std::to_string(c.height) +
                                      " (" + av_error_text(err) + ")");
    }

    const bool global_header = (c.flags & VTC_ENCODER_CONFIG_GLOBAL_HEADER) != 0;
    const bool packed_sequence = (support_.packed_headers & VA_ENC_PACKED_HEADER_SEQUENCE) != 0;
    if (global_header && !packed_sequence && codec != VTC_CODEC_AV1) {
        // Without packed sequence headers (several Mesa drivers, and the
        // emulated test driver) the driver writes SPS/PPS itself and FFmpeg
        // has no extradata to give. The only source of the exact parameter
        // sets is the driver's own output, so one frame is encoded with the
        // same settings in a throwaway context, before the real one exists
        // (a device with a single free session can still serve both).
        harvest_parameter_sets(s);
    }
    codec_ctx_ = open_codec(s, global_header && (packed_sequence || codec == VTC_CODEC_AV1));
    if (global_header && extradata_.empty()) {
        if (codec_ctx_->extradata_size <= 0) {
            fail(VTC_ERR_INTERNAL, where + ": FFmpeg produced no extradata for the global header");
        }
        extradata_.assign(codec_ctx_->extradata,
                          codec_ctx_->extradata + codec_ctx_->extradata_size);
    }

    staging_.reset(av_frame_alloc());
    av_packet_.reset(av_packet_alloc());
    if (!staging_ || !av_packet_) {
        throw std::bad_alloc();
    }
    staging_->format = s.sw_format;
    staging_->width = static_cast<int>(c.width);
    staging_->height = static_cast<int>(c.height);
    if (av_frame_get_buffer(staging_.get(), 0) < 0) {
        throw std::bad_alloc();
    }
    if (c.frame_rate.num > 0) {
        default_duration_ =
            std::max<int64_t>(1, av_rescale_q(1, AVRational{c.frame_rate.den, c.frame_rate.num},
                                              AVRational{c.time_base.num, c.time_base.den}));
    }
    sdk::log(&host, VTC_LOG_INFO,
             std::string(ffmpeg_encoder_name(codec)) + " on " + device_->path() + " (" +
                 device_->vendor() + "): " + std::to_string(c.width) + "x" +
                 std::to_string(c.height) + " " + std::to_string(s.bit_depth) + "-bit, rc " +
                 s.rc_mode + ", quality level " + std::to_string(s.compression_level));
}

VaapiEncoder::~VaapiEncoder() = default;

VaapiEncoder::CodecPtr VaapiEncoder::open_codec(const Settings &s, bool global_header) const {
    const vtc_encoder_config &c = config_;
    CodecPtr ctx(avcodec_alloc_context3(s.encoder));
    if (!ctx) {
        throw std::bad_alloc();
    }
    ctx->log_level_offset = kFfmpegLogOffset;
    ctx->width = static_cast<int>(c.width);
    ctx->height = static_cast<int>(c.height);
    ctx->pix_fmt = AV_PIX_FMT_VAAPI;
    ctx->sw_pix_fmt = s.sw_format;
    ctx->hw_frames_ctx = av_buffer_ref(frames_ref_.get());
    if (ctx->hw_frames_ctx == nullptr) {
        throw std::bad_alloc();
    }
    ctx->time_base = AVRational{c.time_base.num, c.time_base.den};
    if (c.frame_rate.num > 0) {
        ctx->framerate = AVRational{c.frame_rate.num, c.frame_rate.den};
    }
    if (c.sample_aspect_ratio.num > 0) {
        ctx->sample_aspect_ratio = AVRational{c.sample_aspect_ratio.num, c.sample_aspect_ratio.den};
    }
    ctx->color_primaries = static_cast<AVColorPrimaries>(c.color_primaries);
    ctx->color_trc = static_cast<AVColorTransferCharacteristic>(c.color_transfer);
    ctx->colorspace = static_cast<AVColorSpace>(c.color_matrix);
    ctx->color_range = c.color_range == 1   ? AVCOL_RANGE_MPEG
                       : c.color_range == 2 ? AVCOL_RANGE_JPEG
                                            : AVCOL_RANGE_UNSPECIFIED;
    if (c.max_keyframe_interval > 0) {
        ctx->gop_size = static_cast<int>(std::min<uint32_t>(c.max_keyframe_interval, INT32_MAX));
    }
    if (s.max_b_frames >= 0) {
        ctx->max_b_frames = s.max_b_frames;
    }
    if (c.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) {
        ctx->flags |= AV_CODEC_FLAG_CLOSED_GOP;
    }
    if (global_header) {
        ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }
    // -1 (FF_COMPRESSION_DEFAULT) leaves the quality level to the driver.
    ctx->compression_level = s.compression_level;
    ctx->global_quality = s.global_quality;
    ctx->bit_rate = s.bit_rate;
    ctx->rc_max_rate = s.max_rate;
    ctx->rc_buffer_size = s.buffer_bits;
    void *priv = ctx->priv_data;
    int err = av_opt_set(priv, "rc_mode", s.rc_mode, 0);
    if (err >= 0 && s.ffmpeg_profile >= 0) {
        err = av_opt_set_int(priv, "profile", s.ffmpeg_profile, 0);
    }
    if (err >= 0 && s.low_power >= 0) {
        err = av_opt_set_int(priv, "low_power", s.low_power, 0);
    }
    if (err >= 0 && s.async_depth >= 0) {
        err = av_opt_set_int(priv, "async_depth", s.async_depth, 0);
    }
    if (err < 0) {
        fail(VTC_ERR_INTERNAL, std::string(ffmpeg_encoder_name(codec_)) +
                                   " refused an option: " + av_error_text(err));
    }
    err = avcodec_open2(ctx.get(), s.encoder, nullptr);
    if (err >= 0) {
        return ctx;
    }
    // avcodec_open2 says only "I/O error"; the VA status behind it is found
    // by trying the step that fails on a full device, vaCreateContext, here.
    VADisplay dpy = device_->display();
    VAConfigID config = VA_INVALID_ID;
    VAStatus status = vaCreateConfig(dpy, s.va_profile, support_.entrypoint, nullptr, 0, &config);
    if (status == VA_STATUS_SUCCESS) {
        VAContextID context = VA_INVALID_ID;
        status = vaCreateContext(dpy, config, static_cast<int>(c.width), static_cast<int>(c.height),
                                 VA_PROGRESSIVE, nullptr, 0, &context);
        if (status == VA_STATUS_SUCCESS) {
            vaDestroyContext(dpy, context);
        }
        vaDestroyConfig(dpy, config);
    }
    const std::string where = "VA-API device " + device_->path();
    if (status == VA_STATUS_ERROR_MAX_NUM_EXCEEDED || status == VA_STATUS_ERROR_ALLOCATION_FAILED ||
        status == VA_STATUS_ERROR_HW_BUSY) {
        fail(VTC_ERR_DEVICE_BUSY,
             where + " has no free encode session (vaCreateContext: " + vaErrorStr(status) + ")");
    }
    const std::string libva = device_->last_libva_error();
    fail(VTC_ERR_UNSUPPORTED, where + ": " + ffmpeg_encoder_name(codec_) + " refused the " +
                                  s.rc_mode + " configuration (" + av_error_text(err) +
                                  (libva.empty() ? "" : "; libva: " + libva) + ")");
}

void VaapiEncoder::harvest_parameter_sets(const Settings &s) {
    CodecPtr probe = open_codec(s, false);
    std::unique_ptr<AVFrame, FrameCloser> hw(av_frame_alloc());
    std::unique_ptr<AVPacket, PacketCloser> pkt(av_packet_alloc());
    if (!hw || !pkt) {
        throw std::bad_alloc();
    }
    int err = av_hwframe_get_buffer(frames_ref_.get(), hw.get(), 0);
    if (err >= 0) {
        hw->pts = 0;
        err = avcodec_send_frame(probe.get(), hw.get());
    }
    if (err >= 0) {
        err = avcodec_send_frame(probe.get(), nullptr);
    }
    std::vector<uint8_t> stream;
    while (err >= 0) {
        err = avcodec_receive_packet(probe.get(), pkt.get());
        if (err >= 0) {
            stream.insert(stream.end(), pkt->data, pkt->data + pkt->size);
            av_packet_unref(pkt.get());
        }
    }
    if (err != AVERROR_EOF) {
        fail_codec(err, "encoding the parameter-set probe frame");
    }
    // Keep the parameter-set NAL units (H.264 SPS 7 / PPS 8; HEVC VPS 32,
    // SPS 33, PPS 34), each with a 4-byte start code.
    size_t i = 0;
    auto next_start = [&](size_t from) {
        for (size_t k = from; k + 3 <= stream.size(); ++k) {
            if (stream[k] == 0 && stream[k + 1] == 0 && stream[k + 2] == 1) {
                return k;
            }
        }
        return stream.size();
    };
    i = next_start(0);
    while (i < stream.size()) {
        const size_t payload = i + 3;
        size_t end = next_start(payload);
        const size_t next = end;
        while (end > payload && stream[end - 1] == 0) {
            --end; // trailing zeros belong to the next 4-byte start code
        }
        if (payload < end) {
            const uint8_t header = stream[payload];
            const int type = codec_ == VTC_CODEC_H264 ? header & 0x1f : (header >> 1) & 0x3f;
            const bool keep =
                codec_ == VTC_CODEC_H264 ? (type == 7 || type == 8) : (type >= 32 && type <= 34);
            if (keep) {
                extradata_.insert(extradata_.end(), {0, 0, 0, 1});
                extradata_.insert(extradata_.end(),
                                  stream.begin() + static_cast<ptrdiff_t>(payload),
                                  stream.begin() + static_cast<ptrdiff_t>(end));
            }
        }
        i = next;
    }
    if (extradata_.empty()) {
        fail(VTC_ERR_INTERNAL, "VA-API device " + device_->path() +
                                   ": the driver's first access unit carries no parameter sets");
    }
}

[[noreturn]] void VaapiEncoder::fail_codec(int averror, const char *what) const {
    if (averror == AVERROR(ENOMEM)) {
        fail(VTC_ERR_NO_MEMORY, std::string(what) + ": out of memory");
    }
    // FFmpeg's VA-API encoder returns EIO exactly when a libva call failed
    // (vaEndPicture, vaSyncSurface, vaMapBuffer...): a hung, reset or removed
    // device, or a driver that gave up. The instance cannot continue.
    std::string text = "VA-API device " + device_->path() + " failed while " + what + " (" +
                       av_error_text(averror) + ")";
    const std::string libva = device_->last_libva_error();
    if (!libva.empty()) {
        text += "; libva: " + libva;
    }
    if (averror == AVERROR(EIO) || averror == AVERROR_EXTERNAL) {
        fail(VTC_ERR_DEVICE_LOST, text + ": the device was lost or its driver failed");
    }
    fail(VTC_ERR_INTERNAL, text);
}

std::span<const uint8_t> VaapiEncoder::extradata() {
    if (extradata_.empty()) {
        fail(VTC_ERR_UNSUPPORTED,
             "no extradata: create the encoder with VTC_ENCODER_CONFIG_GLOBAL_HEADER");
    }
    return extradata_;
}

void VaapiEncoder::upload(const vtc_frame &frame, AVFrame *hw) const {
    sdk::check_frame_planes(frame, config_);
    AVFrame *dst = staging_.get();
    if (av_frame_make_writable(dst) < 0) {
        throw std::bad_alloc();
    }
    plugins::copy_to_semiplanar(frame, frame.pixel_format, config_.width, config_.height,
                                {dst->data[0], dst->linesize[0], dst->data[1], dst->linesize[1]});
    const int err = av_hwframe_transfer_data(hw, dst, 0);
    if (err < 0) {
        fail_codec(err, "uploading a frame to a VA surface");
    }
}

void VaapiEncoder::pull_packets() {
    for (;;) {
        const int err = avcodec_receive_packet(codec_ctx_.get(), av_packet_.get());
        if (err == AVERROR(EAGAIN)) {
            return;
        }
        if (err == AVERROR_EOF) {
            finished_ = true;
            return;
        }
        if (err < 0) {
            fail_codec(err, "encoding");
        }
        Output out;
        out.data.assign(av_packet_->data, av_packet_->data + av_packet_->size);
        out.pts = av_packet_->pts;
        out.dts = av_packet_->dts;
        out.keyframe = (av_packet_->flags & AV_PKT_FLAG_KEY) != 0;
        av_packet_unref(av_packet_.get());
        queue_.push_back(std::move(out));
    }
}

vtc_status VaapiEncoder::send_frame(const vtc_frame &frame) {
    if (sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
    std::unique_ptr<AVFrame, FrameCloser> hw(av_frame_alloc());
    if (!hw) {
        throw std::bad_alloc();
    }
    if (const int err = av_hwframe_get_buffer(frames_ref_.get(), hw.get(), 0); err < 0) {
        fail_codec(err, "allocating a VA surface");
    }
    upload(frame, hw.get());
    hw->pts = frame.pts;
    // FFmpeg's VA-API encoders (5.1 vaapi_encode.c, 7.1 hw_base_encode.c)
    // turn an I picture request into force_idr: the picture becomes an IDR
    // that starts a new GOP, which is what a segment cut needs.
    hw->pict_type =
        (frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    durations_[frame.pts] = frame.duration > 0 ? frame.duration : default_duration_;
    const int err = avcodec_send_frame(codec_ctx_.get(), hw.get());
    if (err < 0) {
        fail_codec(err, "sending a frame");
    }
    pull_packets();
    return VTC_OK;
}

void VaapiEncoder::drain() {
    draining_ = true;
    const int err = avcodec_send_frame(codec_ctx_.get(), nullptr);
    if (err < 0 && err != AVERROR_EOF) {
        fail_codec(err, "flushing");
    }
}

vtc_status VaapiEncoder::receive_packet(vtc_packet &packet) {
    if (queue_.empty() && draining_ && !finished_) {
        if (sdk::is_cancelled(&host_)) {
            fail(VTC_ERR_CANCELLED, "cancelled by the host");
        }
        pull_packets();
    }
    if (queue_.empty()) {
        return VTC_NEED_INPUT; // END_OF_STREAM after drain(), by the adapter
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    packet.data = current_.data.data();
    packet.size = current_.data.size();
    packet.pts = current_.pts;
    packet.dts = current_.dts;
    packet.flags = current_.keyframe ? VTC_PACKET_KEYFRAME : 0u;
    if (auto it = durations_.find(current_.pts); it != durations_.end()) {
        packet.duration = it->second;
        durations_.erase(it);
    }
    return VTC_OK;
}

} // namespace vtc::vaapi_plugin
