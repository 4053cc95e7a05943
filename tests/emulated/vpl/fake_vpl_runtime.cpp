// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// An emulated oneVPL GPU runtime (TEST ONLY, never installed). The oneVPL 2.x
// dispatcher (libvpl.so.2, Debian 2023.1.1) loads it from ONEVPL_SEARCH_PATH
// like libmfx-gen: the file name starts with "libvpl", it exports every 1.x
// function up to its reported API 2.0 plus the six 2.0 entry points
// (MFXQueryImplsDescription, MFXReleaseImplDescription, MFXInitialize and
// MFXMemory_GetSurfaceFor{VPP,Encode,Decode}), and its description says
// "hardware, VA-API". Encoding is real: H.264 through libx264, HEVC through
// libx265 and AV1 through SVT-AV1, so tests decode what comes out.
//
// It behaves like a strict runtime so plugin misuse fails loudly: versioned
// structs and ext-buffer sizes are checked, Init needs an initialised VA
// display (MFX_HANDLE_VA_DISPLAY) as a GPU runtime on Linux does, surfaces
// must come from GetSurfaceForEncode and be unmapped before encoding, output
// only reaches the bitstream through SyncOperation, and the bitstream must
// have BufferSizeInKB of room. The AV1 sequence header is returned through
// mfxExtCodingOptionSPSPPS.SPSBuffer and equals the stream's. Misuse that no status can report (a
// surface still held at Close) goes to the trace file as an "ERROR" line.
//
// Environment:
//   FAKE_VPL_NO_DEVICE=1          report no implementation (no Intel GPU)
//   FAKE_VPL_NO_AV1=1             list no AV1 encoder (a GPU before Arc)
//   FAKE_VPL_MAX_SESSIONS=N       the N+1th concurrent ENCODE_Init in this
//                                 process fails with MFX_ERR_MEMORY_ALLOC
//   FAKE_VPL_LOSE_DEVICE_AFTER=N  after N frames every call reports
//                                 MFX_ERR_DEVICE_LOST
//   FAKE_VPL_TRACE=PATH           append one line per Init / error to PATH
#include <vpl/mfx.h>

#include <va/va.h>

#include <cstdint>
#include <x264.h>
#include <x265.h>

#include <EbSvtAv1Enc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr mfxU16 kApiMajor = 2;
constexpr mfxU16 kApiMinor = 0;

std::atomic<int> g_active_encoders{0};
std::mutex g_trace_mutex;

// libSvtAv1Enc 1.4 sets up process-wide tables in handle setup and teardown.
std::mutex &svt_mutex() {
    static std::mutex mutex;
    return mutex;
}

long env_number(const char *name, long fallback) {
    const char *text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::strtol(text, nullptr, 10) : fallback;
}

void trace(const std::string &line) {
    const char *path = std::getenv("FAKE_VPL_TRACE");
    if (path == nullptr || *path == '\0') {
        return;
    }
    const std::lock_guard lock(g_trace_mutex);
    if (std::FILE *file = std::fopen(path, "a")) {
        std::fprintf(file, "%s\n", line.c_str());
        std::fclose(file);
    }
}

// --- The implementation description -------------------------------------

struct Description {
    mfxImplDescription desc{};
    mfxAccelerationMode modes[1] = {MFX_ACCEL_MODE_VIA_VAAPI};
    mfxU32 nv12[1] = {MFX_FOURCC_NV12};
    mfxU32 nv12_p010[2] = {MFX_FOURCC_NV12, MFX_FOURCC_P010};
    mfxEncoderDescription::encoder::encprofile::encmemdesc avc_mem{}, hevc_mem{}, hevc10_mem{},
        av1_mem{};
    mfxEncoderDescription::encoder::encprofile avc_profiles[3]{}, hevc_profiles[2]{},
        av1_profiles[1]{};
    mfxEncoderDescription::encoder codecs[3]{};
    mfxHDL handles[1] = {nullptr};
};

std::mutex g_desc_mutex;
std::map<void *, std::unique_ptr<Description>> g_descriptions;

std::unique_ptr<Description> make_description() {
    auto d = std::make_unique<Description>();
    mfxImplDescription &desc = d->desc;
    desc.Version.Version = MFX_IMPLDESCRIPTION_VERSION;
    desc.Impl = MFX_IMPL_TYPE_HARDWARE;
    desc.AccelerationMode = MFX_ACCEL_MODE_VIA_VAAPI;
    desc.ApiVersion.Major = kApiMajor;
    desc.ApiVersion.Minor = kApiMinor;
    std::snprintf(desc.ImplName, sizeof desc.ImplName, "fake-vpl-gpu");
    std::snprintf(desc.License, sizeof desc.License, "test only");
    std::snprintf(desc.Keywords, sizeof desc.Keywords, "vtranscode,emulated");
    desc.VendorID = 0x8086;
    desc.VendorImplID = 0;
    desc.Dev.Version.Version = MFX_DEVICEDESCRIPTION_VERSION;
    desc.Dev.MediaAdapterType = MFX_MEDIA_DISCRETE;
    std::snprintf(desc.Dev.DeviceID, sizeof desc.Dev.DeviceID, "56a0/0");
    desc.Dec.Version.Version = MFX_DECODERDESCRIPTION_VERSION;
    desc.VPP.Version.Version = MFX_VPPDESCRIPTION_VERSION;
    desc.AccelerationModeDescription.Version.Version = MFX_ACCELERATIONMODESCRIPTION_VERSION;
    desc.AccelerationModeDescription.NumAccelerationModes = 1;
    desc.AccelerationModeDescription.Mode = d->modes;

    auto mem = [](auto &m, mfxU32 max, mfxU32 *formats, mfxU16 count) {
        m.MemHandleType = MFX_RESOURCE_SYSTEM_SURFACE;
        m.Width = {32, max, 16};
        m.Height = {32, max, 16};
        m.NumColorFormats = count;
        m.ColorFormats = formats;
    };
    mem(d->avc_mem, 4096, d->nv12, 1);
    mem(d->hevc_mem, 8192, d->nv12, 1);
    mem(d->hevc10_mem, 8192, d->nv12_p010 + 1, 1);
    mem(d->av1_mem, 8192, d->nv12_p010, 2);
    const mfxU32 avc[3] = {MFX_PROFILE_AVC_CONSTRAINED_BASELINE, MFX_PROFILE_AVC_MAIN,
                           MFX_PROFILE_AVC_HIGH};
    for (int i = 0; i < 3; ++i) {
        d->avc_profiles[i].Profile = avc[i];
        d->avc_profiles[i].NumMemTypes = 1;
        d->avc_profiles[i].MemDesc = &d->avc_mem;
    }
    d->hevc_profiles[0].Profile = MFX_PROFILE_HEVC_MAIN;
    d->hevc_profiles[0].NumMemTypes = 1;
    d->hevc_profiles[0].MemDesc = &d->hevc_mem;
    d->hevc_profiles[1].Profile = MFX_PROFILE_HEVC_MAIN10;
    d->hevc_profiles[1].NumMemTypes = 1;
    d->hevc_profiles[1].MemDesc = &d->hevc10_mem;
    d->codecs[0].CodecID = MFX_CODEC_AVC;
    d->codecs[0].MaxcodecLevel = MFX_LEVEL_AVC_52;
    d->codecs[0].BiDirectionalPrediction = 1;
    d->codecs[0].NumProfiles = 3;
    d->codecs[0].Profiles = d->avc_profiles;
    d->codecs[1].CodecID = MFX_CODEC_HEVC;
    d->codecs[1].MaxcodecLevel = MFX_LEVEL_HEVC_51;
    d->codecs[1].BiDirectionalPrediction = 1;
    d->codecs[1].NumProfiles = 2;
    d->codecs[1].Profiles = d->hevc_profiles;
    d->av1_profiles[0].Profile = MFX_PROFILE_AV1_MAIN;
    d->av1_profiles[0].NumMemTypes = 1;
    d->av1_profiles[0].MemDesc = &d->av1_mem;
    d->codecs[2].CodecID = MFX_CODEC_AV1;
    d->codecs[2].MaxcodecLevel = MFX_LEVEL_AV1_61;
    d->codecs[2].BiDirectionalPrediction = 1;
    d->codecs[2].NumProfiles = 1;
    d->codecs[2].Profiles = d->av1_profiles;
    // FAKE_VPL_NO_AV1: a GPU before Arc, whose runtime lists no AV1 encoder.
    desc.Enc.Version.Version = MFX_ENCODERDESCRIPTION_VERSION;
    desc.Enc.NumCodecs = env_number("FAKE_VPL_NO_AV1", 0) != 0 ? 2 : 3;
    desc.Enc.Codecs = d->codecs;
    d->handles[0] = &d->desc;
    return d;
}

} // namespace

// --- Sessions, surfaces, sync points --------------------------------------

struct Encoder;

struct FakeSurface {
    mfxFrameSurface1 surface{};
    mfxFrameSurfaceInterface iface{};
    std::vector<mfxU8> buffer;
    size_t pitch = 0;
    Encoder *owner = nullptr;
    mfxU32 refs = 0;
    bool mapped = false;
};

struct _mfxSyncPoint {
    std::vector<mfxU8> data;
    mfxU64 timestamp = 0;
    mfxI64 dts = 0;
    mfxU16 frame_type = 0;
    mfxBitstream *bs = nullptr;
};

struct _mfxSession {
    VADisplay display = nullptr;
    std::unique_ptr<Encoder> encoder;
};

struct Encoder {
    mfxSession session = nullptr;
    mfxVideoParam par{};
    mfxExtCodingOption3 co3{};
    mfxExtVideoSignalInfo signal{};
    bool has_signal = false;
    mfxU32 buffer_bytes = 0;
    std::vector<std::unique_ptr<FakeSurface>> pool;
    std::vector<std::unique_ptr<_mfxSyncPoint>> pending;
    std::vector<mfxU8> sps, pps, vps;
    std::vector<mfxU64> timestamps; // by frame counter
    long frames = 0;
    long lose_after = -1;
    bool lost = false;
    // One of the two libraries.
    x264_t *x264 = nullptr;
    const x265_api *api = nullptr;
    x265_param *x265_par = nullptr;
    x265_encoder *x265 = nullptr;
    x265_picture *x265_pic = nullptr;
    std::vector<uint16_t> planar16;
    std::vector<uint8_t> planar8;
    // SVT-AV1: packets come out of its threads; one is handed out per call.
    EbComponentType *svt = nullptr;
    bool svt_initialised = false;
    bool svt_eos_sent = false;
    bool svt_eos_received = false;
    std::deque<std::unique_ptr<_mfxSyncPoint>> svt_ready;

    ~Encoder();
};

namespace {

FakeSurface *fake(mfxFrameSurface1 *surface) {
    if (surface == nullptr || surface->FrameInterface == nullptr) {
        return nullptr;
    }
    return static_cast<FakeSurface *>(surface->FrameInterface->Context);
}

mfxStatus surface_add_ref(mfxFrameSurface1 *surface) {
    FakeSurface *s = fake(surface);
    if (s == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    ++s->refs;
    return MFX_ERR_NONE;
}

mfxStatus surface_release(mfxFrameSurface1 *surface) {
    FakeSurface *s = fake(surface);
    if (s == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (s->refs == 0) {
        trace("ERROR Release on a surface whose reference count is 0");
        return MFX_ERR_UNDEFINED_BEHAVIOR;
    }
    if (s->mapped && s->refs == 1) {
        trace("ERROR a surface was released while mapped");
        return MFX_ERR_UNDEFINED_BEHAVIOR;
    }
    --s->refs;
    return MFX_ERR_NONE;
}

mfxStatus surface_get_ref(mfxFrameSurface1 *surface, mfxU32 *counter) {
    FakeSurface *s = fake(surface);
    if (s == nullptr || counter == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    *counter = s->refs;
    return MFX_ERR_NONE;
}

mfxStatus surface_map(mfxFrameSurface1 *surface, mfxU32 flags) {
    FakeSurface *s = fake(surface);
    if (s == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (flags != MFX_MAP_READ && flags != MFX_MAP_WRITE && flags != MFX_MAP_READ_WRITE &&
        (flags & ~(MFX_MAP_READ_WRITE | MFX_MAP_NOWAIT)) != 0) {
        return MFX_ERR_UNSUPPORTED;
    }
    if (s->mapped) {
        return MFX_ERR_LOCK_MEMORY; // write access is exclusive
    }
    s->mapped = true;
    s->surface.Data.Y = s->buffer.data();
    s->surface.Data.UV = s->buffer.data() + s->pitch * s->surface.Info.Height;
    s->surface.Data.PitchLow = static_cast<mfxU16>(s->pitch & 0xffff);
    s->surface.Data.PitchHigh = static_cast<mfxU16>(s->pitch >> 16);
    return MFX_ERR_NONE;
}

mfxStatus surface_unmap(mfxFrameSurface1 *surface) {
    FakeSurface *s = fake(surface);
    if (s == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (!s->mapped) {
        return MFX_ERR_UNSUPPORTED;
    }
    s->mapped = false;
    // A real runtime's pointers die with the mapping; so do these.
    s->surface.Data.Y = nullptr;
    s->surface.Data.UV = nullptr;
    return MFX_ERR_NONE;
}

mfxStatus surface_unsupported_handle(mfxFrameSurface1 *, mfxHDL *, mfxResourceType *) {
    return MFX_ERR_UNSUPPORTED;
}

mfxStatus surface_device_handle(mfxFrameSurface1 *, mfxHDL *, mfxHandleType *) {
    return MFX_ERR_UNSUPPORTED;
}

mfxStatus surface_synchronize(mfxFrameSurface1 *, mfxU32) {
    return MFX_ERR_NONE;
}

void surface_on_complete(mfxStatus) {}

bool check_ext_size(const mfxExtBuffer *ext) {
    size_t expected = 0;
    switch (ext->BufferId) {
    case MFX_EXTBUFF_CODING_OPTION:
        expected = sizeof(mfxExtCodingOption);
        break;
    case MFX_EXTBUFF_CODING_OPTION2:
        expected = sizeof(mfxExtCodingOption2);
        break;
    case MFX_EXTBUFF_CODING_OPTION3:
        expected = sizeof(mfxExtCodingOption3);
        break;
    case MFX_EXTBUFF_VIDEO_SIGNAL_INFO:
        expected = sizeof(mfxExtVideoSignalInfo);
        break;
    case MFX_EXTBUFF_CODING_OPTION_SPSPPS:
        expected = sizeof(mfxExtCodingOptionSPSPPS);
        break;
    case MFX_EXTBUFF_CODING_OPTION_VPS:
        expected = sizeof(mfxExtCodingOptionVPS);
        break;
    default:
        return false;
    }
    return ext->BufferSz == expected;
}

mfxStatus fail_param(const std::string &why) {
    trace("ERROR Init: " + why);
    return MFX_ERR_INVALID_VIDEO_PARAM;
}

// x264/x265 picture type -> mfxBitstream::FrameType.
mfxU16 frame_type(bool idr, bool intra, bool b, bool ref) {
    mfxU16 type = idr     ? static_cast<mfxU16>(MFX_FRAMETYPE_I | MFX_FRAMETYPE_IDR)
                  : intra ? static_cast<mfxU16>(MFX_FRAMETYPE_I)
                  : b     ? static_cast<mfxU16>(MFX_FRAMETYPE_B)
                          : static_cast<mfxU16>(MFX_FRAMETYPE_P);
    if (ref) {
        type |= MFX_FRAMETYPE_REF;
    }
    return type;
}

mfxStatus open_x264(Encoder &e) {
    const mfxInfoMFX &mfx = e.par.mfx;
    const mfxU16 mult = std::max<mfxU16>(1, mfx.BRCParamMultiplier);
    x264_param_t p;
    x264_param_default_preset(&p, "veryfast", nullptr);
    p.i_log_level = X264_LOG_NONE;
    p.i_threads = 1;
    p.i_width = mfx.FrameInfo.CropW;
    p.i_height = mfx.FrameInfo.CropH;
    p.i_csp = X264_CSP_NV12;
    p.i_fps_num = mfx.FrameInfo.FrameRateExtN;
    p.i_fps_den = mfx.FrameInfo.FrameRateExtD;
    p.i_timebase_num = mfx.FrameInfo.FrameRateExtD;
    p.i_timebase_den = mfx.FrameInfo.FrameRateExtN;
    p.b_vfr_input = 0;
    // A fixed-function encoder: no scene-cut keyframes, fixed B pattern.
    p.i_scenecut_threshold = 0;
    p.i_keyint_max = mfx.GopPicSize != 0 ? mfx.GopPicSize : 250;
    p.i_keyint_min = 1;
    p.i_bframe = mfx.GopRefDist > 0 ? mfx.GopRefDist - 1 : 3;
    p.i_bframe_adaptive = X264_B_ADAPT_NONE;
    p.b_open_gop = (mfx.GopOptFlag & MFX_GOP_CLOSED) != 0 ? 0 : 1;
    p.b_annexb = 1;
    p.b_repeat_headers = 1;
    switch (mfx.RateControlMethod) {
    case MFX_RATECONTROL_CQP:
        p.rc.i_rc_method = X264_RC_CQP;
        p.rc.i_qp_constant = mfx.QPI;
        break;
    case MFX_RATECONTROL_ICQ:
        p.rc.i_rc_method = X264_RC_CRF;
        p.rc.f_rf_constant = mfx.ICQQuality;
        break;
    case MFX_RATECONTROL_QVBR:
        p.rc.i_rc_method = X264_RC_CRF;
        p.rc.f_rf_constant = e.co3.QVBRQuality;
        p.rc.i_vbv_max_bitrate = mfx.MaxKbps * mult;
        p.rc.i_vbv_buffer_size = mfx.BufferSizeInKB * mult * 8;
        break;
    default:
        p.rc.i_rc_method = X264_RC_ABR;
        p.rc.i_bitrate = mfx.TargetKbps * mult;
        p.rc.i_vbv_max_bitrate = mfx.MaxKbps * mult;
        p.rc.i_vbv_buffer_size = mfx.BufferSizeInKB * mult * 8;
        break;
    }
    if (e.has_signal) {
        p.vui.b_fullrange = e.signal.VideoFullRange;
        if (e.signal.ColourDescriptionPresent != 0) {
            p.vui.i_colorprim = e.signal.ColourPrimaries;
            p.vui.i_transfer = e.signal.TransferCharacteristics;
            p.vui.i_colmatrix = e.signal.MatrixCoefficients;
        }
    }
    if (mfx.FrameInfo.AspectRatioW != 0 && mfx.FrameInfo.AspectRatioH != 0) {
        p.vui.i_sar_width = mfx.FrameInfo.AspectRatioW;
        p.vui.i_sar_height = mfx.FrameInfo.AspectRatioH;
    }
    const char *profile = mfx.CodecProfile == MFX_PROFILE_AVC_CONSTRAINED_BASELINE ||
                                  mfx.CodecProfile == MFX_PROFILE_AVC_BASELINE
                              ? "baseline"
                          : mfx.CodecProfile == MFX_PROFILE_AVC_MAIN ? "main"
                                                                     : "high";
    if (x264_param_apply_profile(&p, profile) < 0) {
        return fail_param("x264 refused the profile");
    }
    e.x264 = x264_encoder_open(&p);
    if (e.x264 == nullptr) {
        return fail_param("x264_encoder_open failed");
    }
    x264_nal_t *nals = nullptr;
    int count = 0;
    x264_encoder_headers(e.x264, &nals, &count);
    for (int i = 0; i < count; ++i) {
        auto &out = nals[i].i_type == NAL_SPS ? e.sps : nals[i].i_type == NAL_PPS ? e.pps : e.vps;
        if (nals[i].i_type == NAL_SPS || nals[i].i_type == NAL_PPS) {
            out.assign(nals[i].p_payload, nals[i].p_payload + nals[i].i_payload);
        }
    }
    e.vps.clear();
    return MFX_ERR_NONE;
}

mfxStatus open_x265(Encoder &e) {
    const mfxInfoMFX &mfx = e.par.mfx;
    const mfxU16 mult = std::max<mfxU16>(1, mfx.BRCParamMultiplier);
    const int depth = mfx.FrameInfo.FourCC == MFX_FOURCC_P010 ? 10 : 8;
    e.api = x265_api_get(depth);
    if (e.api == nullptr) {
        return fail_param("libx265 has no " + std::to_string(depth) + "-bit encoder");
    }
    x265_param *p = e.api->param_alloc();
    e.x265_par = p;
    e.api->param_default_preset(p, "ultrafast", nullptr);
    p->logLevel = X265_LOG_NONE;
    p->bEnableWavefront = 0;
    p->frameNumThreads = 1;
    p->numaPools = "none";
    p->sourceWidth = mfx.FrameInfo.CropW;
    p->sourceHeight = mfx.FrameInfo.CropH;
    p->internalCsp = X265_CSP_I420;
    p->internalBitDepth = depth;
    p->fpsNum = mfx.FrameInfo.FrameRateExtN;
    p->fpsDenom = mfx.FrameInfo.FrameRateExtD;
    p->scenecutThreshold = 0;
    p->keyframeMax = mfx.GopPicSize != 0 ? mfx.GopPicSize : 250;
    p->keyframeMin = 1;
    p->bframes = mfx.GopRefDist > 0 ? mfx.GopRefDist - 1 : 3;
    p->bFrameAdaptive = X265_B_ADAPT_NONE;
    p->bOpenGOP = (mfx.GopOptFlag & MFX_GOP_CLOSED) != 0 ? 0 : 1;
    p->bRepeatHeaders = 1;
    p->bAnnexB = 1;
    switch (mfx.RateControlMethod) {
    case MFX_RATECONTROL_CQP:
        p->rc.rateControlMode = X265_RC_CQP;
        p->rc.qp = mfx.QPI;
        break;
    case MFX_RATECONTROL_ICQ:
        p->rc.rateControlMode = X265_RC_CRF;
        p->rc.rfConstant = mfx.ICQQuality;
        break;
    case MFX_RATECONTROL_QVBR:
        p->rc.rateControlMode = X265_RC_CRF;
        p->rc.rfConstant = e.co3.QVBRQuality;
        p->rc.vbvMaxBitrate = mfx.MaxKbps * mult;
        p->rc.vbvBufferSize = mfx.BufferSizeInKB * mult * 8;
        break;
    default:
        p->rc.rateControlMode = X265_RC_ABR;
        p->rc.bitrate = mfx.TargetKbps * mult;
        p->rc.vbvMaxBitrate = mfx.MaxKbps * mult;
        p->rc.vbvBufferSize = mfx.BufferSizeInKB * mult * 8;
        break;
    }
    if (e.has_signal) {
        p->vui.bEnableVideoFullRangeFlag = e.signal.VideoFullRange;
        p->vui.bEnableVideoSignalTypePresentFlag = 1;
        p->vui.videoFormat = e.signal.VideoFormat;
        if (e.signal.ColourDescriptionPresent != 0) {
            p->vui.bEnableColorDescriptionPresentFlag = 1;
            p->vui.colorPrimaries = e.signal.ColourPrimaries;
            p->vui.transferCharacteristics = e.signal.TransferCharacteristics;
            p->vui.matrixCoeffs = e.signal.MatrixCoefficients;
        }
    }
    if (e.api->param_apply_profile(p, depth == 10 ? "main10" : "main") < 0) {
        return fail_param("x265 refused the profile");
    }
    e.x265 = e.api->encoder_open(p);
    if (e.x265 == nullptr) {
        return fail_param("x265 encoder_open failed");
    }
    e.x265_pic = e.api->picture_alloc();
    e.api->picture_init(p, e.x265_pic);
    x265_nal *nals = nullptr;
    uint32_t count = 0;
    e.api->encoder_headers(e.x265, &nals, &count);
    for (uint32_t i = 0; i < count; ++i) {
        std::vector<mfxU8> unit(nals[i].payload, nals[i].payload + nals[i].sizeBytes);
        if (nals[i].type == 32) {
            e.vps = unit;
        } else if (nals[i].type == 33) {
            e.sps = unit;
        } else if (nals[i].type == 34) {
            e.pps = unit;
        }
    }
    return MFX_ERR_NONE;
}

// The sequence header OBU of an AV1 buffer (AV1 spec 5.3), or nothing.
std::vector<mfxU8> sequence_header(const mfxU8 *data, size_t size) {
    size_t at = 0;
    while (at < size) {
        const mfxU8 header = data[at];
        const int type = (header >> 3) & 15;
        size_t pos = at + 1 + ((header & 4) != 0 ? 1 : 0);
        if ((header & 2) == 0) {
            return {}; // every OBU here carries its size
        }
        uint64_t length = 0;
        for (int shift = 0; pos < size && shift < 56; shift += 7) {
            const mfxU8 byte = data[pos++];
            length |= uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80) == 0) {
                break;
            }
        }
        if (pos + length > size) {
            return {};
        }
        if (type == 1) {
            return {data + at, data + pos + length};
        }
        at = pos + length;
    }
    return {};
}

// A configured, initialised SVT-AV1 handle for the encoder's parameters.
mfxStatus svt_start(Encoder &e, EbComponentType **handle) {
    const mfxInfoMFX &mfx = e.par.mfx;
    const mfxU16 mult = std::max<mfxU16>(1, mfx.BRCParamMultiplier);
    // SVT-AV1 prints a banner to stderr unless SVT_LOG says otherwise.
    setenv("SVT_LOG", "-2", 0);
    EbSvtAv1EncConfiguration svt{};
    {
        const std::lock_guard lock(svt_mutex());
        if (svt_av1_enc_init_handle(handle, nullptr, &svt) != EB_ErrorNone) {
            *handle = nullptr;
            return MFX_ERR_MEMORY_ALLOC;
        }
    }
    svt.source_width = mfx.FrameInfo.CropW;
    svt.source_height = mfx.FrameInfo.CropH;
    svt.encoder_bit_depth = mfx.FrameInfo.FourCC == MFX_FOURCC_P010 ? 10 : 8;
    svt.frame_rate_numerator = mfx.FrameInfo.FrameRateExtN;
    svt.frame_rate_denominator = mfx.FrameInfo.FrameRateExtD;
    svt.enc_mode = 12;
    svt.logical_processors = 1;
    // SVT-AV1 forces key frames only in CRF/CQP mode with key-frame refresh,
    // so every bitrate mode is emulated as CRF with a cap.
    svt.rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
    svt.pred_structure = SVT_AV1_PRED_RANDOM_ACCESS;
    svt.intra_refresh_type = SVT_AV1_KF_REFRESH;
    svt.force_key_frames = 1;
    svt.scene_change_detection = 0;
    svt.intra_period_length = mfx.GopPicSize != 0 ? mfx.GopPicSize - 1 : 249;
    auto to_63 = [](mfxU16 q51) { return static_cast<uint32_t>(1 + (q51 - 1) * 62 / 50); };
    switch (mfx.RateControlMethod) {
    case MFX_RATECONTROL_CQP:
        svt.qp = std::clamp<uint32_t>(mfx.QPI / 4u, 1u, 63u);
        svt.enable_adaptive_quantization = 0;
        break;
    case MFX_RATECONTROL_ICQ:
        svt.qp = to_63(mfx.ICQQuality);
        break;
    case MFX_RATECONTROL_QVBR:
        svt.qp = to_63(e.co3.QVBRQuality);
        svt.max_bit_rate = uint32_t{mfx.MaxKbps} * mult * 1000;
        break;
    default:
        svt.qp = 35;
        svt.max_bit_rate = uint32_t{mfx.MaxKbps} * mult * 1000;
        break;
    }
    if (e.has_signal) {
        svt.color_range = e.signal.VideoFullRange != 0 ? EB_CR_FULL_RANGE : EB_CR_STUDIO_RANGE;
        if (e.signal.ColourDescriptionPresent != 0) {
            svt.color_description_present_flag = 1;
            svt.color_primaries = static_cast<EbColorPrimaries>(e.signal.ColourPrimaries);
            svt.transfer_characteristics =
                static_cast<EbTransferCharacteristics>(e.signal.TransferCharacteristics);
            svt.matrix_coefficients =
                static_cast<EbMatrixCoefficients>(e.signal.MatrixCoefficients);
        }
    }
    const std::lock_guard lock(svt_mutex());
    if (svt_av1_enc_set_parameter(*handle, &svt) != EB_ErrorNone) {
        svt_av1_enc_deinit_handle(*handle);
        *handle = nullptr;
        return fail_param("SVT-AV1 refused the parameters");
    }
    if (svt_av1_enc_init(*handle) != EB_ErrorNone) {
        svt_av1_enc_deinit_handle(*handle);
        *handle = nullptr;
        return MFX_ERR_MEMORY_ALLOC;
    }
    return MFX_ERR_NONE;
}

// Sends one blank frame (a key frame) and the end of stream.
void svt_send_blank_and_eos(EbComponentType *handle, const mfxFrameInfo &info) {
    const size_t sample = info.FourCC == MFX_FOURCC_P010 ? 2 : 1;
    const size_t luma = size_t{info.CropW} * info.CropH * sample;
    std::vector<mfxU8> blank(luma * 3 / 2, 0);
    EbSvtIOFormat picture{};
    picture.luma = blank.data();
    picture.cb = blank.data() + luma;
    picture.cr = picture.cb + luma / 4;
    picture.y_stride = info.CropW;
    picture.cb_stride = info.CropW / 2u;
    picture.cr_stride = info.CropW / 2u;
    picture.width = info.CropW;
    picture.height = info.CropH;
    picture.color_fmt = EB_YUV420;
    picture.bit_depth = sample == 2 ? EB_TEN_BIT : EB_EIGHT_BIT;
    EbBufferHeaderType buffer{};
    buffer.size = sizeof buffer;
    buffer.p_buffer = reinterpret_cast<uint8_t *>(&picture);
    buffer.n_filled_len = static_cast<uint32_t>(blank.size());
    buffer.n_alloc_len = buffer.n_filled_len;
    buffer.pic_type = EB_AV1_KEY_PICTURE;
    svt_av1_enc_send_picture(handle, &buffer);
    EbBufferHeaderType eos{};
    eos.size = sizeof eos;
    eos.flags = EB_BUFFERFLAG_EOS;
    eos.pic_type = EB_AV1_INVALID_PICTURE;
    svt_av1_enc_send_picture(handle, &eos);
}

mfxStatus open_svt(Encoder &e) {
    // A hardware runtime packs the sequence header itself, so the one
    // GetVideoParam reports is the one in the stream. SVT-AV1's
    // svt_av1_enc_stream_header() predicts some tool flags differently from
    // what it then writes, so the emulator learns the real header from a
    // one-frame encode with the same parameters.
    EbComponentType *probe = nullptr;
    mfxStatus status = svt_start(e, &probe);
    if (status != MFX_ERR_NONE) {
        return status;
    }
    svt_send_blank_and_eos(probe, e.par.mfx.FrameInfo);
    for (bool done = false; !done;) {
        EbBufferHeaderType *buffer = nullptr;
        if (svt_av1_enc_get_packet(probe, &buffer, 1) != EB_ErrorNone || buffer == nullptr) {
            break;
        }
        done = (buffer->flags & EB_BUFFERFLAG_EOS) != 0;
        if (e.sps.empty()) {
            e.sps = sequence_header(buffer->p_buffer, buffer->n_filled_len);
        }
        svt_av1_enc_release_out_buffer(&buffer);
    }
    svt_av1_enc_deinit(probe);
    {
        const std::lock_guard lock(svt_mutex());
        svt_av1_enc_deinit_handle(probe);
    }
    if (e.sps.empty()) {
        return MFX_ERR_UNKNOWN;
    }
    status = svt_start(e, &e.svt);
    if (status == MFX_ERR_NONE) {
        e.svt_initialised = true;
    }
    return status;
}

// Moves every finished SVT-AV1 packet into svt_ready; @p block waits for one.
mfxStatus svt_collect(Encoder &e, bool block) {
    while (!e.svt_eos_received) {
        EbBufferHeaderType *buffer = nullptr;
        const EbErrorType status = svt_av1_enc_get_packet(e.svt, &buffer, block ? 1 : 0);
        if (status == EB_NoErrorEmptyQueue) {
            return MFX_ERR_NONE;
        }
        if (status != EB_ErrorNone || buffer == nullptr) {
            if (buffer != nullptr) {
                svt_av1_enc_release_out_buffer(&buffer);
            }
            return MFX_ERR_UNKNOWN;
        }
        if ((buffer->flags & EB_BUFFERFLAG_EOS) != 0) {
            e.svt_eos_received = true;
        }
        if (buffer->n_filled_len > 0) {
            auto sync = std::make_unique<_mfxSyncPoint>();
            sync->data.assign(buffer->p_buffer, buffer->p_buffer + buffer->n_filled_len);
            const auto counter = static_cast<size_t>(buffer->pts);
            sync->timestamp = counter < e.timestamps.size() ? e.timestamps[counter] : 0;
            sync->dts = buffer->pts;
            const bool key = buffer->pic_type == EB_AV1_KEY_PICTURE;
            sync->frame_type =
                frame_type(key, key || buffer->pic_type == EB_AV1_INTRA_ONLY_PICTURE, false, true);
            e.svt_ready.push_back(std::move(sync));
        }
        svt_av1_enc_release_out_buffer(&buffer);
        if (block) {
            return MFX_ERR_NONE;
        }
    }
    return MFX_ERR_NONE;
}

mfxStatus run_svt(Encoder &e, FakeSurface *input, bool idr, mfxBitstream *bs, mfxSyncPoint *syncp) {
    const mfxFrameInfo &info = e.par.mfx.FrameInfo;
    if (input != nullptr) {
        // SVT-AV1 takes planar samples (16-bit, low bits, at 10 bits).
        const int width = info.CropW;
        const int height = info.CropH;
        const int cw = width / 2;
        const int ch = height / 2;
        const bool ten = info.FourCC == MFX_FOURCC_P010;
        const size_t sample = ten ? 2 : 1;
        std::vector<mfxU8> &planes = e.planar8;
        planes.assign((size_t(width) * height + 2 * size_t(cw) * ch) * sample, 0);
        mfxU8 *py = planes.data();
        mfxU8 *pu = py + size_t(width) * height * sample;
        mfxU8 *pv = pu + size_t(cw) * ch * sample;
        const mfxU8 *y = input->buffer.data();
        const mfxU8 *uv = y + input->pitch * info.Height;
        for (int r = 0; r < height; ++r) {
            for (int x = 0; x < width; ++x) {
                if (ten) {
                    uint16_t v;
                    std::memcpy(&v, y + r * input->pitch + 2 * x, 2);
                    v = static_cast<uint16_t>(v >> 6);
                    std::memcpy(py + 2 * (size_t(r) * width + x), &v, 2);
                } else {
                    py[size_t(r) * width + x] = y[r * input->pitch + x];
                }
            }
        }
        for (int r = 0; r < ch; ++r) {
            for (int x = 0; x < cw; ++x) {
                if (ten) {
                    uint16_t u, v;
                    std::memcpy(&u, uv + r * input->pitch + 4 * x, 2);
                    std::memcpy(&v, uv + r * input->pitch + 4 * x + 2, 2);
                    u = static_cast<uint16_t>(u >> 6);
                    v = static_cast<uint16_t>(v >> 6);
                    std::memcpy(pu + 2 * (size_t(r) * cw + x), &u, 2);
                    std::memcpy(pv + 2 * (size_t(r) * cw + x), &v, 2);
                } else {
                    pu[size_t(r) * cw + x] = uv[r * input->pitch + 2 * x];
                    pv[size_t(r) * cw + x] = uv[r * input->pitch + 2 * x + 1];
                }
            }
        }
        EbSvtIOFormat picture{};
        picture.luma = py;
        picture.cb = pu;
        picture.cr = pv;
        picture.y_stride = static_cast<uint32_t>(width);
        picture.cb_stride = static_cast<uint32_t>(cw);
        picture.cr_stride = static_cast<uint32_t>(cw);
        picture.width = static_cast<uint32_t>(width);
        picture.height = static_cast<uint32_t>(height);
        picture.color_fmt = EB_YUV420;
        picture.bit_depth = ten ? EB_TEN_BIT : EB_EIGHT_BIT;
        EbBufferHeaderType buffer{};
        buffer.size = sizeof buffer;
        buffer.p_buffer = reinterpret_cast<uint8_t *>(&picture);
        buffer.n_filled_len = static_cast<uint32_t>(planes.size());
        buffer.n_alloc_len = buffer.n_filled_len;
        buffer.pts = e.frames;
        buffer.pic_type = idr ? EB_AV1_KEY_PICTURE : EB_AV1_INVALID_PICTURE;
        if (svt_av1_enc_send_picture(e.svt, &buffer) != EB_ErrorNone) {
            return MFX_ERR_UNKNOWN;
        }
        if (svt_collect(e, false) != MFX_ERR_NONE) {
            return MFX_ERR_UNKNOWN;
        }
    } else {
        if (!e.svt_eos_sent && e.frames > 0) {
            EbBufferHeaderType buffer{};
            buffer.size = sizeof buffer;
            buffer.flags = EB_BUFFERFLAG_EOS;
            buffer.pic_type = EB_AV1_INVALID_PICTURE;
            e.svt_eos_sent = true;
            if (svt_av1_enc_send_picture(e.svt, &buffer) != EB_ErrorNone) {
                return MFX_ERR_UNKNOWN;
            }
        }
        while (e.svt_ready.empty() && e.svt_eos_sent && !e.svt_eos_received) {
            if (svt_collect(e, true) != MFX_ERR_NONE) {
                return MFX_ERR_UNKNOWN;
            }
        }
    }
    if (e.svt_ready.empty()) {
        return MFX_ERR_MORE_DATA;
    }
    std::unique_ptr<_mfxSyncPoint> sync = std::move(e.svt_ready.front());
    e.svt_ready.pop_front();
    sync->bs = bs;
    *syncp = sync.get();
    e.pending.push_back(std::move(sync));
    return MFX_ERR_NONE;
}

// Encodes one surface (NULL flushes); stores any output as a sync point.
// Returns MFX_ERR_MORE_DATA when the library produced nothing.
mfxStatus run_encoder(Encoder &e, FakeSurface *input, bool idr, mfxBitstream *bs,
                      mfxSyncPoint *syncp) {
    if (e.svt != nullptr) {
        return run_svt(e, input, idr, bs, syncp);
    }
    const mfxFrameInfo &info = e.par.mfx.FrameInfo;
    const int width = info.CropW;
    const int height = info.CropH;
    auto sync = std::make_unique<_mfxSyncPoint>();
    sync->bs = bs;
    long out_counter = -1;
    long out_dts = 0;
    if (e.x264 != nullptr) {
        x264_picture_t pic;
        x264_picture_t out;
        x264_picture_init(&pic);
        x264_nal_t *nals = nullptr;
        int count = 0;
        int size = 0;
        if (input != nullptr) {
            pic.img.i_csp = X264_CSP_NV12;
            pic.img.i_plane = 2;
            pic.img.plane[0] = input->buffer.data();
            pic.img.plane[1] = input->buffer.data() + input->pitch * info.Height;
            pic.img.i_stride[0] = static_cast<int>(input->pitch);
            pic.img.i_stride[1] = static_cast<int>(input->pitch);
            pic.i_pts = e.frames;
            pic.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
            size = x264_encoder_encode(e.x264, &nals, &count, &pic, &out);
        } else if (x264_encoder_delayed_frames(e.x264) > 0) {
            size = x264_encoder_encode(e.x264, &nals, &count, nullptr, &out);
        }
        if (size < 0) {
            return MFX_ERR_UNKNOWN;
        }
        if (size == 0) {
            return MFX_ERR_MORE_DATA;
        }
        sync->data.assign(nals[0].p_payload, nals[0].p_payload + size);
        out_counter = static_cast<long>(out.i_pts);
        out_dts = static_cast<long>(out.i_dts);
        bool ref = false;
        for (int i = 0; i < count; ++i) {
            if (nals[i].i_type == NAL_SLICE || nals[i].i_type == NAL_SLICE_IDR) {
                ref = ref || nals[i].i_ref_idc != NAL_PRIORITY_DISPOSABLE;
            }
        }
        sync->frame_type = frame_type(
            out.i_type == X264_TYPE_IDR, out.i_type == X264_TYPE_I || out.i_type == X264_TYPE_IDR,
            out.i_type == X264_TYPE_B || out.i_type == X264_TYPE_BREF, ref);
    } else {
        x265_picture out;
        e.api->picture_init(e.x265_par, &out);
        x265_nal *nals = nullptr;
        uint32_t count = 0;
        int produced = 0;
        if (input != nullptr) {
            // x265 takes planar input: split the NV12/P010 surface.
            x265_picture &pic = *e.x265_pic;
            const int cw = (width + 1) / 2;
            const int ch = (height + 1) / 2;
            const mfxU8 *y = input->buffer.data();
            const mfxU8 *uv = y + input->pitch * info.Height;
            if (info.FourCC == MFX_FOURCC_P010) {
                e.planar16.resize(size_t(width) * height + 2 * size_t(cw) * ch);
                uint16_t *py = e.planar16.data();
                uint16_t *pu = py + size_t(width) * height;
                uint16_t *pv = pu + size_t(cw) * ch;
                for (int r = 0; r < height; ++r) {
                    for (int x = 0; x < width; ++x) {
                        uint16_t v;
                        std::memcpy(&v, y + r * input->pitch + 2 * x, 2);
                        py[size_t(r) * width + x] = static_cast<uint16_t>(v >> 6);
                    }
                }
                for (int r = 0; r < ch; ++r) {
                    for (int x = 0; x < cw; ++x) {
                        uint16_t u, v;
                        std::memcpy(&u, uv + r * input->pitch + 4 * x, 2);
                        std::memcpy(&v, uv + r * input->pitch + 4 * x + 2, 2);
                        pu[size_t(r) * cw + x] = static_cast<uint16_t>(u >> 6);
                        pv[size_t(r) * cw + x] = static_cast<uint16_t>(v >> 6);
                    }
                }
                pic.planes[0] = py;
                pic.planes[1] = pu;
                pic.planes[2] = pv;
                pic.stride[0] = width * 2;
                pic.stride[1] = cw * 2;
                pic.stride[2] = cw * 2;
                pic.bitDepth = 10;
            } else {
                e.planar8.resize(size_t(width) * height + 2 * size_t(cw) * ch);
                uint8_t *py = e.planar8.data();
                uint8_t *pu = py + size_t(width) * height;
                uint8_t *pv = pu + size_t(cw) * ch;
                for (int r = 0; r < height; ++r) {
                    std::memcpy(py + size_t(r) * width, y + r * input->pitch, size_t(width));
                }
                for (int r = 0; r < ch; ++r) {
                    for (int x = 0; x < cw; ++x) {
                        pu[size_t(r) * cw + x] = uv[r * input->pitch + 2 * x];
                        pv[size_t(r) * cw + x] = uv[r * input->pitch + 2 * x + 1];
                    }
                }
                pic.planes[0] = py;
                pic.planes[1] = pu;
                pic.planes[2] = pv;
                pic.stride[0] = width;
                pic.stride[1] = cw;
                pic.stride[2] = cw;
                pic.bitDepth = 8;
            }
            pic.colorSpace = X265_CSP_I420;
            pic.pts = e.frames;
            pic.sliceType = idr ? X265_TYPE_IDR : X265_TYPE_AUTO;
            produced = e.api->encoder_encode(e.x265, &nals, &count, &pic, &out);
        } else {
            produced = e.api->encoder_encode(e.x265, &nals, &count, nullptr, &out);
        }
        if (produced < 0) {
            return MFX_ERR_UNKNOWN;
        }
        if (produced == 0 || count == 0) {
            return MFX_ERR_MORE_DATA;
        }
        for (uint32_t i = 0; i < count; ++i) {
            sync->data.insert(sync->data.end(), nals[i].payload,
                              nals[i].payload + nals[i].sizeBytes);
        }
        out_counter = static_cast<long>(out.pts);
        out_dts = static_cast<long>(out.dts);
        sync->frame_type = frame_type(out.sliceType == X265_TYPE_IDR, IS_X265_TYPE_I(out.sliceType),
                                      IS_X265_TYPE_B(out.sliceType), out.sliceType != X265_TYPE_B);
    }
    if (out_counter < 0 || out_counter >= static_cast<long>(e.timestamps.size())) {
        return MFX_ERR_UNKNOWN;
    }
    sync->timestamp = e.timestamps[static_cast<size_t>(out_counter)];
    sync->dts = out_dts; // in frames; a real runtime gives 90 kHz units
    *syncp = sync.get();
    e.pending.push_back(std::move(sync));
    return MFX_ERR_NONE;
}

} // namespace

Encoder::~Encoder() {
    if (x264 != nullptr) {
        x264_encoder_close(x264);
    }
    if (api != nullptr) {
        if (x265 != nullptr) {
            api->encoder_close(x265);
        }
        if (x265_pic != nullptr) {
            api->picture_free(x265_pic);
        }
        if (x265_par != nullptr) {
            api->param_free(x265_par);
        }
    }
    if (svt != nullptr) {
        if (svt_initialised) {
            // svt_av1_enc_deinit() waits for the end-of-stream packet,
            // which SVT-AV1 1.4.1 never sends for a stream of no frames.
            if (frames == 0) {
                svt_send_blank_and_eos(svt, par.mfx.FrameInfo);
            } else if (!svt_eos_sent) {
                EbBufferHeaderType eos{};
                eos.size = sizeof eos;
                eos.flags = EB_BUFFERFLAG_EOS;
                eos.pic_type = EB_AV1_INVALID_PICTURE;
                svt_av1_enc_send_picture(svt, &eos);
            }
            svt_av1_enc_deinit(svt);
        }
        const std::lock_guard lock(svt_mutex());
        svt_av1_enc_deinit_handle(svt);
    }
    for (const auto &surface : pool) {
        if (surface->refs != 0) {
            trace("ERROR a surface from GetSurfaceForEncode was never released");
        }
    }
    g_active_encoders.fetch_sub(1);
}

extern "C" {

// --- 2.0 entry points ---------------------------------------------------

mfxHDL *MFXQueryImplsDescription(mfxImplCapsDeliveryFormat format, mfxU32 *num_impls) {
    if (num_impls == nullptr) {
        return nullptr;
    }
    *num_impls = 0;
    // Like a GPU runtime on a machine without an Intel GPU: nothing to offer.
    if (format != MFX_IMPLCAPS_IMPLDESCSTRUCTURE || env_number("FAKE_VPL_NO_DEVICE", 0) != 0) {
        return nullptr;
    }
    auto d = make_description();
    mfxHDL *handles = d->handles;
    const std::lock_guard lock(g_desc_mutex);
    g_descriptions[&d->desc] = std::move(d);
    *num_impls = 1;
    return handles;
}

mfxStatus MFXReleaseImplDescription(mfxHDL hdl) {
    const std::lock_guard lock(g_desc_mutex);
    if (g_descriptions.erase(hdl) == 0) {
        trace("ERROR MFXReleaseImplDescription of an unknown handle");
        return MFX_ERR_NULL_PTR;
    }
    return MFX_ERR_NONE;
}

mfxStatus MFXInitialize(mfxInitializationParam par, mfxSession *session) {
    if (session == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    // A Linux GPU runtime serves VA-API only.
    if (par.AccelerationMode != MFX_ACCEL_MODE_VIA_VAAPI) {
        return MFX_ERR_UNSUPPORTED;
    }
    *session = new _mfxSession();
    return MFX_ERR_NONE;
}

mfxStatus MFXMemory_GetSurfaceForEncode(mfxSession session, mfxFrameSurface1 **surface) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (surface == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    Encoder *e = session->encoder.get();
    if (e == nullptr) {
        return MFX_ERR_NOT_INITIALIZED;
    }
    if (e->lost) {
        return MFX_ERR_DEVICE_LOST;
    }
    FakeSurface *free_surface = nullptr;
    for (const auto &s : e->pool) {
        if (s->refs == 0) {
            free_surface = s.get();
            break;
        }
    }
    if (free_surface == nullptr) {
        if (e->pool.size() >= 64) {
            trace("ERROR more than 64 surfaces held: are they released?");
            return MFX_ERR_MEMORY_ALLOC;
        }
        auto s = std::make_unique<FakeSurface>();
        const mfxFrameInfo &info = e->par.mfx.FrameInfo;
        const size_t bytes = info.FourCC == MFX_FOURCC_P010 ? 2 : 1;
        s->pitch = (size_t{info.Width} * bytes + 63) / 64 * 64;
        s->buffer.assign(s->pitch * info.Height * 3 / 2, 0);
        s->owner = e;
        s->iface.Context = s.get();
        s->iface.Version.Version = MFX_FRAMESURFACEINTERFACE_VERSION;
        s->iface.AddRef = surface_add_ref;
        s->iface.Release = surface_release;
        s->iface.GetRefCounter = surface_get_ref;
        s->iface.Map = surface_map;
        s->iface.Unmap = surface_unmap;
        s->iface.GetNativeHandle = surface_unsupported_handle;
        s->iface.GetDeviceHandle = surface_device_handle;
        s->iface.Synchronize = surface_synchronize;
        s->iface.OnComplete = surface_on_complete;
        s->surface.Version.Version = MFX_FRAMESURFACE1_VERSION;
        s->surface.FrameInterface = &s->iface;
        s->surface.Info = info;
        free_surface = s.get();
        e->pool.push_back(std::move(s));
    }
    free_surface->refs = 1;
    free_surface->surface.Data.TimeStamp = 0;
    *surface = &free_surface->surface;
    return MFX_ERR_NONE;
}

mfxStatus MFXMemory_GetSurfaceForVPP(mfxSession, mfxFrameSurface1 **) {
    return MFX_ERR_UNSUPPORTED;
}

mfxStatus MFXMemory_GetSurfaceForDecode(mfxSession, mfxFrameSurface1 **) {
    return MFX_ERR_UNSUPPORTED;
}

// --- 1.x session functions ------------------------------------------------

mfxStatus MFXInit(mfxIMPL, mfxVersion *, mfxSession *) {
    return MFX_ERR_UNSUPPORTED; // 2.x runtimes are created through MFXInitialize
}

mfxStatus MFXInitEx(mfxInitParam, mfxSession *) {
    return MFX_ERR_UNSUPPORTED;
}

mfxStatus MFXClose(mfxSession session) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    delete session;
    return MFX_ERR_NONE;
}

mfxStatus MFXQueryIMPL(mfxSession session, mfxIMPL *impl) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (impl == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    *impl = MFX_IMPL_HARDWARE | MFX_IMPL_VIA_VAAPI;
    return MFX_ERR_NONE;
}

mfxStatus MFXQueryVersion(mfxSession session, mfxVersion *version) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (version == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    version->Major = kApiMajor;
    version->Minor = kApiMinor;
    return MFX_ERR_NONE;
}

mfxStatus MFXJoinSession(mfxSession, mfxSession) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXDisjoinSession(mfxSession) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXCloneSession(mfxSession, mfxSession *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXSetPriority(mfxSession, mfxPriority) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXGetPriority(mfxSession, mfxPriority *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoCORE_QueryPlatform(mfxSession, mfxPlatform *) {
    return MFX_ERR_UNSUPPORTED;
}

mfxStatus MFXVideoCORE_SetFrameAllocator(mfxSession, mfxFrameAllocator *) {
    return MFX_ERR_UNSUPPORTED; // internal memory only
}

mfxStatus MFXVideoCORE_SetHandle(mfxSession session, mfxHandleType type, mfxHDL hdl) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (hdl == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (type != MFX_HANDLE_VA_DISPLAY) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (session->display != nullptr) {
        return MFX_ERR_UNDEFINED_BEHAVIOR; // a display is set once per session
    }
    // vaQueryVendorString answers only for an initialised display: the
    // runtime would fail its first VA call on anything else.
    if (vaQueryVendorString(static_cast<VADisplay>(hdl)) == nullptr) {
        trace("ERROR SetHandle: the VA display is not initialised");
        return MFX_ERR_INVALID_HANDLE;
    }
    session->display = static_cast<VADisplay>(hdl);
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoCORE_GetHandle(mfxSession session, mfxHandleType type, mfxHDL *hdl) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (hdl == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (type != MFX_HANDLE_VA_DISPLAY || session->display == nullptr) {
        return MFX_ERR_NOT_FOUND;
    }
    *hdl = session->display;
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoCORE_SyncOperation(mfxSession session, mfxSyncPoint syncp, mfxU32) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (syncp == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    Encoder *e = session->encoder.get();
    if (e == nullptr) {
        return MFX_ERR_NOT_INITIALIZED;
    }
    if (e->lost) {
        return MFX_ERR_DEVICE_LOST;
    }
    auto it = std::find_if(e->pending.begin(), e->pending.end(),
                           [&](const auto &p) { return p.get() == syncp; });
    if (it == e->pending.end()) {
        trace("ERROR SyncOperation on an unknown or already synced sync point");
        return MFX_ERR_NULL_PTR;
    }
    _mfxSyncPoint &sync = **it;
    mfxBitstream *bs = sync.bs;
    if (bs->DataOffset + bs->DataLength + sync.data.size() > bs->MaxLength) {
        trace("ERROR SyncOperation: the bitstream shrank after EncodeFrameAsync");
        return MFX_ERR_NOT_ENOUGH_BUFFER;
    }
    std::memcpy(bs->Data + bs->DataOffset + bs->DataLength, sync.data.data(), sync.data.size());
    bs->DataLength += static_cast<mfxU32>(sync.data.size());
    bs->TimeStamp = sync.timestamp;
    bs->DecodeTimeStamp = sync.dts;
    bs->FrameType = sync.frame_type;
    bs->PicStruct = MFX_PICSTRUCT_PROGRESSIVE;
    e->pending.erase(it);
    return MFX_ERR_NONE;
}

// --- Encode ------------------------------------------------------------------

mfxStatus MFXVideoENCODE_Query(mfxSession session, mfxVideoParam *in, mfxVideoParam *out) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (out == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (in != nullptr && in != out) {
        out->mfx = in->mfx;
        out->IOPattern = in->IOPattern;
        out->AsyncDepth = in->AsyncDepth;
    }
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoENCODE_QueryIOSurf(mfxSession session, mfxVideoParam *par,
                                     mfxFrameAllocRequest *request) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (par == nullptr || request == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    *request = mfxFrameAllocRequest{};
    request->Info = par->mfx.FrameInfo;
    request->NumFrameMin = static_cast<mfxU16>(par->mfx.GopRefDist + 1);
    request->NumFrameSuggested = request->NumFrameMin;
    request->Type = MFX_MEMTYPE_FROM_ENCODE | MFX_MEMTYPE_SYSTEM_MEMORY;
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoENCODE_Init(mfxSession session, mfxVideoParam *par) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (par == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    if (session->encoder != nullptr) {
        trace("ERROR ENCODE_Init twice on one session");
        return MFX_ERR_UNDEFINED_BEHAVIOR;
    }
    if (session->display == nullptr) {
        trace("ERROR ENCODE_Init without MFX_HANDLE_VA_DISPLAY");
        return MFX_ERR_NOT_INITIALIZED;
    }
    const mfxInfoMFX &mfx = par->mfx;
    const mfxFrameInfo &info = mfx.FrameInfo;
    const bool av1 = mfx.CodecId == MFX_CODEC_AV1;
    if (mfx.CodecId != MFX_CODEC_AVC && mfx.CodecId != MFX_CODEC_HEVC &&
        (!av1 || env_number("FAKE_VPL_NO_AV1", 0) != 0)) {
        return MFX_ERR_UNSUPPORTED;
    }
    if (av1 && mfx.CodecProfile != MFX_PROFILE_AV1_MAIN) {
        return fail_param("AV1 needs CodecProfile MFX_PROFILE_AV1_MAIN");
    }
    if (par->IOPattern != MFX_IOPATTERN_IN_SYSTEM_MEMORY) {
        return fail_param("IOPattern must be MFX_IOPATTERN_IN_SYSTEM_MEMORY (no allocator set)");
    }
    const bool p010 = info.FourCC == MFX_FOURCC_P010;
    if (info.FourCC != MFX_FOURCC_NV12 && !p010) {
        return fail_param("FourCC must be NV12 or P010");
    }
    if (p010 &&
        ((!av1 && (mfx.CodecId != MFX_CODEC_HEVC || mfx.CodecProfile != MFX_PROFILE_HEVC_MAIN10)) ||
         info.BitDepthLuma != 10 || info.BitDepthChroma != 10 || info.Shift != 1)) {
        return fail_param("P010 needs HEVC Main10 or AV1 Main, BitDepth 10 and Shift 1");
    }
    if (!p010 && (mfx.CodecProfile == MFX_PROFILE_HEVC_MAIN10 ||
                  (info.BitDepthLuma != 0 && info.BitDepthLuma != 8))) {
        return fail_param("NV12 input is 8-bit");
    }
    if (info.ChromaFormat != MFX_CHROMAFORMAT_YUV420 ||
        info.PicStruct != MFX_PICSTRUCT_PROGRESSIVE) {
        return fail_param("only progressive 4:2:0 is supported");
    }
    const mfxU16 align = mfx.CodecId == MFX_CODEC_HEVC ? 32 : 16;
    if (info.Width == 0 || info.Height == 0 || info.Width % align != 0 ||
        info.Height % align != 0) {
        return fail_param("Width/Height must be non-zero multiples of " + std::to_string(align));
    }
    if (info.CropX != 0 || info.CropY != 0 || info.CropW == 0 || info.CropH == 0 ||
        info.CropW > info.Width || info.CropH > info.Height || info.CropW % 2 != 0 ||
        info.CropH % 2 != 0 || info.Width - info.CropW >= align ||
        info.Height - info.CropH >= align) {
        return fail_param("Crop must be the even visible size inside the aligned surface");
    }
    if (info.FrameRateExtN == 0 || info.FrameRateExtD == 0) {
        return fail_param("FrameRateExtN/D must be set");
    }
    if (mfx.TargetUsage > 7) {
        return fail_param("TargetUsage must be 0..7");
    }
    if (mfx.GopRefDist > 16) {
        return fail_param("GopRefDist must be at most 16");
    }
    if (mfx.CodecId == MFX_CODEC_AVC && mfx.CodecProfile != 0 &&
        mfx.CodecProfile != MFX_PROFILE_AVC_CONSTRAINED_BASELINE &&
        mfx.CodecProfile != MFX_PROFILE_AVC_BASELINE && mfx.CodecProfile != MFX_PROFILE_AVC_MAIN &&
        mfx.CodecProfile != MFX_PROFILE_AVC_HIGH) {
        return fail_param("unsupported AVC profile");
    }
    auto encoder = std::make_unique<Encoder>();
    g_active_encoders.fetch_add(1); // undone by ~Encoder
    Encoder &e = *encoder;
    e.session = session;
    e.par = *par;
    e.par.ExtParam = nullptr;
    e.par.NumExtParam = 0;
    if (par->NumExtParam != 0 && par->ExtParam == nullptr) {
        return fail_param("NumExtParam without ExtParam");
    }
    bool has_co3 = false;
    for (mfxU16 i = 0; i < par->NumExtParam; ++i) {
        const mfxExtBuffer *ext = par->ExtParam[i];
        if (ext == nullptr || !check_ext_size(ext)) {
            return fail_param("an ext buffer is NULL, unknown or has the wrong BufferSz");
        }
        if (ext->BufferId == MFX_EXTBUFF_CODING_OPTION3) {
            if (has_co3) {
                return fail_param("mfxExtCodingOption3 attached twice");
            }
            has_co3 = true;
            std::memcpy(&e.co3, ext, sizeof e.co3);
        } else if (ext->BufferId == MFX_EXTBUFF_VIDEO_SIGNAL_INFO) {
            e.has_signal = true;
            std::memcpy(&e.signal, ext, sizeof e.signal);
        }
    }
    const mfxU16 mult = std::max<mfxU16>(1, mfx.BRCParamMultiplier);
    std::string rc;
    switch (mfx.RateControlMethod) {
    case MFX_RATECONTROL_CQP:
        if (mfx.QPI < 1 || mfx.QPP < 1 || mfx.QPB < 1 || mfx.QPI > (av1 ? 255 : 51) ||
            mfx.QPP > (av1 ? 255 : 51) || mfx.QPB > (av1 ? 255 : 51)) {
            return fail_param("CQP needs QPI/QPP/QPB in 1..51 (AV1: 1..255)");
        }
        rc = "CQP qp=" + std::to_string(mfx.QPI);
        break;
    case MFX_RATECONTROL_ICQ:
        if (mfx.ICQQuality < 1 || mfx.ICQQuality > 51) {
            return fail_param("ICQ needs ICQQuality in 1..51");
        }
        rc = "ICQ quality=" + std::to_string(mfx.ICQQuality);
        break;
    case MFX_RATECONTROL_QVBR:
        if (!has_co3 || e.co3.QVBRQuality < 1 || e.co3.QVBRQuality > 51) {
            return fail_param("QVBR needs mfxExtCodingOption3 with QVBRQuality in 1..51");
        }
        [[fallthrough]];
    case MFX_RATECONTROL_VBR:
    case MFX_RATECONTROL_CBR:
        if (mfx.TargetKbps == 0 || mfx.MaxKbps < mfx.TargetKbps) {
            return fail_param("bitrate control needs 0 < TargetKbps <= MaxKbps");
        }
        rc = std::string(mfx.RateControlMethod == MFX_RATECONTROL_QVBR  ? "QVBR"
                         : mfx.RateControlMethod == MFX_RATECONTROL_VBR ? "VBR"
                                                                        : "CBR") +
             " quality=" + std::to_string(e.co3.QVBRQuality) +
             " target=" + std::to_string(mfx.TargetKbps * mult) +
             " max=" + std::to_string(mfx.MaxKbps * mult) +
             " buffer_kb=" + std::to_string(mfx.BufferSizeInKB * mult);
        break;
    default:
        return fail_param("unsupported RateControlMethod " + std::to_string(mfx.RateControlMethod));
    }
    const long max_sessions = env_number("FAKE_VPL_MAX_SESSIONS", 0);
    if (max_sessions > 0 && g_active_encoders.load() > max_sessions) {
        trace("BUSY ENCODE_Init: session limit " + std::to_string(max_sessions));
        return MFX_ERR_MEMORY_ALLOC;
    }
    if (e.par.mfx.GopRefDist == 0) {
        e.par.mfx.GopRefDist = 4; // the runtime's default: three B-frames
    }
    if (e.par.mfx.TargetUsage == 0) {
        e.par.mfx.TargetUsage = MFX_TARGETUSAGE_BALANCED;
    }
    const mfxStatus opened = av1                            ? open_svt(e)
                             : mfx.CodecId == MFX_CODEC_AVC ? open_x264(e)
                                                            : open_x265(e);
    if (opened != MFX_ERR_NONE) {
        return opened;
    }
    // A worst-case access unit: twice the uncompressed 4:2:0 frame.
    const mfxU32 frame_bytes = mfxU32{info.Width} * info.Height * 3 / 2 * (p010 ? 2 : 1);
    e.buffer_bytes = (frame_bytes * 2 + 999) / 1000 * 1000;
    e.lose_after = env_number("FAKE_VPL_LOSE_DEVICE_AFTER", -1);
    trace("INIT codec=" +
          std::string(av1                            ? "AV1"
                      : mfx.CodecId == MFX_CODEC_AVC ? "AVC"
                                                     : "HEVC") +
          " profile=" + std::to_string(mfx.CodecProfile) +
          " tu=" + std::to_string(e.par.mfx.TargetUsage) + " rc=" + rc + " gop=" +
          std::to_string(mfx.GopPicSize) + " refdist=" + std::to_string(e.par.mfx.GopRefDist) +
          " idr_interval=" + std::to_string(mfx.IdrInterval) +
          " closed=" + std::to_string((mfx.GopOptFlag & MFX_GOP_CLOSED) != 0 ? 1 : 0) +
          " lowpower=" + std::to_string(mfx.LowPower) + " fourcc=" + (p010 ? "P010" : "NV12") +
          " size=" + std::to_string(info.CropW) + "x" + std::to_string(info.CropH) +
          " fps=" + std::to_string(info.FrameRateExtN) + "/" + std::to_string(info.FrameRateExtD) +
          " colour=" + std::to_string(e.has_signal ? e.signal.ColourPrimaries : 0) + "/" +
          std::to_string(e.has_signal ? e.signal.TransferCharacteristics : 0) + "/" +
          std::to_string(e.has_signal ? e.signal.MatrixCoefficients : 0) +
          " fullrange=" + std::to_string(e.has_signal ? e.signal.VideoFullRange : 0));
    session->encoder = std::move(encoder);
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoENCODE_Reset(mfxSession session, mfxVideoParam *) {
    return session == nullptr ? MFX_ERR_INVALID_HANDLE : MFX_ERR_UNSUPPORTED;
}

mfxStatus MFXVideoENCODE_Close(mfxSession session) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (session->encoder == nullptr) {
        return MFX_ERR_NOT_INITIALIZED;
    }
    session->encoder.reset();
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoENCODE_GetVideoParam(mfxSession session, mfxVideoParam *par) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (par == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    Encoder *e = session->encoder.get();
    if (e == nullptr) {
        return MFX_ERR_NOT_INITIALIZED;
    }
    for (mfxU16 i = 0; i < par->NumExtParam; ++i) {
        mfxExtBuffer *ext = par->ExtParam != nullptr ? par->ExtParam[i] : nullptr;
        if (ext == nullptr || !check_ext_size(ext)) {
            trace("ERROR GetVideoParam: bad ext buffer");
            return MFX_ERR_INVALID_VIDEO_PARAM;
        }
        auto copy_set = [](const std::vector<mfxU8> &from, mfxU8 *to, mfxU16 &size) {
            if (to == nullptr || size < from.size()) {
                return false;
            }
            std::memcpy(to, from.data(), from.size());
            size = static_cast<mfxU16>(from.size());
            return true;
        };
        if (ext->BufferId == MFX_EXTBUFF_CODING_OPTION_SPSPPS) {
            auto *sets = reinterpret_cast<mfxExtCodingOptionSPSPPS *>(ext);
            if (!copy_set(e->sps, sets->SPSBuffer, sets->SPSBufSize) ||
                !copy_set(e->pps, sets->PPSBuffer, sets->PPSBufSize)) {
                return MFX_ERR_NOT_ENOUGH_BUFFER;
            }
        } else if (ext->BufferId == MFX_EXTBUFF_CODING_OPTION_VPS) {
            auto *sets = reinterpret_cast<mfxExtCodingOptionVPS *>(ext);
            if (e->vps.empty()) {
                return MFX_ERR_UNSUPPORTED; // AVC has no VPS
            }
            if (!copy_set(e->vps, sets->VPSBuffer, sets->VPSBufSize)) {
                return MFX_ERR_NOT_ENOUGH_BUFFER;
            }
        } else if (ext->BufferId == MFX_EXTBUFF_CODING_OPTION3) {
            std::memcpy(ext, &e->co3, sizeof e->co3);
        } else if (ext->BufferId == MFX_EXTBUFF_VIDEO_SIGNAL_INFO) {
            std::memcpy(ext, &e->signal, sizeof e->signal);
        }
    }
    par->mfx = e->par.mfx;
    par->IOPattern = e->par.IOPattern;
    par->AsyncDepth = e->par.AsyncDepth;
    const mfxU16 mult = std::max<mfxU16>(1, e->par.mfx.BRCParamMultiplier);
    if (e->par.mfx.RateControlMethod != MFX_RATECONTROL_CQP &&
        e->par.mfx.RateControlMethod != MFX_RATECONTROL_ICQ) {
        par->mfx.BufferSizeInKB =
            std::max<mfxU16>(e->par.mfx.BufferSizeInKB,
                             static_cast<mfxU16>((e->buffer_bytes / 1000 + mult - 1) / mult));
        e->buffer_bytes = mfxU32{par->mfx.BufferSizeInKB} * mult * 1000;
    } else {
        // CQP/ICQ: BufferSizeInKB is the bitstream buffer the app must provide.
        par->mfx.BufferSizeInKB =
            static_cast<mfxU16>(std::min<mfxU32>(e->buffer_bytes / 1000, 0xffff));
        e->buffer_bytes = mfxU32{par->mfx.BufferSizeInKB} * 1000;
    }
    return MFX_ERR_NONE;
}

mfxStatus MFXVideoENCODE_GetEncodeStat(mfxSession session, mfxEncodeStat *) {
    return session == nullptr ? MFX_ERR_INVALID_HANDLE : MFX_ERR_UNSUPPORTED;
}

mfxStatus MFXVideoENCODE_EncodeFrameAsync(mfxSession session, mfxEncodeCtrl *ctrl,
                                          mfxFrameSurface1 *surface, mfxBitstream *bs,
                                          mfxSyncPoint *syncp) {
    if (session == nullptr) {
        return MFX_ERR_INVALID_HANDLE;
    }
    if (bs == nullptr || syncp == nullptr) {
        return MFX_ERR_NULL_PTR;
    }
    *syncp = nullptr;
    Encoder *e = session->encoder.get();
    if (e == nullptr) {
        return MFX_ERR_NOT_INITIALIZED;
    }
    if (e->lost) {
        return MFX_ERR_DEVICE_LOST;
    }
    if (bs->Data == nullptr || bs->MaxLength < bs->DataOffset + bs->DataLength ||
        bs->MaxLength - bs->DataOffset - bs->DataLength < e->buffer_bytes) {
        return MFX_ERR_NOT_ENOUGH_BUFFER;
    }
    FakeSurface *input = nullptr;
    bool idr = false;
    if (surface != nullptr) {
        input = fake(surface);
        if (input == nullptr || input->owner != e || input->refs == 0) {
            trace("ERROR EncodeFrameAsync: a surface not from GetSurfaceForEncode");
            return MFX_ERR_UNDEFINED_BEHAVIOR;
        }
        if (input->mapped) {
            trace("ERROR EncodeFrameAsync: the surface is still mapped");
            return MFX_ERR_LOCK_MEMORY;
        }
        if (std::memcmp(&surface->Info, &e->par.mfx.FrameInfo, sizeof surface->Info) != 0) {
            trace("ERROR EncodeFrameAsync: surface Info differs from the Init parameters");
            return MFX_ERR_INVALID_VIDEO_PARAM;
        }
        if (ctrl != nullptr && ctrl->FrameType != 0) {
            const mfxU16 type = ctrl->FrameType;
            if ((type & MFX_FRAMETYPE_IDR) != 0 && (type & MFX_FRAMETYPE_I) == 0) {
                trace("ERROR EncodeFrameAsync: FrameType IDR without I");
                return MFX_ERR_INVALID_VIDEO_PARAM;
            }
            idr = (type & MFX_FRAMETYPE_IDR) != 0;
        }
        if (e->lose_after >= 0 && e->frames >= e->lose_after) {
            e->lost = true;
            trace("LOST after " + std::to_string(e->frames) + " frames");
            return MFX_ERR_DEVICE_LOST;
        }
        e->timestamps.push_back(surface->Data.TimeStamp);
    } else if (ctrl != nullptr) {
        return MFX_ERR_UNDEFINED_BEHAVIOR; // no control without a frame
    }
    const mfxStatus status = run_encoder(*e, input, idr, bs, syncp);
    if (input != nullptr) {
        ++e->frames;
    }
    return status;
}

// --- Decode and VPP: not offered -------------------------------------------

mfxStatus MFXVideoDECODE_Query(mfxSession, mfxVideoParam *, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoDECODE_DecodeHeader(mfxSession, mfxBitstream *, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoDECODE_QueryIOSurf(mfxSession, mfxVideoParam *, mfxFrameAllocRequest *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoDECODE_Init(mfxSession, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoDECODE_Reset(mfxSession, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoDECODE_Close(mfxSession) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoDECODE_GetVideoParam(mfxSession, mfxVideoParam *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoDECODE_GetDecodeStat(mfxSession, mfxDecodeStat *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoDECODE_SetSkipMode(mfxSession, mfxSkipMode) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoDECODE_GetPayload(mfxSession, mfxU64 *, mfxPayload *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoDECODE_DecodeFrameAsync(mfxSession, mfxBitstream *, mfxFrameSurface1 *,
                                          mfxFrameSurface1 **, mfxSyncPoint *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoVPP_Query(mfxSession, mfxVideoParam *, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoVPP_QueryIOSurf(mfxSession, mfxVideoParam *, mfxFrameAllocRequest *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoVPP_Init(mfxSession, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoVPP_Reset(mfxSession, mfxVideoParam *) {
    return MFX_ERR_UNSUPPORTED;
}
mfxStatus MFXVideoVPP_Close(mfxSession) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoVPP_GetVideoParam(mfxSession, mfxVideoParam *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoVPP_GetVPPStat(mfxSession, mfxVPPStat *) {
    return MFX_ERR_NOT_INITIALIZED;
}
mfxStatus MFXVideoVPP_RunFrameVPPAsync(mfxSession, mfxFrameSurface1 *, mfxFrameSurface1 *,
                                       mfxExtVppAuxData *, mfxSyncPoint *) {
    return MFX_ERR_NOT_INITIALIZED;
}

} // extern "C"
