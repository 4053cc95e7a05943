// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "nvenc_encoder.hpp"

#include "../common/semiplanar_copy.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <string_view>
#include <type_traits>

namespace vtc::nvenc_plugin {

using vtc::sdk::fail;

namespace {

// The NVENC API version these headers speak: NVENC 12.2 replaced the
// "bit depth minus 8" fields with NV_ENC_BIT_DEPTH ones.
#if NVENCAPI_MAJOR_VERSION > 12 || (NVENCAPI_MAJOR_VERSION == 12 && NVENCAPI_MINOR_VERSION >= 2)
#define VTC_NVENC_BIT_DEPTH_ENUM 1
#endif

constexpr int32_t kMaxQp = 51;        // H.264 / HEVC QP and NVENC's targetQuality scale
constexpr int32_t kMaxAv1Cq = 63;     // NVENC AV1 targetQuality, like SVT-AV1's CRF 1..63
constexpr int32_t kMaxAv1Qp = 255;    // AV1 qindex
constexpr uint32_t kDefaultGop = 250; // x264's keyint default, for streams without one
constexpr size_t kMaxSlots = 64;
constexpr uint32_t kMaxLookahead = 32; // NV_ENC_RC_PARAMS::lookaheadDepth limit

bool same_guid(const GUID &a, const GUID &b) {
    return std::memcmp(&a, &b, sizeof(GUID)) == 0;
}

// Writes @p value into an NVENC member whose type differs between header
// versions (uint32_t in NVENC 11, an enumeration in NVENC 12).
template <class Field, class Value>
void assign(Field &field, Value value) {
    field = static_cast<Field>(value);
}

using plugins::codec_label;

GUID codec_guid(int32_t codec) {
    switch (codec) {
    case VTC_CODEC_H264:
        return NV_ENC_CODEC_H264_GUID;
    case VTC_CODEC_HEVC:
        return NV_ENC_CODEC_HEVC_GUID;
#ifdef VTC_NVENC_HAS_AV1
    case VTC_CODEC_AV1:
        return NV_ENC_CODEC_AV1_GUID;
#endif
    default:
        fail(VTC_ERR_UNSUPPORTED, std::string("this build of the NVENC plugin has no ") +
                                      codec_label(codec) + " encoder");
    }
}

// ---------------------------------------------------------------------------
// Presets: NVENC's P1 (fastest) .. P7 (best). The engine passes x264 names
// for H.264 / HEVC and SVT-AV1 numbers for AV1; operators may pass "p1".."p7".

struct PresetChoice {
    GUID guid;
    int number; // 1..7
};

GUID preset_guid(int number) {
    switch (number) {
    case 1:
        return NV_ENC_PRESET_P1_GUID;
    case 2:
        return NV_ENC_PRESET_P2_GUID;
    case 3:
        return NV_ENC_PRESET_P3_GUID;
    case 4:
        return NV_ENC_PRESET_P4_GUID;
    case 5:
        return NV_ENC_PRESET_P5_GUID;
    case 6:
        return NV_ENC_PRESET_P6_GUID;
    default:
        return NV_ENC_PRESET_P7_GUID;
    }
}

PresetChoice parse_preset(const char *preset) {
    static constexpr struct {
        std::string_view name;
        int number;
    } kTable[] = {
        {"ultrafast", 1},
        {"superfast", 1},
        {"veryfast", 2},
        {"faster", 3},
        {"fast", 3},
        {"medium", 4},
        {"slow", 5},
        {"slower", 6},
        {"veryslow", 7},
        {"placebo", 7},
        // SVT-AV1 presets 0 (slowest) .. 13 (fastest), two per NVENC step.
        {"0", 7},
        {"1", 7},
        {"2", 6},
        {"3", 6},
        {"4", 5},
        {"5", 5},
        {"6", 4},
        {"7", 4},
        {"8", 3},
        {"9", 3},
        {"10", 2},
        {"11", 2},
        {"12", 1},
        {"13", 1},
        {"p1", 1},
        {"p2", 2},
        {"p3", 3},
        {"p4", 4},
        {"p5", 5},
        {"p6", 6},
        {"p7", 7},
    };
    const std::string_view name = preset != nullptr ? preset : "p4";
    for (const auto &entry : kTable) {
        if (entry.name == name) {
            return {preset_guid(entry.number), entry.number};
        }
    }
    fail(VTC_ERR_INVALID_ARG,
         "unknown NVENC preset '" + std::string(name) +
             "' (expected p1..p7, an x264 name ultrafast..placebo, or an SVT-AV1 number 0..13)");
}

// ---------------------------------------------------------------------------
// Options ("key=value"), each checked here so the driver never sees a value
// it would refuse with a bare NV_ENC_ERR_INVALID_PARAM.

struct Options {
    NV_ENC_TUNING_INFO tuning = NV_ENC_TUNING_INFO_HIGH_QUALITY;
    int lookahead = -1;  // frames; -1 = preset default
    int spatial_aq = -1; // 0/1; -1 = preset default
    int temporal_aq = -1;
    int b_ref_mode = -1; // NV_ENC_BFRAME_REF_MODE
    int multipass = -1;  // NV_ENC_MULTI_PASS
};

int parse_int(const vtc::sdk::Option &option, int low, int high) {
    const std::string &text = option.value;
    if (text.empty() || text.size() > 6 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        fail(VTC_ERR_INVALID_ARG, "bad value '" + text + "' for NVENC option '" + option.key +
                                      "' (expected " + std::to_string(low) + ".." +
                                      std::to_string(high) + ")");
    }
    const int value = std::stoi(text);
    if (value < low || value > high) {
        fail(VTC_ERR_INVALID_ARG, "bad value '" + text + "' for NVENC option '" + option.key +
                                      "' (expected " + std::to_string(low) + ".." +
                                      std::to_string(high) + ")");
    }
    return value;
}

template <size_t N>
int parse_choice(const vtc::sdk::Option &option, const std::string_view (&names)[N],
                 const int (&values)[N]) {
    std::string expected;
    for (size_t i = 0; i < N; ++i) {
        if (option.value == names[i]) {
            return values[i];
        }
        expected += (i == 0 ? "" : ", ") + std::string(names[i]);
    }
    fail(VTC_ERR_INVALID_ARG, "bad value '" + option.value + "' for NVENC option '" + option.key +
                                  "' (expected one of " + expected + ")");
}

Options parse_options(const char *const *raw) {
    Options out;
    for (const vtc::sdk::Option &option : vtc::sdk::parse_options(raw)) {
        if (option.key == "tune") {
            static constexpr std::string_view names[] = {"hq", "ll", "ull"};
            static constexpr int values[] = {NV_ENC_TUNING_INFO_HIGH_QUALITY,
                                             NV_ENC_TUNING_INFO_LOW_LATENCY,
                                             NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY};
            out.tuning = static_cast<NV_ENC_TUNING_INFO>(parse_choice(option, names, values));
        } else if (option.key == "lookahead") {
            out.lookahead = parse_int(option, 0, static_cast<int>(kMaxLookahead));
        } else if (option.key == "spatial-aq") {
            out.spatial_aq = parse_int(option, 0, 1);
        } else if (option.key == "temporal-aq") {
            out.temporal_aq = parse_int(option, 0, 1);
        } else if (option.key == "b-ref-mode") {
            static constexpr std::string_view names[] = {"disabled", "each", "middle"};
            static constexpr int values[] = {NV_ENC_BFRAME_REF_MODE_DISABLED,
                                             NV_ENC_BFRAME_REF_MODE_EACH,
                                             NV_ENC_BFRAME_REF_MODE_MIDDLE};
            out.b_ref_mode = parse_choice(option, names, values);
        } else if (option.key == "multipass") {
            static constexpr std::string_view names[] = {"disabled", "qres", "fullres"};
            static constexpr int values[] = {NV_ENC_MULTI_PASS_DISABLED,
                                             NV_ENC_TWO_PASS_QUARTER_RESOLUTION,
                                             NV_ENC_TWO_PASS_FULL_RESOLUTION};
            out.multipass = parse_choice(option, names, values);
        } else {
            std::string hint;
            if (option.key == "preset" || option.key == "profile") {
                hint = " (set it in vtc_encoder_config::" + option.key + ")";
            }
            fail(VTC_ERR_INVALID_ARG,
                 "unknown NVENC option '" + option.key + "'" + hint +
                     " (known: tune, lookahead, spatial-aq, temporal-aq, b-ref-mode, multipass)");
        }
    }
    return out;
}

// ---------------------------------------------------------------------------
// Capabilities

int query_cap(const Driver &driver, void *encoder, const GUID &codec, NV_ENC_CAPS cap) {
    NV_ENC_CAPS_PARAM param{};
    param.version = NV_ENC_CAPS_PARAM_VER;
    param.capsToQuery = cap;
    int value = 0;
    const NVENCSTATUS status = driver.api.nvEncGetEncodeCaps(encoder, codec, &param, &value);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver, encoder, status, "nvEncGetEncodeCaps");
    }
    return value;
}

bool codec_supported(const Driver &driver, void *encoder, const GUID &codec) {
    uint32_t count = 0;
    NVENCSTATUS status = driver.api.nvEncGetEncodeGUIDCount(encoder, &count);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver, encoder, status, "nvEncGetEncodeGUIDCount");
    }
    if (count == 0) {
        return false;
    }
    std::vector<GUID> guids(count);
    uint32_t filled = 0;
    status = driver.api.nvEncGetEncodeGUIDs(encoder, guids.data(), count, &filled);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver, encoder, status, "nvEncGetEncodeGUIDs");
    }
    return std::any_of(guids.begin(), guids.begin() + std::min(filled, count),
                       [&](const GUID &g) { return same_guid(g, codec); });
}

struct DeviceCaps {
    uint32_t min_width = 0;
    uint32_t min_height = 0;
    uint32_t max_width = 0;
    uint32_t max_height = 0;
    int max_b_frames = 0;
    bool ten_bit = false;
    bool lookahead = false;
    bool temporal_aq = false;
};

DeviceCaps read_caps(const Driver &driver, void *encoder, int32_t codec, const GUID &guid,
                     const std::string &device_label) {
    if (!codec_supported(driver, encoder, guid)) {
        fail(VTC_ERR_UNSUPPORTED,
             device_label + " cannot encode " + codec_label(codec) + " with NVENC");
    }
    DeviceCaps caps;
    caps.min_width =
        static_cast<uint32_t>(std::max(1, query_cap(driver, encoder, guid, NV_ENC_CAPS_WIDTH_MIN)));
    caps.min_height = static_cast<uint32_t>(
        std::max(1, query_cap(driver, encoder, guid, NV_ENC_CAPS_HEIGHT_MIN)));
    caps.max_width =
        static_cast<uint32_t>(std::max(0, query_cap(driver, encoder, guid, NV_ENC_CAPS_WIDTH_MAX)));
    caps.max_height = static_cast<uint32_t>(
        std::max(0, query_cap(driver, encoder, guid, NV_ENC_CAPS_HEIGHT_MAX)));
    caps.max_b_frames = std::max(0, query_cap(driver, encoder, guid, NV_ENC_CAPS_NUM_MAX_BFRAMES));
    caps.ten_bit = query_cap(driver, encoder, guid, NV_ENC_CAPS_SUPPORT_10BIT_ENCODE) != 0;
    caps.lookahead = query_cap(driver, encoder, guid, NV_ENC_CAPS_SUPPORT_LOOKAHEAD) != 0;
    caps.temporal_aq = query_cap(driver, encoder, guid, NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ) != 0;
    // NVENC has no 10-bit H.264, whatever a driver reports.
    if (codec == VTC_CODEC_H264) {
        caps.ten_bit = false;
    }
    return caps;
}

// ---------------------------------------------------------------------------
// What the config asks for, checked before the device is opened.

struct Plan {
    bool ten_bit = false;
    NV_ENC_BUFFER_FORMAT buffer_format = NV_ENC_BUFFER_FORMAT_NV12;
    GUID profile{};
    int32_t quality = 0;
};

Plan validate(const vtc_encoder_config &config) {
    Plan plan;
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "the NVENC plugin takes frames in system memory only "
                                  "(memory_type " +
                                      std::to_string(config.memory_type) + ")");
    }
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
    case VTC_PIXEL_FORMAT_NV12:
        break;
    case VTC_PIXEL_FORMAT_I420_10:
    case VTC_PIXEL_FORMAT_P010:
        plan.ten_bit = true;
        plan.buffer_format = NV_ENC_BUFFER_FORMAT_YUV420_10BIT;
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED,
             "NVENC does not take pixel_format " + std::to_string(config.pixel_format));
    }
    if (plan.ten_bit && config.codec == VTC_CODEC_H264) {
        fail(VTC_ERR_UNSUPPORTED, "NVENC has no 10-bit H.264: use HEVC Main10 or AV1 for 10-bit");
    }
    if (config.width % 2 != 0 || config.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, "4:2:0 encoding needs an even width and height, not " +
                                      std::to_string(config.width) + "x" +
                                      std::to_string(config.height));
    }

    switch (config.codec) {
    case VTC_CODEC_H264:
        switch (config.profile) {
        case VTC_PROFILE_H264_BASELINE:
            plan.profile = NV_ENC_H264_PROFILE_BASELINE_GUID;
            break;
        case VTC_PROFILE_H264_MAIN:
            plan.profile = NV_ENC_H264_PROFILE_MAIN_GUID;
            break;
        case VTC_PROFILE_UNSET:
        case VTC_PROFILE_H264_HIGH:
            plan.profile = NV_ENC_H264_PROFILE_HIGH_GUID;
            break;
        default:
            fail(VTC_ERR_UNSUPPORTED, "NVENC does not offer H.264 profile " +
                                          std::to_string(config.profile) +
                                          " (no High10: NVENC H.264 is 8-bit only)");
        }
        break;
    case VTC_CODEC_HEVC:
        if (config.profile == VTC_PROFILE_HEVC_MAIN && plan.ten_bit) {
            fail(VTC_ERR_UNSUPPORTED, "HEVC Main is 8-bit; 10-bit input needs Main10");
        }
        if (config.profile == VTC_PROFILE_HEVC_MAIN10 && !plan.ten_bit) {
            fail(VTC_ERR_UNSUPPORTED, "HEVC Main10 here takes 10-bit input (I420_10 or P010)");
        }
        plan.profile =
            plan.ten_bit ? NV_ENC_HEVC_PROFILE_MAIN10_GUID : NV_ENC_HEVC_PROFILE_MAIN_GUID;
        break;
#ifdef VTC_NVENC_HAS_AV1
    case VTC_CODEC_AV1:
        plan.profile = NV_ENC_AV1_PROFILE_MAIN_GUID;
        break;
#endif
    default:
        (void)codec_guid(config.codec); // throws UNSUPPORTED with the reason
    }

    // Quality scales: QP 0..51 and NVENC's targetQuality 0..51 (0 = the
    // driver's choice) for H.264 / HEVC; AV1 has targetQuality 0..63 and
    // qindex 0..255.
    const bool av1 = config.codec == VTC_CODEC_AV1;
    const bool cqp = config.rate_control == VTC_RATE_CONTROL_CQP;
    const int32_t max_quality = av1 ? (cqp ? kMaxAv1Qp : kMaxAv1Cq) : kMaxQp;
    if (config.quality == VTC_QUALITY_DEFAULT) {
        plan.quality = config.codec == VTC_CODEC_H264   ? 23
                       : config.codec == VTC_CODEC_HEVC ? 28
                                                        : 30;
        if (av1 && cqp) {
            plan.quality = 120;
        }
    } else if (config.quality < 0 || config.quality > max_quality) {
        fail(VTC_ERR_INVALID_ARG, "quality " + std::to_string(config.quality) +
                                      " is outside NVENC's 0.." + std::to_string(max_quality) +
                                      " for this codec and rate control");
    } else {
        plan.quality = config.quality;
    }
    return plan;
}

uint32_t to_bits_per_second(uint32_t kbps, const char *what) {
    if (kbps > UINT32_MAX / 1000u) {
        fail(VTC_ERR_INVALID_ARG, std::string(what) + " is larger than NVENC's 32-bit bit/s field");
    }
    return kbps * 1000u;
}

void apply_rate_control(const vtc_encoder_config &config, const Plan &plan, NV_ENC_RC_PARAMS &rc) {
    // VLog's "-maxrate B -bufsize 2B": an unset buffer holds two seconds.
    auto vbv_bits = [&](uint32_t rate_kbps) {
        return to_bits_per_second(config.vbv_buffer_kbits != 0
                                      ? config.vbv_buffer_kbits
                                      : std::min(rate_kbps, UINT32_MAX / 2) * 2,
                                  "vbv_buffer_kbits");
    };
    switch (config.rate_control) {
    case VTC_RATE_CONTROL_CQP:
        rc.rateControlMode = NV_ENC_PARAMS_RC_CONSTQP;
        // The preset's bitrates mean nothing here; leave none behind.
        rc.averageBitRate = 0;
        rc.maxBitRate = 0;
        rc.vbvBufferSize = 0;
        rc.targetQuality = 0;
        rc.constQP.qpIntra = static_cast<uint32_t>(plan.quality);
        rc.constQP.qpInterP = static_cast<uint32_t>(plan.quality);
        rc.constQP.qpInterB = static_cast<uint32_t>(plan.quality);
        break;
    case VTC_RATE_CONTROL_CRF:
    case VTC_RATE_CONTROL_CAPPED_CRF:
        // NVENC's constant-quality mode is VBR with a target quality and no
        // average bitrate; the cap is maxBitRate with its VBV buffer.
        rc.rateControlMode = NV_ENC_PARAMS_RC_VBR;
        rc.averageBitRate = 0;
        rc.targetQuality = static_cast<uint8_t>(plan.quality);
        rc.targetQualityLSB = 0;
        if (config.rate_control == VTC_RATE_CONTROL_CAPPED_CRF) {
            rc.maxBitRate = to_bits_per_second(config.max_bitrate_kbps, "max_bitrate_kbps");
            rc.vbvBufferSize = vbv_bits(config.max_bitrate_kbps);
            rc.vbvInitialDelay = rc.vbvBufferSize;
        } else {
            rc.maxBitRate = 0;
            rc.vbvBufferSize = 0;
        }
        break;
    case VTC_RATE_CONTROL_VBR:
        rc.rateControlMode = NV_ENC_PARAMS_RC_VBR;
        rc.averageBitRate = to_bits_per_second(config.bitrate_kbps, "bitrate_kbps");
        rc.targetQuality = 0;
        if (config.max_bitrate_kbps != 0) {
            rc.maxBitRate = to_bits_per_second(config.max_bitrate_kbps, "max_bitrate_kbps");
            rc.vbvBufferSize = vbv_bits(config.max_bitrate_kbps);
        }
        break;
    case VTC_RATE_CONTROL_CBR:
        rc.rateControlMode = NV_ENC_PARAMS_RC_CBR;
        rc.averageBitRate = to_bits_per_second(config.bitrate_kbps, "bitrate_kbps");
        rc.maxBitRate = rc.averageBitRate;
        rc.targetQuality = 0;
        rc.vbvBufferSize = vbv_bits(config.bitrate_kbps);
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED,
             "NVENC does not offer rate_control " + std::to_string(config.rate_control));
    }
}

template <class Vui>
void apply_vui(const vtc_encoder_config &config, Vui &vui) {
    const bool has_colour =
        config.color_primaries != 2 || config.color_transfer != 2 || config.color_matrix != 2;
    vui.videoSignalTypePresentFlag = (has_colour || config.color_range != 0) ? 1 : 0;
    assign(vui.videoFormat, 5); // "unspecified" (H.264 / HEVC table E-2)
    vui.videoFullRangeFlag = config.color_range == 2 ? 1 : 0;
    vui.colourDescriptionPresentFlag = has_colour ? 1 : 0;
    assign(vui.colourPrimaries, config.color_primaries);
    assign(vui.transferCharacteristics, config.color_transfer);
    assign(vui.colourMatrix, config.color_matrix);
}

void set_bit_depth_hevc(NV_ENC_CONFIG_HEVC &hevc, bool ten_bit) {
#ifdef VTC_NVENC_BIT_DEPTH_ENUM
    hevc.inputBitDepth = ten_bit ? NV_ENC_BIT_DEPTH_10 : NV_ENC_BIT_DEPTH_8;
    hevc.outputBitDepth = hevc.inputBitDepth;
#else
    hevc.pixelBitDepthMinus8 = ten_bit ? 2 : 0;
#endif
}

#ifdef VTC_NVENC_HAS_AV1
void set_bit_depth_av1(NV_ENC_CONFIG_AV1 &av1, bool ten_bit) {
#ifdef VTC_NVENC_BIT_DEPTH_ENUM
    av1.inputBitDepth = ten_bit ? NV_ENC_BIT_DEPTH_10 : NV_ENC_BIT_DEPTH_8;
    av1.outputBitDepth = av1.inputBitDepth;
#else
    av1.inputPixelBitDepthMinus8 = ten_bit ? 2 : 0;
    av1.pixelBitDepthMinus8 = ten_bit ? 2 : 0;
#endif
}
#endif

// Display aspect ratio for NV_ENC_INITIALIZE_PARAMS: NVENC derives the VUI
// sample aspect ratio from it and the coded size.
void set_display_aspect(const vtc_encoder_config &config, NV_ENC_INITIALIZE_PARAMS &init) {
    const vtc_rational sar = config.sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) {
        return;
    }
    uint64_t dar_w = uint64_t{config.width} * static_cast<uint64_t>(sar.num);
    uint64_t dar_h = uint64_t{config.height} * static_cast<uint64_t>(sar.den);
    const uint64_t divisor = std::gcd(dar_w, dar_h);
    dar_w /= divisor;
    dar_h /= divisor;
    if (dar_w > UINT32_MAX || dar_h > UINT32_MAX) {
        fail(VTC_ERR_UNSUPPORTED, "sample_aspect_ratio " + std::to_string(sar.num) + ":" +
                                      std::to_string(sar.den) + " does not fit NVENC's fields");
    }
    init.darWidth = static_cast<uint32_t>(dar_w);
    init.darHeight = static_cast<uint32_t>(dar_h);
}

} // namespace

// ---------------------------------------------------------------------------

namespace {

// The registry probes once, when the worker starts. If other processes hold
// every NVENC session at that moment, the device's caps cannot be read, but
// the device is there and sessions come free later: report what every NVENC
// generation can do (8-bit, no B-frames, 4096x4096) instead of marking the
// encoder unusable for the worker's whole life. create() still answers
// DEVICE_BUSY or UNSUPPORTED precisely, and the engine then falls back.
void unconfirmed_caps(int32_t codec, const CudaContext &context, vtc_encoder_caps &caps) {
    caps.bit_depths = VTC_BIT_DEPTH_8;
    caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
    caps.profiles =
        static_cast<uint32_t>(codec == VTC_CODEC_H264 ? VTC_BIT(VTC_PROFILE_H264_BASELINE) |
                                                            VTC_BIT(VTC_PROFILE_H264_MAIN) |
                                                            VTC_BIT(VTC_PROFILE_H264_HIGH)
                              : codec == VTC_CODEC_HEVC ? VTC_BIT(VTC_PROFILE_HEVC_MAIN)
                                                        : VTC_BIT(VTC_PROFILE_AV1_MAIN));
    caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
    caps.rate_control_modes =
        static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                              VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF) | VTC_BIT(VTC_RATE_CONTROL_VBR) |
                              VTC_BIT(VTC_RATE_CONTROL_CBR));
    caps.min_width = 2;
    caps.min_height = 2;
    caps.max_width = 4096;
    caps.max_height = 4096;
    caps.size_alignment = 2;
    caps.max_sessions = 0;
    vtc::sdk::set_device_name(caps, context.device_name());
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA |
                 VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_HARDWARE;
}

} // namespace

void NvencEncoder::query_caps_for(int32_t codec, const vtc_host &host, vtc_encoder_caps &caps) {
    const Driver &drv = driver();
    const GUID guid = codec_guid(codec);
    const CudaContext context(drv, 0);
    std::optional<Session> session;
    try {
        session.emplace(drv, context);
    } catch (const vtc::sdk::Error &e) {
        if (e.status() != VTC_ERR_DEVICE_BUSY) {
            throw;
        }
        vtc::sdk::log(&host, VTC_LOG_WARNING,
                      std::string(e.what()) +
                          "; reporting caps every NVENC generation has until a session is free");
        unconfirmed_caps(codec, context, caps);
        return;
    }
    const ContextScope scope(drv, context);
    const DeviceCaps device = read_caps(drv, session->get(), codec, guid, context.label());

    caps.bit_depths = VTC_BIT_DEPTH_8;
    caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
    switch (codec) {
    case VTC_CODEC_H264:
        caps.profiles =
            static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_BASELINE) |
                                  VTC_BIT(VTC_PROFILE_H264_MAIN) | VTC_BIT(VTC_PROFILE_H264_HIGH));
        break;
    case VTC_CODEC_HEVC:
        caps.profiles = static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN));
        if (device.ten_bit) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN10));
        }
        break;
    default:
        caps.profiles = static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_AV1_MAIN));
        break;
    }
    if (device.ten_bit) {
        caps.bit_depths |= VTC_BIT_DEPTH_10;
        caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420_10) | VTC_BIT(VTC_PIXEL_FORMAT_P010);
    }
    caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
    caps.rate_control_modes =
        static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                              VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF) | VTC_BIT(VTC_RATE_CONTROL_VBR) |
                              VTC_BIT(VTC_RATE_CONTROL_CBR));
    caps.min_width = std::max<uint32_t>(device.min_width, 2);
    caps.min_height = std::max<uint32_t>(device.min_height, 2);
    caps.max_width = device.max_width;
    caps.max_height = device.max_height;
    caps.size_alignment = 2;
    // The session limit is the driver's and not queryable through NVENC; a
    // refused session is reported by create() as VTC_ERR_DEVICE_BUSY.
    caps.max_sessions = 0;
    // Since ABI 1.1; the adapter copies only what the host's struct holds.
    vtc::sdk::set_device_name(caps, context.device_name());
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA |
                 VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_HARDWARE;
    if (device.max_b_frames > 0) {
        caps.flags |= VTC_ENCODER_CAP_B_FRAMES;
    }
}

namespace {
// Everything the config alone decides is checked before the driver is even
// loaded, so a bad config is INVALID_ARG / UNSUPPORTED on every machine.
const Driver &driver_for(const vtc_encoder_config &config) {
    (void)validate(config);
    (void)parse_preset(config.preset);
    (void)parse_options(config.options);
    (void)parse_device_ordinal(config.device);
    return driver();
}
} // namespace

NvencEncoder::NvencEncoder(const vtc_host &host, const vtc_encoder_config &config)
    : host_(host), config_(config), driver_(driver_for(config)) {
    const Plan plan = validate(config);
    const PresetChoice preset = parse_preset(config.preset);
    const Options options = parse_options(config.options);
    const int ordinal = parse_device_ordinal(config.device);
    ten_bit_ = plan.ten_bit;
    buffer_format_ = plan.buffer_format;
    codec_guid_ = codec_guid(config.codec);

    context_ = std::make_unique<CudaContext>(driver_, ordinal);
    session_ = std::make_unique<Session>(driver_, *context_);
    void *encoder = session_->get();
    const ContextScope scope(driver_, *context_);

    const DeviceCaps device =
        read_caps(driver_, encoder, config.codec, codec_guid_, context_->label());
    if (ten_bit_ && !device.ten_bit) {
        fail(VTC_ERR_UNSUPPORTED,
             context_->label() + " cannot encode 10-bit " + codec_label(config.codec));
    }
    if (config.width < device.min_width || config.height < device.min_height ||
        config.width > device.max_width || config.height > device.max_height) {
        fail(VTC_ERR_UNSUPPORTED,
             std::to_string(config.width) + "x" + std::to_string(config.height) +
                 " is outside what " + context_->label() + " encodes (" +
                 std::to_string(device.min_width) + "x" + std::to_string(device.min_height) +
                 " .. " + std::to_string(device.max_width) + "x" +
                 std::to_string(device.max_height) + ")");
    }
    if (config.max_b_frames > device.max_b_frames) {
        fail(VTC_ERR_UNSUPPORTED, context_->label() + " allows at most " +
                                      std::to_string(device.max_b_frames) + " B-frames for " +
                                      codec_label(config.codec) + ", not " +
                                      std::to_string(config.max_b_frames));
    }
    if (options.lookahead > 0 && !device.lookahead) {
        fail(VTC_ERR_UNSUPPORTED, context_->label() + " has no NVENC lookahead");
    }
    if (options.temporal_aq == 1 && !device.temporal_aq) {
        fail(VTC_ERR_UNSUPPORTED, context_->label() + " has no NVENC temporal AQ");
    }

    // The preset's configuration for this codec and tuning, then ours on top.
    NV_ENC_PRESET_CONFIG preset_config{};
    preset_config.version = NV_ENC_PRESET_CONFIG_VER;
    preset_config.presetCfg.version = NV_ENC_CONFIG_VER;
    NVENCSTATUS status = driver_.api.nvEncGetEncodePresetConfigEx(encoder, codec_guid_, preset.guid,
                                                                  options.tuning, &preset_config);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncGetEncodePresetConfigEx");
    }
    NV_ENC_CONFIG cfg = preset_config.presetCfg;
    cfg.version = NV_ENC_CONFIG_VER;
    cfg.profileGUID = plan.profile;
    const uint32_t gop =
        config.max_keyframe_interval != 0 ? config.max_keyframe_interval : kDefaultGop;
    cfg.gopLength = gop;
    if (config.max_b_frames != VTC_B_FRAMES_DEFAULT) {
        cfg.frameIntervalP = config.max_b_frames + 1;
    }
    if (config.profile == VTC_PROFILE_H264_BASELINE) {
        // Baseline has no B-slices: the preset's B-frames must go.
        if (config.max_b_frames > 0) {
            fail(VTC_ERR_UNSUPPORTED, "H.264 Baseline has no B-frames (max_b_frames " +
                                          std::to_string(config.max_b_frames) + ")");
        }
        cfg.frameIntervalP = 1;
    }
    cfg.frameIntervalP = std::clamp(cfg.frameIntervalP, 1, device.max_b_frames + 1);
    reorder_delay_ = cfg.frameIntervalP - 1;
    cfg.frameFieldMode = NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME;

    apply_rate_control(config, plan, cfg.rcParams);
    if (options.lookahead >= 0) {
        cfg.rcParams.enableLookahead = options.lookahead > 0 ? 1 : 0;
        cfg.rcParams.lookaheadDepth = static_cast<uint16_t>(options.lookahead);
    }
    if (options.spatial_aq >= 0) {
        cfg.rcParams.enableAQ = static_cast<uint32_t>(options.spatial_aq);
    }
    if (options.temporal_aq >= 0) {
        cfg.rcParams.enableTemporalAQ = static_cast<uint32_t>(options.temporal_aq);
    }
    if (options.multipass >= 0) {
        cfg.rcParams.multiPass = static_cast<NV_ENC_MULTI_PASS>(options.multipass);
    }
    const NV_ENC_BFRAME_REF_MODE b_ref =
        options.b_ref_mode >= 0 ? static_cast<NV_ENC_BFRAME_REF_MODE>(options.b_ref_mode)
                                : NV_ENC_BFRAME_REF_MODE_DISABLED;
    b_frames_disposable_ = b_ref == NV_ENC_BFRAME_REF_MODE_DISABLED;

    switch (config.codec) {
    case VTC_CODEC_H264: {
        NV_ENC_CONFIG_H264 &h264 = cfg.encodeCodecConfig.h264Config;
        // Every GOP starts with an IDR, so GOPs are closed and segments cut
        // at keyframes decode on their own.
        h264.idrPeriod = gop;
        h264.repeatSPSPPS = 1;
        h264.disableSPSPPS = 0;
        h264.outputAUD = 0;
        h264.chromaFormatIDC = 1;
        h264.useBFramesAsRef = b_ref;
        apply_vui(config, h264.h264VUIParameters);
        break;
    }
    case VTC_CODEC_HEVC: {
        NV_ENC_CONFIG_HEVC &hevc = cfg.encodeCodecConfig.hevcConfig;
        hevc.idrPeriod = gop;
        hevc.repeatSPSPPS = 1;
        hevc.disableSPSPPS = 0;
        hevc.outputAUD = 0;
        hevc.chromaFormatIDC = 1;
        hevc.useBFramesAsRef = b_ref;
        set_bit_depth_hevc(hevc, ten_bit_);
        apply_vui(config, hevc.hevcVUIParameters);
        break;
    }
#ifdef VTC_NVENC_HAS_AV1
    case VTC_CODEC_AV1: {
        NV_ENC_CONFIG_AV1 &av1 = cfg.encodeCodecConfig.av1Config;
        av1.idrPeriod = gop;
        av1.repeatSeqHdr = 1;
        av1.disableSeqHdr = 0;
        av1.chromaFormatIDC = 1;
        av1.useBFramesAsRef = b_ref;
        set_bit_depth_av1(av1, ten_bit_);
        assign(av1.colorPrimaries, config.color_primaries);
        assign(av1.transferCharacteristics, config.color_transfer);
        assign(av1.matrixCoefficients, config.color_matrix);
        av1.colorRange = config.color_range == 2 ? 1 : 0;
        break;
    }
#endif
    default:
        break;
    }

    NV_ENC_INITIALIZE_PARAMS init{};
    init.version = NV_ENC_INITIALIZE_PARAMS_VER;
    init.encodeGUID = codec_guid_;
    init.presetGUID = preset.guid;
    init.tuningInfo = options.tuning;
    init.encodeWidth = config.width;
    init.encodeHeight = config.height;
    init.maxEncodeWidth = config.width;
    init.maxEncodeHeight = config.height;
    set_display_aspect(config, init);
    if (config.frame_rate.num > 0) {
        init.frameRateNum = static_cast<uint32_t>(config.frame_rate.num);
        init.frameRateDen = static_cast<uint32_t>(config.frame_rate.den);
        const int64_t ticks = int64_t{config.time_base.den} * config.frame_rate.den;
        const int64_t per = int64_t{config.time_base.num} * config.frame_rate.num;
        default_duration_ = std::max<int64_t>(1, (ticks + per / 2) / per);
    } else {
        // No nominal rate: NVENC still needs one for rate control.
        init.frameRateNum = 30;
        init.frameRateDen = 1;
        default_duration_ =
            std::max<int64_t>(1, (int64_t{config.time_base.den} + 15 * config.time_base.num) /
                                     (30 * int64_t{config.time_base.num}));
    }
    // Synchronous mode: Linux drivers have no completion events, and the
    // host serialises calls anyway.
    init.enableEncodeAsync = 0;
    init.enablePTD = 1;
    init.encodeConfig = &cfg;
    // init.bufferFormat stays UNDEFINED: it is for D3D12 clients; with CUDA
    // the input buffers carry the format (NV12 / P010).

    status = driver_.api.nvEncInitializeEncoder(encoder, &init);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncInitializeEncoder");
    }

    // Parameter sets for out-of-band carriage, available before any frame.
    std::vector<uint8_t> headers(1024);
    uint32_t header_size = 0;
    NV_ENC_SEQUENCE_PARAM_PAYLOAD payload{};
    payload.version = NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER;
    payload.inBufferSize = static_cast<uint32_t>(headers.size());
    payload.spsppsBuffer = headers.data();
    payload.outSPSPPSPayloadSize = &header_size;
    status = driver_.api.nvEncGetSequenceParams(encoder, &payload);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncGetSequenceParams");
    }
    extradata_.assign(headers.begin(),
                      headers.begin() + std::min<size_t>(header_size, headers.size()));

    // Enough pairs for every picture NVENC may hold back (B-frames and
    // lookahead) plus a few the host has not collected yet.
    const size_t lookahead = cfg.rcParams.enableLookahead ? cfg.rcParams.lookaheadDepth : 0;
    create_buffers(std::min(kMaxSlots, static_cast<size_t>(cfg.frameIntervalP) + lookahead + 4));

    static constexpr const char *kRateNames[] = {"cqp", "crf", "capped crf", "vbr", "cbr"};
    std::string summary =
        std::string("NVENC ") + codec_label(config.codec) + " on " + context_->label() + ": " +
        std::to_string(config.width) + "x" + std::to_string(config.height) +
        (ten_bit_ ? " 10-bit" : " 8-bit") + ", preset p" + std::to_string(preset.number) + ", " +
        kRateNames[config.rate_control - 1] + " " + std::to_string(plan.quality) + ", gop " +
        std::to_string(gop) + ", b-frames " + std::to_string(cfg.frameIntervalP - 1);
    if (cfg.rcParams.maxBitRate != 0) {
        summary += ", max " + std::to_string(cfg.rcParams.maxBitRate / 1000) + " kbps / vbv " +
                   std::to_string(cfg.rcParams.vbvBufferSize / 1000) + " kbit";
    }
    vtc::sdk::log(&host_, VTC_LOG_INFO, summary);
}

NvencEncoder::~NvencEncoder() {
    destroy_buffers();
}

void NvencEncoder::create_buffers(size_t count) {
    void *encoder = session_->get();
    slots_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        Slot slot;
        NV_ENC_CREATE_INPUT_BUFFER input{};
        input.version = NV_ENC_CREATE_INPUT_BUFFER_VER;
        input.width = config_.width;
        input.height = config_.height;
        input.memoryHeap = NV_ENC_MEMORY_HEAP_SYSMEM_CACHED;
        input.bufferFmt = buffer_format_;
        NVENCSTATUS status = driver_.api.nvEncCreateInputBuffer(encoder, &input);
        if (status != NV_ENC_SUCCESS) {
            fail_nvenc(driver_, encoder, status, "nvEncCreateInputBuffer");
        }
        slot.input = input.inputBuffer;
        NV_ENC_CREATE_BITSTREAM_BUFFER output{};
        output.version = NV_ENC_CREATE_BITSTREAM_BUFFER_VER;
        status = driver_.api.nvEncCreateBitstreamBuffer(encoder, &output);
        if (status != NV_ENC_SUCCESS) {
            driver_.api.nvEncDestroyInputBuffer(encoder, slot.input);
            fail_nvenc(driver_, encoder, status, "nvEncCreateBitstreamBuffer");
        }
        slot.output = output.bitstreamBuffer;
        slots_.push_back(slot);
        free_.push_back(i);
    }
}

void NvencEncoder::destroy_buffers() noexcept {
    if (session_ == nullptr || slots_.empty()) {
        return;
    }
    try {
        const ContextScope scope(driver_, *context_);
        for (const Slot &slot : slots_) {
            driver_.api.nvEncDestroyInputBuffer(session_->get(), slot.input);
            driver_.api.nvEncDestroyBitstreamBuffer(session_->get(), slot.output);
        }
    } catch (...) {
        // Context gone with the device: the driver freed the buffers with it.
    }
    slots_.clear();
}

std::span<const uint8_t> NvencEncoder::extradata() {
    return extradata_;
}

void NvencEncoder::check_cancelled() const {
    if (vtc::sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
}

void NvencEncoder::copy_into(const vtc_frame &frame, NV_ENC_INPUT_PTR input, uint32_t &pitch) {
    void *encoder = session_->get();
    NV_ENC_LOCK_INPUT_BUFFER lock{};
    lock.version = NV_ENC_LOCK_INPUT_BUFFER_VER;
    lock.inputBuffer = input;
    NVENCSTATUS status = driver_.api.nvEncLockInputBuffer(encoder, &lock);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncLockInputBuffer");
    }
    pitch = lock.pitch;
    auto *luma = static_cast<uint8_t *>(lock.bufferDataPtr);
    // The interleaved chroma plane follows the luma plane of the buffer's
    // full height, at the same pitch.
    const auto row_bytes = static_cast<std::ptrdiff_t>(lock.pitch);
    plugins::copy_to_semiplanar(frame, config_.pixel_format, config_.width, config_.height,
                                {luma, row_bytes, luma + row_bytes * config_.height, row_bytes});
    status = driver_.api.nvEncUnlockInputBuffer(encoder, input);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncUnlockInputBuffer");
    }
}

void NvencEncoder::mark_submitted_ready() {
    while (!submitted_.empty()) {
        ready_.push_back(submitted_.front());
        submitted_.pop_front();
    }
}

vtc_status NvencEncoder::send_frame(const vtc_frame &frame) {
    if (free_.empty()) {
        if (!ready_.empty()) {
            return VTC_OUTPUT_PENDING;
        }
        fail(VTC_ERR_INTERNAL, "every NVENC buffer is held by the driver (more than " +
                                   std::to_string(slots_.size()) + " pictures in flight)");
    }
    check_cancelled();
    // The adapter checked size and format; rows are read top-down.
    vtc::sdk::check_frame_planes(frame, config_, vtc::sdk::StrideSign::positive);

    const ContextScope scope(driver_, *context_);
    void *encoder = session_->get();
    const size_t index = free_.front();
    const Slot &slot = slots_[index];
    uint32_t pitch = 0;
    copy_into(frame, slot.input, pitch);

    NV_ENC_PIC_PARAMS pic{};
    pic.version = NV_ENC_PIC_PARAMS_VER;
    pic.inputWidth = config_.width;
    pic.inputHeight = config_.height;
    pic.inputPitch = pitch;
    pic.inputBuffer = slot.input;
    pic.outputBitstream = slot.output;
    pic.bufferFmt = buffer_format_;
    pic.pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
    pic.inputTimeStamp = static_cast<uint64_t>(frame.pts);
    const int64_t duration = frame.duration > 0 ? frame.duration : default_duration_;
    pic.inputDuration = static_cast<uint64_t>(duration);
    if ((frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0) {
        // An IDR exactly here, with its parameter sets, so a segment starts
        // on it.
        pic.encodePicFlags = NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS;
    }
    const NVENCSTATUS status = driver_.api.nvEncEncodePicture(encoder, &pic);
    if (status != NV_ENC_SUCCESS && status != NV_ENC_ERR_NEED_MORE_INPUT) {
        fail_nvenc(driver_, encoder, status, "nvEncEncodePicture");
    }
    free_.pop_front();
    submitted_.push_back(index);
    if (input_pts_.empty() && outputs_ == 0) {
        first_pts_ = frame.pts;
    }
    input_pts_.push_back(frame.pts);
    durations_[frame.pts] = duration;
    // NEED_MORE_INPUT: a B-frame (or lookahead) held back; its packet comes
    // with a later picture.
    if (status == NV_ENC_SUCCESS) {
        mark_submitted_ready();
    }
    return VTC_OK;
}

void NvencEncoder::drain() {
    // The end-of-stream picture is sent from receive_packet(), so an error it
    // reports reaches the host there.
    draining_ = true;
}

vtc_status NvencEncoder::receive_packet(vtc_packet &packet) {
    void *encoder = session_->get();
    const ContextScope scope(driver_, *context_);
    if (ready_.empty() && draining_ && !eos_sent_) {
        check_cancelled();
        NV_ENC_PIC_PARAMS eos{};
        eos.version = NV_ENC_PIC_PARAMS_VER;
        eos.encodePicFlags = NV_ENC_PIC_FLAG_EOS;
        const NVENCSTATUS status = driver_.api.nvEncEncodePicture(encoder, &eos);
        if (status != NV_ENC_SUCCESS) {
            fail_nvenc(driver_, encoder, status, "nvEncEncodePicture (end of stream)");
        }
        eos_sent_ = true;
        mark_submitted_ready();
    }
    if (ready_.empty()) {
        return VTC_NEED_INPUT; // the adapter turns this into END_OF_STREAM after drain()
    }
    check_cancelled();

    const size_t index = ready_.front();
    NV_ENC_LOCK_BITSTREAM lock{};
    lock.version = NV_ENC_LOCK_BITSTREAM_VER;
    lock.outputBitstream = slots_[index].output;
    lock.doNotWait = 0;
    NVENCSTATUS status = driver_.api.nvEncLockBitstream(encoder, &lock);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncLockBitstream");
    }
    const auto *bytes = static_cast<const uint8_t *>(lock.bitstreamBufferPtr);
    packet_data_.assign(bytes, bytes + lock.bitstreamSizeInBytes);
    const NV_ENC_PIC_TYPE type = lock.pictureType;
    const auto pts = static_cast<int64_t>(lock.outputTimeStamp);
    status = driver_.api.nvEncUnlockBitstream(encoder, slots_[index].output);
    if (status != NV_ENC_SUCCESS) {
        fail_nvenc(driver_, encoder, status, "nvEncUnlockBitstream");
    }
    ready_.pop_front();
    free_.push_back(index);
    if (packet_data_.empty()) {
        fail(VTC_ERR_INTERNAL, "NVENC returned an empty bitstream for pts " + std::to_string(pts));
    }

    // Coded frame k never shows earlier than input k - delay (a B-frame waits
    // for at most `delay` later pictures), so that input's pts is a dts that
    // increases and never exceeds the pts. The first `delay` packets get dts
    // values before the first pts.
    int64_t dts = 0;
    if (outputs_ < reorder_delay_) {
        dts = first_pts_ - (reorder_delay_ - outputs_) * default_duration_;
    } else {
        dts = input_pts_.front();
        input_pts_.pop_front();
    }
    ++outputs_;

    packet.data = packet_data_.data();
    packet.size = packet_data_.size();
    packet.pts = pts;
    packet.dts = dts;
    packet.flags = 0;
    if (type == NV_ENC_PIC_TYPE_IDR) {
        packet.flags |= VTC_PACKET_KEYFRAME;
    }
    if (type == NV_ENC_PIC_TYPE_NONREF_P || (type == NV_ENC_PIC_TYPE_B && b_frames_disposable_)) {
        packet.flags |= VTC_PACKET_DISPOSABLE;
    }
    if (auto it = durations_.find(pts); it != durations_.end()) {
        packet.duration = it->second;
        durations_.erase(it);
    }
    return VTC_OK;
}

} // namespace vtc::nvenc_plugin
