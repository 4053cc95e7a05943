// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "qsv_encoder.hpp"

#include "../common/semiplanar_copy.hpp"

#include <vpl/mfx.h>

#include <va/va.h>
#include <va/va_drm.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string_view>
#include <thread>

namespace vtc::qsv_plugin {

namespace {

using vtc::sdk::fail;
using vtc::sdk::set_device_name;

constexpr const char *kDefaultDevice = "/dev/dri/renderD128";
// How long SyncOperation may wait for one frame before the GPU counts as hung.
constexpr mfxU32 kSyncTimeoutMs = 60000;
// MFX_WRN_DEVICE_BUSY means "retry shortly"; after this long it is a hang.
constexpr int kBusyRetryLimitMs = 10000;
constexpr size_t kMaxBitstreamBytes = size_t{256} << 20;

std::string number(mfxU32 value) {
    char text[16];
    std::snprintf(text, sizeof text, "%d", static_cast<int>(value));
    return text;
}

const char *mfx_status_name(mfxStatus status) {
    switch (status) {
    case MFX_ERR_NONE:
        return "MFX_ERR_NONE";
    case MFX_ERR_UNKNOWN:
        return "MFX_ERR_UNKNOWN";
    case MFX_ERR_NULL_PTR:
        return "MFX_ERR_NULL_PTR";
    case MFX_ERR_UNSUPPORTED:
        return "MFX_ERR_UNSUPPORTED";
    case MFX_ERR_MEMORY_ALLOC:
        return "MFX_ERR_MEMORY_ALLOC";
    case MFX_ERR_NOT_ENOUGH_BUFFER:
        return "MFX_ERR_NOT_ENOUGH_BUFFER";
    case MFX_ERR_INVALID_HANDLE:
        return "MFX_ERR_INVALID_HANDLE";
    case MFX_ERR_LOCK_MEMORY:
        return "MFX_ERR_LOCK_MEMORY";
    case MFX_ERR_NOT_INITIALIZED:
        return "MFX_ERR_NOT_INITIALIZED";
    case MFX_ERR_NOT_FOUND:
        return "MFX_ERR_NOT_FOUND";
    case MFX_ERR_MORE_DATA:
        return "MFX_ERR_MORE_DATA";
    case MFX_ERR_MORE_SURFACE:
        return "MFX_ERR_MORE_SURFACE";
    case MFX_ERR_ABORTED:
        return "MFX_ERR_ABORTED";
    case MFX_ERR_DEVICE_LOST:
        return "MFX_ERR_DEVICE_LOST";
    case MFX_ERR_INCOMPATIBLE_VIDEO_PARAM:
        return "MFX_ERR_INCOMPATIBLE_VIDEO_PARAM";
    case MFX_ERR_INVALID_VIDEO_PARAM:
        return "MFX_ERR_INVALID_VIDEO_PARAM";
    case MFX_ERR_UNDEFINED_BEHAVIOR:
        return "MFX_ERR_UNDEFINED_BEHAVIOR";
    case MFX_ERR_DEVICE_FAILED:
        return "MFX_ERR_DEVICE_FAILED";
    case MFX_ERR_GPU_HANG:
        return "MFX_ERR_GPU_HANG";
    case MFX_ERR_REALLOC_SURFACE:
        return "MFX_ERR_REALLOC_SURFACE";
    case MFX_ERR_NONE_PARTIAL_OUTPUT:
        return "MFX_ERR_NONE_PARTIAL_OUTPUT";
    case MFX_WRN_IN_EXECUTION:
        return "MFX_WRN_IN_EXECUTION";
    case MFX_WRN_DEVICE_BUSY:
        return "MFX_WRN_DEVICE_BUSY";
    case MFX_WRN_VIDEO_PARAM_CHANGED:
        return "MFX_WRN_VIDEO_PARAM_CHANGED";
    case MFX_WRN_PARTIAL_ACCELERATION:
        return "MFX_WRN_PARTIAL_ACCELERATION";
    case MFX_WRN_INCOMPATIBLE_VIDEO_PARAM:
        return "MFX_WRN_INCOMPATIBLE_VIDEO_PARAM";
    case MFX_WRN_VALUE_NOT_CHANGED:
        return "MFX_WRN_VALUE_NOT_CHANGED";
    case MFX_WRN_OUT_OF_RANGE:
        return "MFX_WRN_OUT_OF_RANGE";
    default:
        return "unknown mfxStatus";
    }
}

std::string describe(mfxStatus status) {
    return std::string(mfx_status_name(status)) + " (" + std::to_string(status) + ")";
}

// The status a runtime error during encoding becomes: a lost or hung GPU makes
// the instance unusable (DEVICE_LOST); anything else is the runtime's failure.
vtc_status stream_status(mfxStatus status) {
    switch (status) {
    case MFX_ERR_DEVICE_LOST:
    case MFX_ERR_DEVICE_FAILED:
    case MFX_ERR_GPU_HANG:
        return VTC_ERR_DEVICE_LOST;
    case MFX_ERR_MEMORY_ALLOC:
        return VTC_ERR_NO_MEMORY;
    default:
        return VTC_ERR_INTERNAL;
    }
}

mfxU32 mfx_codec(int32_t codec) {
    switch (codec) {
    case VTC_CODEC_H264:
        return MFX_CODEC_AVC;
    case VTC_CODEC_HEVC:
        return MFX_CODEC_HEVC;
    default:
        return MFX_CODEC_AV1;
    }
}

mfxVariant u32_variant(mfxU32 value) {
    mfxVariant variant{};
    variant.Version.Version = MFX_VARIANT_VERSION;
    variant.Type = MFX_VARIANT_TYPE_U32;
    variant.Data.U32 = value;
    return variant;
}

struct LoaderCloser {
    void operator()(mfxLoader loader) const noexcept { MFXUnload(loader); }
};
using LoaderPtr = std::unique_ptr<std::remove_pointer_t<mfxLoader>, LoaderCloser>;

// What query_caps and create need from the implementation description; the
// description itself goes back to the dispatcher right away.
struct Implementation {
    std::string name;
    std::string device; // for people: "Intel GPU 56a0/0 (mfx-gen)
    mfxAccelerationMode acceleration = MFX_ACCEL_MODE_NA;
    vtc_encoder_caps caps{};
};

void add_profile(int32_t codec, mfxU32 profile, vtc_encoder_caps &caps) {
    switch (codec) {
    case VTC_CODEC_H264:
        if (profile == MFX_PROFILE_AVC_BASELINE ||
            profile == MFX_PROFILE_AVC_CONSTRAINED_BASELINE) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_BASELINE));
        } else if (profile == MFX_PROFILE_AVC_MAIN) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_MAIN));
        } else if (profile == MFX_PROFILE_AVC_HIGH) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_H264_HIGH));
        }
        break;
    case VTC_CODEC_HEVC:
        if (profile == MFX_PROFILE_HEVC_MAIN) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN));
        } else if (profile == MFX_PROFILE_HEVC_MAIN10) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_HEVC_MAIN10));
        }
        break;
    default:
        if (profile == MFX_PROFILE_AV1_MAIN) {
            caps.profiles |= static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_AV1_MAIN));
        }
        break;
    }
}

// Reads the encoder part of one implementation description into vtc caps.
// Returns false when the description has no encoder for @p codec.
bool caps_from_description(const mfxImplDescription &desc, int32_t codec, vtc_encoder_caps &caps) {
    const mfxU32 wanted = mfx_codec(codec);
    for (mfxU16 c = 0; c < desc.Enc.NumCodecs && desc.Enc.Codecs != nullptr; ++c) {
        const auto &entry = desc.Enc.Codecs[c];
        if (entry.CodecID != wanted) {
            continue;
        }
        caps.max_width = 0;
        caps.max_height = 0;
        caps.min_width = UINT32_MAX;
        caps.min_height = UINT32_MAX;
        for (mfxU16 p = 0; p < entry.NumProfiles && entry.Profiles != nullptr; ++p) {
            const auto &profile = entry.Profiles[p];
            add_profile(codec, profile.Profile, caps);
            for (mfxU16 m = 0; m < profile.NumMemTypes && profile.MemDesc != nullptr; ++m) {
                const auto &mem = profile.MemDesc[m];
                // Frames arrive in system memory; the runtime uploads them. A
                // description that lists only video surfaces still encodes from
                // system memory (IOPattern), so every memory kind counts here.
                caps.max_width = std::max(caps.max_width, mem.Width.Max);
                caps.max_height = std::max(caps.max_height, mem.Height.Max);
                caps.min_width = std::min(caps.min_width, std::max<mfxU32>(mem.Width.Min, 2));
                caps.min_height = std::min(caps.min_height, std::max<mfxU32>(mem.Height.Min, 2));
                for (mfxU16 f = 0; f < mem.NumColorFormats && mem.ColorFormats != nullptr; ++f) {
                    if (mem.ColorFormats[f] == MFX_FOURCC_NV12) {
                        caps.bit_depths |= VTC_BIT_DEPTH_8;
                        caps.pixel_formats |=
                            VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
                    } else if (mem.ColorFormats[f] == MFX_FOURCC_P010 && codec != VTC_CODEC_H264) {
                        caps.bit_depths |= VTC_BIT_DEPTH_10;
                        caps.pixel_formats |=
                            VTC_BIT(VTC_PIXEL_FORMAT_I420_10) | VTC_BIT(VTC_PIXEL_FORMAT_P010);
                    }
                }
            }
        }
        if (caps.max_width == 0 || caps.bit_depths == 0) {
            return false;
        }
        if (codec == VTC_CODEC_HEVC && (caps.profiles & VTC_BIT(VTC_PROFILE_HEVC_MAIN10)) == 0) {
            caps.bit_depths &= ~static_cast<uint32_t>(VTC_BIT_DEPTH_10);
            caps.pixel_formats &=
                ~(VTC_BIT(VTC_PIXEL_FORMAT_I420_10) | VTC_BIT(VTC_PIXEL_FORMAT_P010));
        }
        caps.codec = codec;
        caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
        caps.rate_control_modes =
            static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                                  VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF) |
                                  VTC_BIT(VTC_RATE_CONTROL_VBR) | VTC_BIT(VTC_RATE_CONTROL_CBR));
        caps.size_alignment = 2;
        caps.max_sessions = 0; // oneVPL does not describe a session limit
        caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA |
                     VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_HARDWARE;
        if (entry.BiDirectionalPrediction != 0) {
            caps.flags |= VTC_ENCODER_CAP_B_FRAMES;
        }
        return true;
    }
    return false;
}

// Loads the dispatcher with filters for a hardware implementation of API 2.0
// or newer that encodes @p codec, and reads the first match's description.
LoaderPtr load_implementation(int32_t codec, Implementation &impl) {
    LoaderPtr loader(MFXLoad());
    if (loader == nullptr) {
        fail(VTC_ERR_NO_DEVICE, "oneVPL: MFXLoad failed (libvpl dispatcher unusable)");
    }
    auto filter = [&](const char *name, mfxU32 value) {
        mfxConfig config = MFXCreateConfig(loader.get());
        const mfxStatus status =
            config == nullptr
                ? MFX_ERR_NULL_PTR
                : MFXSetConfigFilterProperty(config, reinterpret_cast<const mfxU8 *>(name),
                                             u32_variant(value));
        if (status != MFX_ERR_NONE) {
            fail(VTC_ERR_INTERNAL,
                 std::string("oneVPL: setting filter ") + name + " failed: " + describe(status));
        }
    };
    filter("mfxImplDescription.Impl", MFX_IMPL_TYPE_HARDWARE);
    filter("mfxImplDescription.mfxEncoderDescription.encoder.CodecID", mfx_codec(codec));
    filter("mfxImplDescription.ApiVersion.Version", (mfxU32{2} << 16) | 0u);

    mfxHDL handle = nullptr;
    const mfxStatus status =
        MFXEnumImplementations(loader.get(), 0, MFX_IMPLCAPS_IMPLDESCSTRUCTURE, &handle);
    if (status != MFX_ERR_NONE || handle == nullptr) {
        // A GPU runtime without this codec (AV1 before Arc) is not "no device".
        LoaderPtr any(MFXLoad());
        mfxConfig config = any != nullptr ? MFXCreateConfig(any.get()) : nullptr;
        mfxHDL other = nullptr;
        if (config != nullptr &&
            MFXSetConfigFilterProperty(config,
                                       reinterpret_cast<const mfxU8 *>("mfxImplDescription.Impl"),
                                       u32_variant(MFX_IMPL_TYPE_HARDWARE)) == MFX_ERR_NONE &&
            MFXEnumImplementations(any.get(), 0, MFX_IMPLCAPS_IMPLDESCSTRUCTURE, &other) ==
                MFX_ERR_NONE &&
            other != nullptr) {
            const auto *desc = static_cast<const mfxImplDescription *>(other);
            const std::string name(desc->ImplName, strnlen(desc->ImplName, sizeof desc->ImplName));
            MFXDispReleaseImplDescription(any.get(), other);
            fail(VTC_ERR_UNSUPPORTED, "oneVPL GPU runtime '" + name + "' has no " +
                                          plugins::codec_label(codec) + " encoder");
        }
        fail(VTC_ERR_NO_DEVICE,
             std::string("no oneVPL 2.x GPU runtime that encodes ") + plugins::codec_label(codec) +
                 " was found (is libmfx-gen installed and an Intel GPU present?)");
    }
    const auto *desc = static_cast<const mfxImplDescription *>(handle);
    impl.name = std::string(desc->ImplName, strnlen(desc->ImplName, sizeof desc->ImplName));
    impl.acceleration = desc->AccelerationMode;
    // The runtime knows the PCI id ("56a0/0" is an Arc A770), not a marketing
    // name; with the runtime's name it still tells two workers' GPUs apart.
    const std::string device_id(desc->Dev.DeviceID,
                                strnlen(desc->Dev.DeviceID, sizeof desc->Dev.DeviceID));
    impl.device = device_id.empty() ? "Intel GPU (" + impl.name + ")"
                                    : "Intel GPU " + device_id + " (" + impl.name + ")";
    impl.caps = vtc_encoder_caps{};
    impl.caps.struct_size = sizeof impl.caps;
    const bool found = caps_from_description(*desc, codec, impl.caps);
    MFXDispReleaseImplDescription(loader.get(), handle);
    if (!found) {
        fail(VTC_ERR_UNSUPPORTED, "oneVPL runtime '" + impl.name + "' describes no usable " +
                                      plugins::codec_label(codec) +
                                      " encoder (no NV12/P010 input)");
    }
    return loader;
}

void va_message(void *context, const char *message) {
    // libva prints to stderr unless told otherwise; plugins must not.
    const auto *host = static_cast<const vtc_host *>(context);
    try {
        std::string line = message != nullptr ? message : "";
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        vtc::sdk::log(host, VTC_LOG_DEBUG, "libva: " + line);
    } catch (...) {
    }
}

} // namespace

struct Session {
    const vtc_host *host = nullptr;
    int drm_fd = -1;
    VADisplay display = nullptr;
    bool owns_display = false;
    LoaderPtr loader;
    mfxSession session = nullptr;
    bool encoder_open = false;

    ~Session() {
        if (encoder_open) {
            MFXVideoENCODE_Close(session);
        }
        if (session != nullptr) {
            MFXClose(session);
        }
        loader.reset();
        if (owns_display && display != nullptr) {
            vaTerminate(display);
        }
        if (drm_fd >= 0) {
            close(drm_fd);
        }
    }

    // Opens the DRM render node and initialises a VA display on it, unless the
    // host lends one. GPU runtimes on Linux drive the GPU through it.
    void open_display(const char *device) {
        if (host != nullptr && host->get_service != nullptr) {
            if (const void *lent = host->get_service(host->ctx, VTC_SERVICE_VA_DISPLAY)) {
                display = const_cast<void *>(lent);
                return;
            }
        }
        // config.device first, then the operator's VTC_QSV_DEVICE, then the
        // first render node.
        const char *env_device = std::getenv("VTC_QSV_DEVICE");
        const std::string path = device != nullptr && *device != '\0'           ? device
                                 : env_device != nullptr && *env_device != '\0' ? env_device
                                                                                : kDefaultDevice;
        drm_fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (drm_fd < 0) {
            fail(VTC_ERR_NO_DEVICE, "cannot open " + path + ": " + std::strerror(errno));
        }
        display = vaGetDisplayDRM(drm_fd);
        if (display == nullptr) {
            fail(VTC_ERR_NO_DEVICE, "vaGetDisplayDRM failed on " + path);
        }
        owns_display = true;
        vaSetErrorCallback(display, va_message, const_cast<vtc_host *>(host));
        vaSetInfoCallback(display, va_message, const_cast<vtc_host *>(host));
        int major = 0;
        int minor = 0;
        const VAStatus status = vaInitialize(display, &major, &minor);
        if (status != VA_STATUS_SUCCESS) {
            fail(VTC_ERR_NO_DEVICE, "vaInitialize on " + path + " failed: " + vaErrorStr(status));
        }
    }
};

// ---------------------------------------------------------------------------
// Mappings (README.md has the same tables)

uint16_t target_usage(const char *preset) {
    if (preset == nullptr) {
        return MFX_TARGETUSAGE_BALANCED;
    }
    const std::string_view name = preset;
    struct Entry {
        std::string_view name;
        uint16_t tu;
    };
    // x264 names (the engine's H.264/HEVC default "medium") and the native
    // oneVPL / FFmpeg-qsv names, which are the same words.
    static constexpr Entry names[] = {
        {"placebo", 1},      {"veryslow", 1}, {"slower", 2},     {"slow", 3},      {"medium", 4},
        {"fast", 5},         {"faster", 6},   {"veryfast", 7},   {"superfast", 7}, {"ultrafast", 7},
        {"best_quality", 1}, {"balanced", 4}, {"best_speed", 7}, {"tu1", 1},       {"tu2", 2},
        {"tu3", 3},          {"tu4", 4},      {"tu5", 5},        {"tu6", 6},       {"tu7", 7},
    };
    for (const Entry &entry : names) {
        if (entry.name == name) {
            return entry.tu;
        }
    }
    // SVT-AV1 presets 0 (slowest) .. 13 (fastest), the engine's AV1 default
    // "6": two SVT steps per TargetUsage step.
    if (!name.empty() && name.size() <= 2 &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const int number = std::stoi(std::string(name));
        if (number <= 13) {
            return static_cast<uint16_t>(1 + number / 2);
        }
    }
    fail(VTC_ERR_INVALID_ARG,
         "unknown QSV preset '" + std::string(name) +
             "' (expected ultrafast..veryslow/placebo, SVT-AV1 0..13, tu1..tu7, best_quality, "
             "balanced or best_speed)");
}

namespace {

// The quality scale of one codec as the ABI carries it, and its oneVPL
// 1..51 image (QVBRQuality, ICQQuality).
uint16_t quality_1_to_51(int32_t codec, int32_t quality, int32_t fallback) {
    const int32_t value = quality == VTC_QUALITY_DEFAULT ? fallback : quality;
    if (codec == VTC_CODEC_AV1) {
        if (value < 1 || value > 63) {
            fail(VTC_ERR_INVALID_ARG,
                 "quality " + std::to_string(value) + " is outside SVT-AV1's 1..63");
        }
        // Linear: 1 -> 1, 63 -> 51 (SVT-AV1 CRF 30 -> 24).
        return static_cast<uint16_t>(1 + ((value - 1) * 50 + 31) / 62);
    }
    if (value < 0 || value > 51) {
        fail(VTC_ERR_INVALID_ARG, "quality " + std::to_string(value) + " is outside 0..51");
    }
    return static_cast<uint16_t>(std::max(1, value)); // QVBR/ICQ have no lossless 0
}

} // namespace

RateControlPlan rate_control_plan(const vtc_encoder_config &config) {
    RateControlPlan plan;
    const int32_t default_quality =
        config.codec == VTC_CODEC_AV1 ? 30 : (config.codec == VTC_CODEC_HEVC ? 28 : 23);
    // VLog's "-maxrate B -bufsize 2B": an unset buffer holds two seconds.
    const uint32_t buffer_kbits = config.vbv_buffer_kbits != 0
                                      ? config.vbv_buffer_kbits
                                      : 2 * std::max(config.max_bitrate_kbps, config.bitrate_kbps);
    switch (config.rate_control) {
    case VTC_RATE_CONTROL_CQP: {
        const int32_t qp = config.quality == VTC_QUALITY_DEFAULT ? default_quality : config.quality;
        const int32_t max_qp = config.codec == VTC_CODEC_AV1 ? 255 : 51;
        if (qp < 1 || qp > max_qp) {
            fail(VTC_ERR_INVALID_ARG,
                 "QP " + std::to_string(qp) + " is outside 1.." + std::to_string(max_qp));
        }
        plan.method = MFX_RATECONTROL_CQP;
        plan.qp = static_cast<uint16_t>(qp);
        break;
    }
    case VTC_RATE_CONTROL_CRF:
        plan.method = MFX_RATECONTROL_ICQ;
        plan.quality = quality_1_to_51(config.codec, config.quality, default_quality);
        break;
    case VTC_RATE_CONTROL_CAPPED_CRF:
        plan.method = MFX_RATECONTROL_QVBR;
        plan.quality = quality_1_to_51(config.codec, config.quality, default_quality);
        plan.max_kbps = config.max_bitrate_kbps;
        // QVBR needs an average; without one the cap is the only bound.
        plan.target_kbps = config.bitrate_kbps != 0
                               ? std::min(config.bitrate_kbps, config.max_bitrate_kbps)
                               : config.max_bitrate_kbps;
        plan.buffer_kbytes = (buffer_kbits + 7) / 8;
        break;
    case VTC_RATE_CONTROL_VBR:
        plan.method = MFX_RATECONTROL_VBR;
        plan.target_kbps = config.bitrate_kbps;
        plan.max_kbps =
            config.max_bitrate_kbps != 0 ? config.max_bitrate_kbps : config.bitrate_kbps;
        plan.buffer_kbytes = (buffer_kbits + 7) / 8;
        break;
    case VTC_RATE_CONTROL_CBR:
        plan.method = MFX_RATECONTROL_CBR;
        plan.target_kbps = config.bitrate_kbps;
        plan.max_kbps = config.bitrate_kbps;
        plan.buffer_kbytes = (buffer_kbits + 7) / 8;
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED,
             "QSV does not offer rate_control " + std::to_string(config.rate_control));
    }
    return plan;
}

// ---------------------------------------------------------------------------
// Capabilities

void QsvEncoderBase::query_caps_for(int32_t codec, vtc_encoder_caps &caps) {
    Implementation impl;
    const LoaderPtr loader = load_implementation(codec, impl);
    const uint32_t struct_size = caps.struct_size;
    caps = impl.caps;
    caps.struct_size = struct_size;
    set_device_name(caps, impl.device);
}

// ---------------------------------------------------------------------------
// The encoder

namespace {

struct Plan {
    mfxU32 fourcc = MFX_FOURCC_NV12;
    int bit_depth = 8;
    mfxU16 profile = 0;
    mfxU16 low_power = MFX_CODINGOPTION_UNKNOWN;
};

Plan validate(const vtc_encoder_config &config) {
    Plan plan;
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "the QSV plugin takes frames in system memory only");
    }
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
    case VTC_PIXEL_FORMAT_NV12:
        break;
    case VTC_PIXEL_FORMAT_I420_10:
    case VTC_PIXEL_FORMAT_P010:
        if (config.codec == VTC_CODEC_H264) {
            fail(VTC_ERR_UNSUPPORTED, "Quick Sync does not encode 10-bit H.264");
        }
        plan.fourcc = MFX_FOURCC_P010;
        plan.bit_depth = 10;
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED,
             "QSV does not take pixel_format " + std::to_string(config.pixel_format));
    }
    if (config.width % 2 != 0 || config.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, "4:2:0 needs an even width and height, not " +
                                      std::to_string(config.width) + "x" +
                                      std::to_string(config.height));
    }
    switch (config.profile) {
    case VTC_PROFILE_UNSET:
        if (config.codec == VTC_CODEC_HEVC) {
            plan.profile = plan.bit_depth == 10 ? MFX_PROFILE_HEVC_MAIN10 : MFX_PROFILE_HEVC_MAIN;
        } else if (config.codec == VTC_CODEC_AV1) {
            plan.profile = MFX_PROFILE_AV1_MAIN;
        }
        break;
    case VTC_PROFILE_H264_BASELINE:
        plan.profile = MFX_PROFILE_AVC_CONSTRAINED_BASELINE;
        break;
    case VTC_PROFILE_H264_MAIN:
        plan.profile = MFX_PROFILE_AVC_MAIN;
        break;
    case VTC_PROFILE_H264_HIGH:
        plan.profile = MFX_PROFILE_AVC_HIGH;
        break;
    case VTC_PROFILE_HEVC_MAIN:
    case VTC_PROFILE_HEVC_MAIN10:
        if ((config.profile == VTC_PROFILE_HEVC_MAIN10) != (plan.bit_depth == 10)) {
            fail(VTC_ERR_UNSUPPORTED, "HEVC Main takes 8-bit input, Main10 10-bit input");
        }
        plan.profile = plan.bit_depth == 10 ? MFX_PROFILE_HEVC_MAIN10 : MFX_PROFILE_HEVC_MAIN;
        break;
    case VTC_PROFILE_AV1_MAIN:
        plan.profile = MFX_PROFILE_AV1_MAIN;
        break;
    default:
        fail(VTC_ERR_UNSUPPORTED, "QSV does not offer profile " + std::to_string(config.profile));
    }
    if (config.max_b_frames > 15) {
        fail(VTC_ERR_UNSUPPORTED, "QSV allows at most 15 consecutive B-frames, not " +
                                      std::to_string(config.max_b_frames));
    }
    for (const vtc::sdk::Option &option : vtc::sdk::parse_options(config.options)) {
        if (option.key == "low_power") {
            if (option.value == "on" || option.value == "1") {
                plan.low_power = MFX_CODINGOPTION_ON;
            } else if (option.value == "off" || option.value == "0") {
                plan.low_power = MFX_CODINGOPTION_OFF;
            } else if (option.value != "auto") {
                fail(VTC_ERR_INVALID_ARG, "bad value '" + option.value +
                                              "' for QSV option 'low_power' (on, off or auto)");
            }
        } else {
            fail(VTC_ERR_INVALID_ARG, "unknown QSV option '" + option.key + "' (known: low_power)");
        }
    }
    return plan;
}

// mfxInfoMFX carries kbps and KB in 16 bits, scaled by BRCParamMultiplier.
mfxU16 scaled(uint32_t value, mfxU16 multiplier) {
    return static_cast<mfxU16>((value + multiplier - 1) / multiplier);
}

mfxU32 align(mfxU32 value, mfxU32 to) {
    return (value + to - 1) / to * to;
}

// Copies one system-memory frame into a mapped NV12/P010 surface.
void copy_frame(const vtc_frame &frame, const vtc_encoder_config &config, mfxFrameSurface1 &surf) {
    const auto pitch =
        static_cast<std::ptrdiff_t>((size_t{surf.Data.PitchHigh} << 16) | surf.Data.PitchLow);
    if (surf.Data.Y == nullptr || surf.Data.UV == nullptr || pitch == 0) {
        fail(VTC_ERR_INTERNAL, "the mapped oneVPL surface has no Y/UV planes");
    }
    plugins::copy_to_semiplanar(frame, config.pixel_format, config.width, config.height,
                                {surf.Data.Y, pitch, surf.Data.UV, pitch});
}

bool starts_with_start_code(const std::vector<uint8_t> &bytes) {
    return (bytes.size() >= 3 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 1) ||
           (bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 1);
}

// One parameter set as the runtime wrote it, in Annex B.
void append_parameter_set(std::vector<uint8_t> &out, const mfxU8 *data, mfxU16 size, bool annexb) {
    if (data == nullptr || size == 0) {
        return;
    }
    std::vector<uint8_t> unit(data, data + size);
    if (annexb && !starts_with_start_code(unit)) {
        out.insert(out.end(), {0, 0, 0, 1});
    }
    out.insert(out.end(), unit.begin(), unit.end());
}

} // namespace

QsvEncoderBase::QsvEncoderBase(const vtc_host &host, const vtc_encoder_config &config)
    : host_(host), config_(config), session_(std::make_unique<Session>()) {
    const Plan plan = validate(config);
    const uint16_t tu = target_usage(config.preset);
    const RateControlPlan rc = rate_control_plan(config);

    Session &s = *session_;
    s.host = &host_;
    Implementation impl;
    s.loader = load_implementation(config.codec, impl);
    if (config.width > impl.caps.max_width || config.height > impl.caps.max_height ||
        config.width < impl.caps.min_width || config.height < impl.caps.min_height) {
        fail(VTC_ERR_UNSUPPORTED, std::to_string(config.width) + "x" +
                                      std::to_string(config.height) + " is outside what '" +
                                      impl.name + "' encodes (" +
                                      std::to_string(impl.caps.max_width) + "x" +
                                      std::to_string(impl.caps.max_height) + " at most)");
    }
    const uint32_t depth_bit = plan.bit_depth == 10 ? VTC_BIT_DEPTH_10 : VTC_BIT_DEPTH_8;
    if ((impl.caps.bit_depths & depth_bit) == 0) {
        fail(VTC_ERR_UNSUPPORTED, "'" + impl.name + "' does not encode " +
                                      std::to_string(plan.bit_depth) + "-bit " +
                                      plugins::codec_label(config.codec));
    }
    if (impl.acceleration == MFX_ACCEL_MODE_VIA_VAAPI) {
        s.open_display(config.device);
    }

    mfxStatus status = MFXCreateSession(s.loader.get(), 0, &s.session);
    if (status != MFX_ERR_NONE) {
        s.session = nullptr;
        fail(status == MFX_ERR_MEMORY_ALLOC ? VTC_ERR_DEVICE_BUSY : VTC_ERR_NO_DEVICE,
             "oneVPL: MFXCreateSession on '" + impl.name + "' failed: " + describe(status));
    }
    if (impl.acceleration == MFX_ACCEL_MODE_VIA_VAAPI) {
        // The runtime draws on the GPU through this display; without it a
        // Linux GPU runtime cannot initialise an encoder.
        status = MFXVideoCORE_SetHandle(s.session, MFX_HANDLE_VA_DISPLAY, s.display);
        if (status != MFX_ERR_NONE) {
            fail(VTC_ERR_NO_DEVICE,
                 "oneVPL: MFXVideoCORE_SetHandle(VA display) failed: " + describe(status));
        }
    }

    mfxVideoParam par{};
    par.IOPattern = MFX_IOPATTERN_IN_SYSTEM_MEMORY;
    // Each frame is synced before the next is sent; a deeper queue would only
    // add latency to a loop that never has two frames in flight.
    par.AsyncDepth = 1;
    mfxInfoMFX &mfx = par.mfx;
    mfx.CodecId = mfx_codec(config.codec);
    mfx.CodecProfile = plan.profile;
    mfx.TargetUsage = tu;
    mfx.LowPower = plan.low_power;
    mfx.GopPicSize = static_cast<mfxU16>(std::min<uint32_t>(config.max_keyframe_interval, 0xffff));
    if (config.max_b_frames != VTC_B_FRAMES_DEFAULT) {
        mfx.GopRefDist = static_cast<mfxU16>(config.max_b_frames + 1);
    }
    if ((config.flags & VTC_ENCODER_CONFIG_CLOSED_GOP) != 0) {
        mfx.GopOptFlag = MFX_GOP_CLOSED;
    }
    // Every periodic I-frame is a random-access point: for AVC IdrInterval 0
    // means "every I is an IDR", for HEVC (and AV1) that is IdrInterval 1.
    mfx.IdrInterval = config.codec == VTC_CODEC_H264 ? 0 : 1;
    mfx.RateControlMethod = rc.method;
    const uint32_t largest = std::max({rc.target_kbps, rc.max_kbps, rc.buffer_kbytes, 1u});
    const mfxU16 multiplier = static_cast<mfxU16>((largest + 0xfffe) / 0xffff);
    switch (rc.method) {
    case MFX_RATECONTROL_CQP:
        mfx.QPI = rc.qp;
        mfx.QPP = rc.qp;
        mfx.QPB = rc.qp;
        break;
    case MFX_RATECONTROL_ICQ:
        mfx.ICQQuality = rc.quality;
        break;
    default:
        mfx.BRCParamMultiplier = multiplier;
        mfx.TargetKbps = scaled(rc.target_kbps, multiplier);
        mfx.MaxKbps = scaled(rc.max_kbps, multiplier);
        mfx.BufferSizeInKB = scaled(rc.buffer_kbytes, multiplier);
        break;
    }

    mfxFrameInfo &info = mfx.FrameInfo;
    info.FourCC = plan.fourcc;
    info.ChromaFormat = MFX_CHROMAFORMAT_YUV420;
    info.PicStruct = MFX_PICSTRUCT_PROGRESSIVE;
    info.BitDepthLuma = static_cast<mfxU16>(plan.bit_depth);
    info.BitDepthChroma = static_cast<mfxU16>(plan.bit_depth);
    info.Shift = plan.bit_depth == 10 ? 1 : 0; // P010: samples in the high bits
    const mfxU32 alignment = config.codec == VTC_CODEC_HEVC ? 32 : 16;
    info.Width = static_cast<mfxU16>(align(config.width, alignment));
    info.Height = static_cast<mfxU16>(align(config.height, alignment));
    info.CropW = static_cast<mfxU16>(config.width);
    info.CropH = static_cast<mfxU16>(config.height);
    vtc_rational rate = config.frame_rate;
    if (rate.num <= 0 || rate.den <= 0) {
        rate = {30, 1}; // variable frame rate: rate control needs some nominal rate
    }
    info.FrameRateExtN = static_cast<mfxU32>(rate.num);
    info.FrameRateExtD = static_cast<mfxU32>(rate.den);
    const int64_t ticks = int64_t{config.time_base.den} * rate.den;
    const int64_t per = int64_t{config.time_base.num} * rate.num;
    frame_duration_ = std::max<int64_t>(1, (ticks + per / 2) / per);
    if (config.sample_aspect_ratio.num > 0 && config.sample_aspect_ratio.den > 0) {
        const int32_t divisor =
            std::gcd(config.sample_aspect_ratio.num, config.sample_aspect_ratio.den);
        const int32_t sar_w = config.sample_aspect_ratio.num / divisor;
        const int32_t sar_h = config.sample_aspect_ratio.den / divisor;
        if (sar_w > 0xffff || sar_h > 0xffff) {
            fail(VTC_ERR_UNSUPPORTED, "sample_aspect_ratio does not fit 16-bit fields");
        }
        info.AspectRatioW = static_cast<mfxU16>(sar_w);
        info.AspectRatioH = static_cast<mfxU16>(sar_h);
    }

    mfxExtCodingOption3 co3{};
    co3.Header.BufferId = MFX_EXTBUFF_CODING_OPTION3;
    co3.Header.BufferSz = sizeof co3;
    co3.QVBRQuality = rc.quality;
    mfxExtVideoSignalInfo signal{};
    signal.Header.BufferId = MFX_EXTBUFF_VIDEO_SIGNAL_INFO;
    signal.Header.BufferSz = sizeof signal;
    signal.VideoFormat = 5; // unspecified
    signal.VideoFullRange = config.color_range == 2 ? 1 : 0;
    signal.ColourDescriptionPresent = 1;
    signal.ColourPrimaries = static_cast<mfxU16>(config.color_primaries);
    signal.TransferCharacteristics = static_cast<mfxU16>(config.color_transfer);
    signal.MatrixCoefficients = static_cast<mfxU16>(config.color_matrix);
    std::vector<mfxExtBuffer *> ext;
    if (rc.method == MFX_RATECONTROL_QVBR) {
        ext.push_back(&co3.Header);
    }
    const bool has_colour = config.color_primaries != 2 || config.color_transfer != 2 ||
                            config.color_matrix != 2 || config.color_range != 0;
    if (has_colour) {
        ext.push_back(&signal.Header);
    }
    par.ExtParam = ext.empty() ? nullptr : ext.data();
    par.NumExtParam = static_cast<mfxU16>(ext.size());

    status = MFXVideoENCODE_Init(s.session, &par);
    if (status == MFX_ERR_MEMORY_ALLOC) {
        fail(VTC_ERR_DEVICE_BUSY, "oneVPL: the GPU has no room for another " +
                                      std::string(plugins::codec_label(config.codec)) +
                                      " encode session (MFXVideoENCODE_Init: " + describe(status) +
                                      ")");
    }
    if (status < MFX_ERR_NONE) {
        const vtc_status code =
            status == MFX_ERR_DEVICE_FAILED || status == MFX_ERR_DEVICE_LOST ? VTC_ERR_NO_DEVICE
            : status == MFX_ERR_UNDEFINED_BEHAVIOR || status == MFX_ERR_NOT_INITIALIZED
                ? VTC_ERR_INTERNAL
                : VTC_ERR_UNSUPPORTED;
        fail(code, "oneVPL: MFXVideoENCODE_Init refused the " +
                       std::string(plugins::codec_label(config.codec)) +
                       " parameters: " + describe(status));
    }
    s.encoder_open = true;
    if (status > MFX_ERR_NONE) {
        vtc::sdk::log(&host_, VTC_LOG_WARNING,
                      "MFXVideoENCODE_Init adjusted the parameters: " + describe(status));
    }

    // What the runtime settled on, and the parameter sets for out-of-band use.
    std::vector<mfxU8> sps(1024), pps(1024), vps(1024);
    mfxExtCodingOptionSPSPPS spspps{};
    spspps.Header.BufferId = MFX_EXTBUFF_CODING_OPTION_SPSPPS;
    spspps.Header.BufferSz = sizeof spspps;
    spspps.SPSBuffer = sps.data();
    spspps.SPSBufSize = static_cast<mfxU16>(sps.size());
    spspps.PPSBuffer = pps.data();
    spspps.PPSBufSize = static_cast<mfxU16>(pps.size());
    mfxExtCodingOptionVPS vpsbuf{};
    vpsbuf.Header.BufferId = MFX_EXTBUFF_CODING_OPTION_VPS;
    vpsbuf.Header.BufferSz = sizeof vpsbuf;
    vpsbuf.VPSBuffer = vps.data();
    vpsbuf.VPSBufSize = static_cast<mfxU16>(vps.size());
    std::vector<mfxExtBuffer *> query_ext{&spspps.Header};
    if (config.codec == VTC_CODEC_HEVC) {
        query_ext.push_back(&vpsbuf.Header);
    }
    mfxVideoParam actual{};
    actual.ExtParam = query_ext.data();
    actual.NumExtParam = static_cast<mfxU16>(query_ext.size());
    status = MFXVideoENCODE_GetVideoParam(s.session, &actual);
    if (status != MFX_ERR_NONE) {
        fail(VTC_ERR_INTERNAL, "oneVPL: MFXVideoENCODE_GetVideoParam failed: " + describe(status));
    }
    const bool annexb = config.codec != VTC_CODEC_AV1;
    if (config.codec == VTC_CODEC_HEVC) {
        append_parameter_set(extradata_, vps.data(), vpsbuf.VPSBufSize, annexb);
    }
    append_parameter_set(extradata_, sps.data(), spspps.SPSBufSize, annexb);
    if (annexb) {
        append_parameter_set(extradata_, pps.data(), spspps.PPSBufSize, annexb);
    }
    if (extradata_.empty() && (config.flags & VTC_ENCODER_CONFIG_GLOBAL_HEADER) != 0) {
        // AV1: the sequence header comes through SPSBuffer as well; a runtime
        // that does not fill it cannot serve out-of-band headers, and taking
        // them from the first packet would be too late for get_extradata().
        fail(VTC_ERR_UNSUPPORTED,
             "oneVPL runtime '" + impl.name + "' returned no parameter sets from GetVideoParam");
    }
    if (actual.mfx.RateControlMethod != rc.method) {
        fail(VTC_ERR_UNSUPPORTED, "oneVPL runtime '" + impl.name + "' replaced rate control " +
                                      number(rc.method) + " with " +
                                      number(actual.mfx.RateControlMethod));
    }
    reorder_delay_ = actual.mfx.GopRefDist > 1 ? actual.mfx.GopRefDist - 1 : 0;
    const size_t buffer_bytes = size_t{actual.mfx.BufferSizeInKB} *
                                std::max<mfxU16>(1, actual.mfx.BRCParamMultiplier) * 1000;
    // The runtime's own worst case, or an uncompressed frame when it gives none.
    bitstream_.resize(std::max(buffer_bytes, size_t{info.Width} * info.Height * 3));

    std::string summary = std::string(plugins::codec_label(config.codec)) + " " +
                          std::to_string(config.width) + "x" + std::to_string(config.height) + " " +
                          std::to_string(plan.bit_depth) + "-bit on '" + impl.name +
                          "', TargetUsage " + std::to_string(actual.mfx.TargetUsage) + ", ";
    switch (rc.method) {
    case MFX_RATECONTROL_QVBR:
        summary += "QVBR quality " + std::to_string(rc.quality) + " max " +
                   std::to_string(rc.max_kbps) + " kbps buffer " +
                   std::to_string(rc.buffer_kbytes) + " KB";
        break;
    case MFX_RATECONTROL_ICQ:
        summary += "ICQ quality " + std::to_string(rc.quality);
        break;
    case MFX_RATECONTROL_CQP:
        summary += "CQP " + std::to_string(rc.qp);
        break;
    default:
        summary += (rc.method == MFX_RATECONTROL_CBR ? "CBR " : "VBR ") +
                   std::to_string(rc.target_kbps) + " kbps";
        break;
    }
    summary += ", GopRefDist " + std::to_string(actual.mfx.GopRefDist);
    vtc::sdk::log(&host_, VTC_LOG_INFO, summary);
}

QsvEncoderBase::~QsvEncoderBase() = default;

std::span<const uint8_t> QsvEncoderBase::extradata() {
    return extradata_;
}

void QsvEncoderBase::check_cancelled() const {
    if (vtc::sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
}

bool QsvEncoderBase::encode(void *surface_ptr, bool force_idr) {
    auto *surface = static_cast<mfxFrameSurface1 *>(surface_ptr);
    mfxEncodeCtrl ctrl{};
    if (force_idr) {
        ctrl.FrameType = MFX_FRAMETYPE_I | MFX_FRAMETYPE_IDR | MFX_FRAMETYPE_REF;
    }
    int waited_ms = 0;
    for (;;) {
        mfxBitstream bs{};
        bs.Data = bitstream_.data();
        bs.MaxLength = static_cast<mfxU32>(bitstream_.size());
        mfxSyncPoint sync = nullptr;
        mfxStatus status = MFXVideoENCODE_EncodeFrameAsync(
            session_->session, force_idr ? &ctrl : nullptr, surface, &bs, &sync);
        if (status == MFX_WRN_DEVICE_BUSY) {
            if (waited_ms >= kBusyRetryLimitMs) {
                fail(VTC_ERR_DEVICE_LOST, "oneVPL: the GPU stayed busy for " +
                                              std::to_string(kBusyRetryLimitMs) + " ms");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ++waited_ms;
            continue;
        }
        if (status == MFX_ERR_NOT_ENOUGH_BUFFER && bitstream_.size() < kMaxBitstreamBytes) {
            bitstream_.resize(bitstream_.size() * 2);
            continue;
        }
        if (status == MFX_ERR_MORE_DATA) {
            return false;
        }
        if (status < MFX_ERR_NONE) {
            fail(stream_status(status),
                 "oneVPL: MFXVideoENCODE_EncodeFrameAsync failed: " + describe(status));
        }
        if (sync == nullptr) {
            return true;
        }
        status = MFXVideoCORE_SyncOperation(session_->session, sync, kSyncTimeoutMs);
        if (status != MFX_ERR_NONE) {
            fail(stream_status(status),
                 "oneVPL: MFXVideoCORE_SyncOperation failed: " + describe(status));
        }
        if (bs.DataLength == 0) {
            return true;
        }
        Packet packet;
        packet.data.assign(bs.Data + bs.DataOffset, bs.Data + bs.DataOffset + bs.DataLength);
        const auto index = static_cast<int64_t>(bs.TimeStamp);
        if (index < 0 || index >= static_cast<int64_t>(input_pts_.size())) {
            fail(VTC_ERR_INTERNAL, "oneVPL returned a packet for an unknown frame");
        }
        packet.pts = index; // resolved to the frame's pts in receive_packet()
        const bool idr = (bs.FrameType & MFX_FRAMETYPE_IDR) != 0 ||
                         (config_.codec == VTC_CODEC_AV1 && (bs.FrameType & MFX_FRAMETYPE_I) != 0);
        packet.flags = (idr ? VTC_PACKET_KEYFRAME : 0u) |
                       ((bs.FrameType & MFX_FRAMETYPE_REF) == 0 ? VTC_PACKET_DISPOSABLE : 0u);
        packets_.push_back(std::move(packet));
        return true;
    }
}

vtc_status QsvEncoderBase::send_frame(const vtc_frame &frame) {
    check_cancelled();
    vtc::sdk::check_frame_planes(frame, config_, vtc::sdk::StrideSign::positive);
    mfxFrameSurface1 *surface = nullptr;
    mfxStatus status = MFXMemory_GetSurfaceForEncode(session_->session, &surface);
    if (status != MFX_ERR_NONE || surface == nullptr) {
        fail(stream_status(status),
             "oneVPL: MFXMemory_GetSurfaceForEncode failed: " + describe(status));
    }
    // The surface goes back to the runtime's pool however this ends.
    struct Releaser {
        mfxFrameSurface1 *surface;
        ~Releaser() { surface->FrameInterface->Release(surface); }
    } releaser{surface};
    status = surface->FrameInterface->Map(surface, MFX_MAP_WRITE);
    if (status != MFX_ERR_NONE) {
        fail(stream_status(status), "oneVPL: mapping an input surface failed: " + describe(status));
    }
    try {
        copy_frame(frame, config_, *surface);
    } catch (...) {
        surface->FrameInterface->Unmap(surface);
        throw;
    }
    status = surface->FrameInterface->Unmap(surface);
    if (status != MFX_ERR_NONE) {
        fail(stream_status(status),
             "oneVPL: unmapping an input surface failed: " + describe(status));
    }
    // TimeStamp carries the frame's index, not its pts: runtimes treat
    // TimeStamp as 90 kHz and reserve (mfxU64)-1, neither of which fits an
    // arbitrary time base.
    surface->Data.TimeStamp = static_cast<mfxU64>(input_pts_.size());
    if (input_pts_.empty()) {
        first_pts_ = frame.pts;
    }
    input_pts_.push_back(frame.pts);
    durations_.push_back(frame.duration > 0 ? frame.duration : frame_duration_);
    encode(surface, (frame.flags & VTC_FRAME_FORCE_KEYFRAME) != 0);
    return VTC_OK;
}

void QsvEncoderBase::drain() {
    drained_ = true;
}

vtc_status QsvEncoderBase::receive_packet(vtc_packet &packet) {
    while (packets_.empty() && drained_ && !flushed_) {
        check_cancelled();
        if (!encode(nullptr, false)) {
            flushed_ = true;
        }
    }
    if (packets_.empty()) {
        return VTC_NEED_INPUT; // the adapter makes it END_OF_STREAM after drain()
    }
    Packet next = std::move(packets_.front());
    packets_.pop_front();
    const auto index = static_cast<size_t>(next.pts);
    current_ = std::move(next.data);
    packet.flags = next.flags;
    packet.data = current_.data();
    packet.size = current_.size();
    packet.pts = input_pts_[index];
    packet.duration = durations_[index];
    // dts: the k-th packet decodes at the pts of frame k - delay, where delay
    // is GopRefDist - 1, the furthest any frame moves in coding order. That is
    // strictly increasing and never after the packet's pts, whatever B-frame
    // pattern (pyramid or not) the runtime chose.
    const int64_t k = packets_out_++;
    const int64_t source = k - reorder_delay_;
    packet.dts = source >= 0 ? input_pts_[static_cast<size_t>(source)]
                             : first_pts_ + source * frame_duration_;
    return VTC_OK;
}

} // namespace vtc::qsv_plugin
