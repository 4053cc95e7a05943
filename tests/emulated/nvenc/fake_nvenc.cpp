// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// Emulated libnvidia-encode.so.1 for the NVENC plugin tests. TEST-ONLY, never
// installed; GPL because it encodes with libx264 (H.264) and libx265 (HEVC),
// so the tests check real bitstreams.
//
// It behaves like a strict NVENC driver so it catches misuse:
//  - every struct's `version` must equal its NV_*_VER macro
//    (NV_ENC_ERR_INVALID_VERSION otherwise, as the driver answers);
//  - handles must belong to the session they are used with; calls before
//    nvEncInitializeEncoder are NV_ENC_ERR_ENCODER_NOT_INITIALIZED;
//  - input buffers are locked and unlocked in pairs, never encoded while
//    locked and never rewritten while NVENC still holds their picture;
//  - a bitstream buffer is locked only once its picture is complete (locking
//    one that NEED_MORE_INPUT still holds would block forever on a real GPU),
//    unlocked once, and not reused before it was read;
//  - destroying a session with buffers still allocated, or a buffer that is
//    locked, is reported on stderr and aborts the process (the real driver
//    frees silently, so a leak would go unnoticed on real hardware).
// Picture-type decision (enablePTD) follows NVENC's rules: an IDR on the
// first frame, every idrPeriod frames and on NV_ENC_PIC_FLAG_FORCEIDR; with
// frameIntervalP > 1 the pictures between anchors are held back
// (NV_ENC_ERR_NEED_MORE_INPUT) and complete together with the next anchor or
// the end-of-stream picture. LIMIT: libx264/libx265 emit one picture per call
// and cannot resume after a flush, so held pictures are coded as P-frames in
// display order instead of as B-frames; the call pattern the plugin sees is
// NVENC's, the reordering of real B-frames is not emulated.
//
// Failures are emulated through the environment:
//   FAKE_NVENC_NO_DEVICE=1           cuInit answers CUDA_ERROR_NO_DEVICE (fake_cuda.c)
//   FAKE_NVENC_MAX_SESSIONS=N        the N+1st concurrent session in this process is
//                                    refused with NV_ENC_ERR_OUT_OF_MEMORY (consumer-card limit)
//   FAKE_NVENC_LOSE_DEVICE_AFTER=N   a session's picture N+1 (and every call after it)
//                                    fails with NV_ENC_ERR_DEVICE_NOT_EXIST
//   FAKE_NVENC_CODECS=h264[,hevc]    codecs the "GPU" offers (default both)
//   FAKE_NVENC_NO_10BIT=1            NV_ENC_CAPS_SUPPORT_10BIT_ENCODE is 0
//   FAKE_NVENC_API_VERSION=M.m       what NvEncodeAPIGetMaxSupportedVersion reports
//   FAKE_NVENC_TRACE=FILE            appends an INIT line per session (codec, preset, rate
//                                    control, GOP, B-frames as received) and one line per
//                                    coded picture (type, pts), for the tests to check
#include "fake_cuda.h"

#include "fake_codec.hpp"

#include <ffnvcodec/nvEncodeAPI.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

constexpr uint32_t kSessionMagic = 0x53564e46u; // "FNVS"
constexpr uint32_t kInputMagic = 0x49564e46u;
constexpr uint32_t kOutputMagic = 0x4f564e46u;
constexpr int kMaxWidth = 4096;
constexpr int kMaxHeight = 4096;
constexpr int kMinSize = 16;
constexpr int kMaxBFrames = 4;
constexpr uint32_t kPitchAlign = 256; // the driver pads rows; clients must use the pitch

std::mutex g_mutex; // one lock for all state: the fake is small, not fast
int g_live_sessions = 0;

bool env_flag(const char *name) {
    const char *text = std::getenv(name);
    return text != nullptr && *text != '\0' && std::strcmp(text, "0") != 0;
}

int env_int(const char *name, int fallback) {
    const char *text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::atoi(text) : fallback;
}

bool same(const GUID &a, const GUID &b) {
    return std::memcmp(&a, &b, sizeof(GUID)) == 0;
}

bool codec_offered(const GUID &codec) {
    const char *list = std::getenv("FAKE_NVENC_CODECS");
    const std::string codecs = list != nullptr && *list != '\0' ? list : "h264,hevc";
    if (same(codec, NV_ENC_CODEC_H264_GUID)) {
        return codecs.find("h264") != std::string::npos;
    }
    if (same(codec, NV_ENC_CODEC_HEVC_GUID)) {
        return codecs.find("hevc") != std::string::npos;
    }
    return false;
}

int preset_number(const GUID &preset) {
    const GUID presets[] = {NV_ENC_PRESET_P1_GUID, NV_ENC_PRESET_P2_GUID, NV_ENC_PRESET_P3_GUID,
                            NV_ENC_PRESET_P4_GUID, NV_ENC_PRESET_P5_GUID, NV_ENC_PRESET_P6_GUID,
                            NV_ENC_PRESET_P7_GUID};
    for (int i = 0; i < 7; ++i) {
        if (same(preset, presets[i])) {
            return i + 1;
        }
    }
    return 0;
}

struct Session;

struct InputBuffer {
    uint32_t magic = kInputMagic;
    Session *session = nullptr;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t pitch = 0;
    NV_ENC_BUFFER_FORMAT format = NV_ENC_BUFFER_FORMAT_UNDEFINED;
    std::vector<uint8_t> data;
    bool locked = false;
    bool held = false; // its picture waits in the PTD queue
};

struct OutputBuffer {
    uint32_t magic = kOutputMagic;
    Session *session = nullptr;
    bool queued = false; // handed to nvEncEncodePicture, not complete
    bool filled = false; // complete, not yet read
    bool locked = false;
    std::vector<uint8_t> data;
    uint64_t timestamp = 0;
    uint64_t duration = 0;
    NV_ENC_PIC_TYPE type = NV_ENC_PIC_TYPE_UNKNOWN;
    uint32_t frame_index = 0;
};

struct HeldPicture {
    InputBuffer *input = nullptr;
    uint64_t timestamp = 0;
    uint64_t duration = 0;
    uint32_t flags = 0;
};

struct Session {
    uint32_t magic = kSessionMagic;
    const void *context = nullptr;
    bool initialized = false;
    bool lost = false;
    bool ended = false; // EOS picture seen
    std::string last_error;
    NV_ENC_INITIALIZE_PARAMS init{};
    NV_ENC_CONFIG config{};
    bool hevc = false;
    bool ten_bit = false;
    bool repeat_headers = true;
    uint32_t idr_period = 0;
    std::set<InputBuffer *> inputs;
    std::set<OutputBuffer *> outputs;
    std::deque<OutputBuffer *> queue; // submitted, in submission order
    std::deque<HeldPicture> held;
    uint32_t pictures = 0; // accepted by nvEncEncodePicture
    uint32_t coded = 0;    // coded (display order = coding order here)
    uint32_t since_idr = 0;
    uint32_t since_anchor = 0;
    std::vector<uint8_t> headers; // parameter sets, Annex B
    std::unique_ptr<fake_nvenc::Codec> codec;
    std::vector<uint8_t> planes[3];
};

// Records why a call failed, for nvEncGetLastErrorString and the test log.
NVENCSTATUS refuse(Session *session, NVENCSTATUS status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
NVENCSTATUS refuse(Session *session, NVENCSTATUS status, const char *format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (session != nullptr) {
        session->last_error = text;
    }
    std::fprintf(stderr, "fake-nvenc: %s\n", text);
    return status;
}

[[noreturn]] void misuse(const std::string &text) {
    fake_cuda_violation(text.c_str());
}

Session *session_of(void *encoder) {
    auto *session = static_cast<Session *>(encoder);
    if (session == nullptr || session->magic != kSessionMagic) {
        return nullptr;
    }
    return session;
}

#define CHECK_VERSION(session, value, expected, what)                                              \
    do {                                                                                           \
        if ((value) != (expected)) {                                                               \
            return refuse((session), NV_ENC_ERR_INVALID_VERSION,                                   \
                          "%s: version 0x%08x, expected 0x%08x", (what),                           \
                          static_cast<unsigned>(value), static_cast<unsigned>(expected));          \
        }                                                                                          \
    } while (0)

// Every call on a session: valid handle, device not lost.
#define SESSION_OR_FAIL(encoder, session)                                                          \
    Session *session = session_of(encoder);                                                        \
    if (session == nullptr) {                                                                      \
        return refuse(nullptr, NV_ENC_ERR_INVALID_ENCODERDEVICE, "%s: not a session handle",       \
                      __func__);                                                                   \
    }                                                                                              \
    if (session->lost) {                                                                           \
        return refuse(session, NV_ENC_ERR_DEVICE_NOT_EXIST, "%s: the device was lost", __func__);  \
    }

NVENCSTATUS NVENCAPI get_encode_guid_count(void *encoder, uint32_t *count) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, session);
    if (count == nullptr) {
        return refuse(session, NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeGUIDCount: count is NULL");
    }
    *count = (codec_offered(NV_ENC_CODEC_H264_GUID) ? 1 : 0) +
             (codec_offered(NV_ENC_CODEC_HEVC_GUID) ? 1 : 0);
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_encode_guids(void *encoder, GUID *guids, uint32_t size, uint32_t *count) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, session);
    if (guids == nullptr || count == nullptr) {
        return refuse(session, NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeGUIDs: NULL argument");
    }
    uint32_t n = 0;
    for (const GUID &codec : {NV_ENC_CODEC_H264_GUID, NV_ENC_CODEC_HEVC_GUID}) {
        if (codec_offered(codec)) {
            if (n >= size) {
                return refuse(session, NV_ENC_ERR_INVALID_PARAM,
                              "nvEncGetEncodeGUIDs: array of %u is too small", size);
            }
            guids[n++] = codec;
        }
    }
    *count = n;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_encode_caps(void *encoder, GUID codec, NV_ENC_CAPS_PARAM *param,
                                     int *value) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, session);
    if (param == nullptr || value == nullptr) {
        return refuse(session, NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodeCaps: NULL argument");
    }
    CHECK_VERSION(session, param->version, NV_ENC_CAPS_PARAM_VER, "NV_ENC_CAPS_PARAM");
    if (!codec_offered(codec)) {
        return refuse(session, NV_ENC_ERR_INVALID_PARAM, "nvEncGetEncodeCaps: codec not offered");
    }
    const bool hevc = same(codec, NV_ENC_CODEC_HEVC_GUID);
    switch (param->capsToQuery) {
    case NV_ENC_CAPS_WIDTH_MIN:
    case NV_ENC_CAPS_HEIGHT_MIN:
        *value = kMinSize;
        break;
    case NV_ENC_CAPS_WIDTH_MAX:
        *value = kMaxWidth;
        break;
    case NV_ENC_CAPS_HEIGHT_MAX:
        *value = kMaxHeight;
        break;
    case NV_ENC_CAPS_NUM_MAX_BFRAMES:
        *value = kMaxBFrames;
        break;
    case NV_ENC_CAPS_SUPPORT_10BIT_ENCODE:
        *value = hevc && !env_flag("FAKE_NVENC_NO_10BIT") ? 1 : 0;
        break;
    case NV_ENC_CAPS_SUPPORT_LOOKAHEAD:
    case NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ:
        *value = 1;
        break;
    default:
        *value = 0;
        break;
    }
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI get_preset_config_ex(void *encoder, GUID codec, GUID preset,
                                          NV_ENC_TUNING_INFO tuning, NV_ENC_PRESET_CONFIG *out) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, session);
    if (out == nullptr) {
        return refuse(session, NV_ENC_ERR_INVALID_PTR, "nvEncGetEncodePresetConfigEx: NULL");
    }
    CHECK_VERSION(session, out->version, NV_ENC_PRESET_CONFIG_VER, "NV_ENC_PRESET_CONFIG");
    CHECK_VERSION(session, out->presetCfg.version, NV_ENC_CONFIG_VER,
                  "NV_ENC_PRESET_CONFIG::presetCfg");
    if (!codec_offered(codec) || preset_number(preset) == 0) {
        return refuse(session, NV_ENC_ERR_INVALID_PARAM,
                      "nvEncGetEncodePresetConfigEx: unknown codec or preset GUID");
    }
    if (tuning == NV_ENC_TUNING_INFO_UNDEFINED || tuning >= NV_ENC_TUNING_INFO_COUNT) {
        return refuse(session, NV_ENC_ERR_INVALID_PARAM,
                      "nvEncGetEncodePresetConfigEx: P1..P7 need a tuning info");
    }
    NV_ENC_CONFIG &cfg = out->presetCfg;
    const uint32_t version = cfg.version;
    cfg = NV_ENC_CONFIG{};
    cfg.version = version;
    cfg.profileGUID = NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID;
    cfg.gopLength = 250;
    // Like the driver's high-quality presets: two B-frames from P3 up.
    cfg.frameIntervalP =
        preset_number(preset) >= 3 && tuning == NV_ENC_TUNING_INFO_HIGH_QUALITY ? 3 : 1;
    cfg.frameFieldMode = NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME;
    cfg.mvPrecision = NV_ENC_MV_PRECISION_QUARTER_PEL;
    cfg.rcParams.rateControlMode = NV_ENC_PARAMS_RC_VBR;
    cfg.rcParams.averageBitRate = 5000000;
    if (same(codec, NV_ENC_CODEC_H264_GUID)) {
        cfg.encodeCodecConfig.h264Config.idrPeriod = 250;
        cfg.encodeCodecConfig.h264Config.chromaFormatIDC = 1;
    } else {
        cfg.encodeCodecConfig.hevcConfig.idrPeriod = 250;
        cfg.encodeCodecConfig.hevcConfig.chromaFormatIDC = 1;
    }
    return NV_ENC_SUCCESS;
}

// ---------------------------------------------------------------------------
// Encoding backends

template <class Vui>
void vui_numbers(const Vui &vui, fake_nvenc::CodecSettings &settings) {
    if (vui.colourDescriptionPresentFlag) {
        settings.primaries = static_cast<int>(vui.colourPrimaries);
        settings.transfer = static_cast<int>(vui.transferCharacteristics);
        settings.matrix = static_cast<int>(vui.colourMatrix);
    }
    settings.full_range =
        vui.videoSignalTypePresentFlag ? static_cast<int>(vui.videoFullRangeFlag) : -1;
}

// Sample aspect ratio from the display aspect ratio NVENC is given, as the
// driver derives the VUI aspect ratio.
void sample_aspect(const NV_ENC_INITIALIZE_PARAMS &init, fake_nvenc::CodecSettings &settings) {
    if (init.darWidth == 0 || init.darHeight == 0) {
        return;
    }
    uint64_t w = uint64_t{init.darWidth} * init.encodeHeight;
    uint64_t h = uint64_t{init.darHeight} * init.encodeWidth;
    uint64_t a = w;
    uint64_t b = h;
    while (b != 0) {
        const uint64_t t = a % b;
        a = b;
        b = t;
    }
    settings.sar_width = static_cast<int>(w / a);
    settings.sar_height = static_cast<int>(h / a);
}

NVENCSTATUS open_codec(Session &s) {
    const NV_ENC_CONFIG &cfg = s.config;
    const NV_ENC_RC_PARAMS &rc = cfg.rcParams;
    fake_nvenc::CodecSettings settings;
    settings.hevc = s.hevc;
    settings.ten_bit = s.ten_bit;
    settings.width = static_cast<int>(s.init.encodeWidth);
    settings.height = static_cast<int>(s.init.encodeHeight);
    settings.fps_num = s.init.frameRateNum;
    settings.fps_den = s.init.frameRateDen;
    settings.preset = preset_number(s.init.presetGUID);
    switch (rc.rateControlMode) {
    case NV_ENC_PARAMS_RC_CONSTQP:
        settings.rc = fake_nvenc::CodecSettings::Rc::cqp;
        settings.qp = rc.constQP.qpInterP;
        break;
    case NV_ENC_PARAMS_RC_CBR:
        settings.rc = fake_nvenc::CodecSettings::Rc::cbr;
        break;
    default:
        settings.rc = fake_nvenc::CodecSettings::Rc::vbr;
        break;
    }
    settings.average_kbps = rc.averageBitRate / 1000;
    settings.max_kbps = rc.maxBitRate / 1000;
    settings.vbv_kbits = rc.vbvBufferSize / 1000;
    settings.quality = rc.targetQuality != 0 ? rc.targetQuality : (s.hevc ? 28u : 23u);
    if (s.hevc) {
        vui_numbers(cfg.encodeCodecConfig.hevcConfig.hevcVUIParameters, settings);
        settings.profile = s.ten_bit ? "main10" : "main";
    } else {
        vui_numbers(cfg.encodeCodecConfig.h264Config.h264VUIParameters, settings);
        settings.profile = same(cfg.profileGUID, NV_ENC_H264_PROFILE_BASELINE_GUID) ? "baseline"
                           : same(cfg.profileGUID, NV_ENC_H264_PROFILE_MAIN_GUID)   ? "main"
                                                                                    : "high";
    }
    sample_aspect(s.init, settings);
    std::string error;
    s.codec = fake_nvenc::Codec::open(settings, error);
    if (s.codec == nullptr) {
        return refuse(&s, NV_ENC_ERR_INVALID_PARAM, "%s", error.c_str());
    }
    s.headers = s.codec->headers();
    return NV_ENC_SUCCESS;
}

void trace(const char *type, uint64_t timestamp) {
    const char *path = std::getenv("FAKE_NVENC_TRACE");
    if (path == nullptr || *path == '\0') {
        return;
    }
    if (FILE *file = std::fopen(path, "a")) {
        std::fprintf(file, "%s %llu\n", type, static_cast<unsigned long long>(timestamp));
        std::fclose(file);
    }
}

// Codes one picture into the oldest queued bitstream buffer. `idr` decides
// the type; the backend's output is checked to really be an IDR then.
NVENCSTATUS code_picture(Session &s, const HeldPicture &picture, bool idr, bool intra) {
    if (s.queue.empty()) {
        misuse("internal: a picture to code but no bitstream buffer queued");
    }
    OutputBuffer *out = s.queue.front();
    const InputBuffer &in = *picture.input;
    const uint32_t w = s.init.encodeWidth;
    const uint32_t h = s.init.encodeHeight;
    const size_t sample = s.ten_bit ? 2 : 1;
    // NV12 / P010 (chroma after `height` rows at the same pitch) -> I420.
    for (auto &plane : s.planes) {
        plane.resize(size_t{w} * h * sample);
    }
    for (uint32_t y = 0; y < h; ++y) {
        const uint8_t *src = in.data.data() + size_t{in.pitch} * y;
        if (s.ten_bit) {
            for (uint32_t x = 0; x < w; ++x) {
                uint16_t v;
                std::memcpy(&v, src + 2 * x, 2);
                v = static_cast<uint16_t>(v >> 6);
                std::memcpy(s.planes[0].data() + (size_t{y} * w + x) * 2, &v, 2);
            }
        } else {
            std::memcpy(s.planes[0].data() + size_t{y} * w, src, w);
        }
    }
    const uint8_t *chroma = in.data.data() + size_t{in.pitch} * in.height;
    for (uint32_t y = 0; y < h / 2; ++y) {
        const uint8_t *src = chroma + size_t{in.pitch} * y;
        for (uint32_t x = 0; x < w / 2; ++x) {
            const size_t at = size_t{y} * (w / 2) + x;
            if (s.ten_bit) {
                uint16_t u;
                uint16_t v;
                std::memcpy(&u, src + 4 * x, 2);
                std::memcpy(&v, src + 4 * x + 2, 2);
                u = static_cast<uint16_t>(u >> 6);
                v = static_cast<uint16_t>(v >> 6);
                std::memcpy(s.planes[1].data() + at * 2, &u, 2);
                std::memcpy(s.planes[2].data() + at * 2, &v, 2);
            } else {
                s.planes[1][at] = src[2 * x];
                s.planes[2][at] = src[2 * x + 1];
            }
        }
    }

    std::vector<uint8_t> bytes;
    bool got_idr = false;
    uint8_t *const planes[3] = {s.planes[0].data(), s.planes[1].data(), s.planes[2].data()};
    const int strides[3] = {static_cast<int>(w * sample), static_cast<int>(w / 2 * sample),
                            static_cast<int>(w / 2 * sample)};
    const fake_nvenc::PictureType type = idr     ? fake_nvenc::PictureType::idr
                                         : intra ? fake_nvenc::PictureType::i
                                                 : fake_nvenc::PictureType::p;
    std::string error;
    if (!s.codec->encode(planes, strides, s.coded, type, bytes, got_idr, error)) {
        return refuse(&s, NV_ENC_ERR_GENERIC, "picture %u: %s", s.coded, error.c_str());
    }
    if (idr != got_idr) {
        // The emulation's own promise: FORCEIDR / idrPeriod give an IDR
        // exactly on that picture, and nothing else does.
        misuse("the emulated encoder did not honour the IDR decision for picture " +
               std::to_string(s.coded));
    }

    out->data.clear();
    const bool headers = s.coded == 0 || (idr && s.repeat_headers) ||
                         (picture.flags & NV_ENC_PIC_FLAG_OUTPUT_SPSPPS) != 0;
    if (headers) {
        out->data = s.headers;
    }
    out->data.insert(out->data.end(), bytes.begin(), bytes.end());
    out->timestamp = picture.timestamp;
    out->duration = picture.duration;
    out->type = idr ? NV_ENC_PIC_TYPE_IDR : intra ? NV_ENC_PIC_TYPE_I : NV_ENC_PIC_TYPE_P;
    out->frame_index = s.coded;
    out->queued = false;
    out->filled = true;
    s.queue.pop_front();
    picture.input->held = false;
    trace(idr ? "IDR" : intra ? "I" : "P", picture.timestamp);
    ++s.coded;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS code_held(Session &s) {
    while (!s.held.empty()) {
        const HeldPicture picture = s.held.front();
        s.held.pop_front();
        const bool intra = s.config.gopLength != 0 && s.since_idr % s.config.gopLength == 0;
        const NVENCSTATUS status = code_picture(s, picture, false, intra);
        if (status != NV_ENC_SUCCESS) {
            return status;
        }
    }
    return NV_ENC_SUCCESS;
}

// ---------------------------------------------------------------------------

NVENCSTATUS NVENCAPI initialize_encoder(void *encoder, NV_ENC_INITIALIZE_PARAMS *params) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    if (params == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncInitializeEncoder: params is NULL");
    }
    CHECK_VERSION(s, params->version, NV_ENC_INITIALIZE_PARAMS_VER, "NV_ENC_INITIALIZE_PARAMS");
    if (s->initialized) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL, "nvEncInitializeEncoder called twice");
    }
    if (params->encodeConfig == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "encodeConfig is NULL (the fake wants it)");
    }
    CHECK_VERSION(s, params->encodeConfig->version, NV_ENC_CONFIG_VER, "NV_ENC_CONFIG");
    const NV_ENC_CONFIG &cfg = *params->encodeConfig;
    const NV_ENC_RC_PARAMS &rc = cfg.rcParams;
    const bool h264 = same(params->encodeGUID, NV_ENC_CODEC_H264_GUID);
    const bool hevc = same(params->encodeGUID, NV_ENC_CODEC_HEVC_GUID);
    if (!(h264 || hevc) || !codec_offered(params->encodeGUID)) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "encodeGUID is not a codec this GPU offers");
    }
    if (preset_number(params->presetGUID) == 0) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "presetGUID is not one of P1..P7");
    }
    if (params->tuningInfo == NV_ENC_TUNING_INFO_UNDEFINED ||
        params->tuningInfo >= NV_ENC_TUNING_INFO_COUNT) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "P1..P7 presets need a tuningInfo");
    }
    const uint32_t w = params->encodeWidth;
    const uint32_t h = params->encodeHeight;
    if (w < kMinSize || h < kMinSize || w > kMaxWidth || h > kMaxHeight || w % 2 || h % 2) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "encode size %ux%u is not allowed", w, h);
    }
    if ((params->maxEncodeWidth != 0 && params->maxEncodeWidth < w) ||
        (params->maxEncodeHeight != 0 && params->maxEncodeHeight < h)) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "maxEncodeWidth/Height below the encode size");
    }
    if ((params->darWidth == 0) != (params->darHeight == 0)) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "darWidth and darHeight must be set together");
    }
    if (params->frameRateNum == 0 || params->frameRateDen == 0) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "frame rate %u/%u is invalid",
                      params->frameRateNum, params->frameRateDen);
    }
    if (params->enableEncodeAsync != 0) {
        // Linux drivers have no completion events.
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM,
                      "enableEncodeAsync is not supported on Linux");
    }
    if (params->enablePTD != 1) {
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM,
                      "the emulated driver only implements enablePTD=1");
    }
    if (params->enableOutputInVidmem || params->enableMEOnlyMode || params->enableSubFrameWrite) {
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM, "unexpected init flags for this client");
    }
    // NV_ENC_INITIALIZE_PARAMS::bufferFormat is for D3D12 clients only; with
    // CUDA the bit depth comes from the codec config and the input buffers'
    // format must agree with it.
    if (params->bufferFormat != NV_ENC_BUFFER_FORMAT_UNDEFINED) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "bufferFormat is for D3D12 clients only");
    }
    if (cfg.frameIntervalP < 1 || cfg.frameIntervalP > kMaxBFrames + 1) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "frameIntervalP %d outside 1..%d",
                      cfg.frameIntervalP, kMaxBFrames + 1);
    }
    if (cfg.gopLength == 0) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "gopLength is 0");
    }
    if (cfg.frameFieldMode != NV_ENC_PARAMS_FRAME_FIELD_MODE_FRAME) {
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM, "only progressive frames are emulated");
    }
    switch (rc.rateControlMode) {
    case NV_ENC_PARAMS_RC_CONSTQP:
        if (rc.constQP.qpInterP > 51 || rc.constQP.qpIntra > 51 || rc.constQP.qpInterB > 51) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "constQP above 51");
        }
        break;
    case NV_ENC_PARAMS_RC_VBR:
        if (rc.targetQuality > 51) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "targetQuality %u above 51",
                          rc.targetQuality);
        }
        if (rc.averageBitRate != 0 && rc.maxBitRate != 0 && rc.maxBitRate < rc.averageBitRate) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "maxBitRate below averageBitRate");
        }
        if (rc.averageBitRate == 0 && rc.targetQuality == 0) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM,
                          "VBR with neither averageBitRate nor targetQuality");
        }
        break;
    case NV_ENC_PARAMS_RC_CBR:
        if (rc.averageBitRate == 0) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "CBR without averageBitRate");
        }
        break;
    default:
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM, "rate control mode 0x%x is not emulated",
                      static_cast<unsigned>(rc.rateControlMode));
    }
    if (rc.enableLookahead && rc.lookaheadDepth > 32) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "lookaheadDepth %u above 32", rc.lookaheadDepth);
    }
    if (rc.multiPass != NV_ENC_MULTI_PASS_DISABLED &&
        rc.multiPass != NV_ENC_TWO_PASS_QUARTER_RESOLUTION &&
        rc.multiPass != NV_ENC_TWO_PASS_FULL_RESOLUTION) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "multiPass value is invalid");
    }
    bool ten_bit = false; // NVENC has no 10-bit H.264
    if (h264) {
        const NV_ENC_CONFIG_H264 &c = cfg.encodeCodecConfig.h264Config;
        if (c.chromaFormatIDC != 1 || c.idrPeriod == 0) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "H.264 chromaFormatIDC/idrPeriod invalid");
        }
        const GUID &profile = cfg.profileGUID;
        if (!same(profile, NV_ENC_H264_PROFILE_BASELINE_GUID) &&
            !same(profile, NV_ENC_H264_PROFILE_MAIN_GUID) &&
            !same(profile, NV_ENC_H264_PROFILE_HIGH_GUID) &&
            !same(profile, NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID)) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "H.264 profile GUID is not emulated");
        }
        if (same(profile, NV_ENC_H264_PROFILE_BASELINE_GUID) && cfg.frameIntervalP > 1) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "Baseline has no B-frames");
        }
        s->repeat_headers = c.repeatSPSPPS != 0;
        s->idr_period = c.idrPeriod;
    } else {
        const NV_ENC_CONFIG_HEVC &c = cfg.encodeCodecConfig.hevcConfig;
        if (c.chromaFormatIDC != 1 || c.idrPeriod == 0) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "HEVC chromaFormatIDC/idrPeriod invalid");
        }
#if NVENCAPI_MAJOR_VERSION > 12 || (NVENCAPI_MAJOR_VERSION == 12 && NVENCAPI_MINOR_VERSION >= 2)
        const bool config_ten_bit = c.outputBitDepth == NV_ENC_BIT_DEPTH_10;
#else
        const bool config_ten_bit = c.pixelBitDepthMinus8 == 2;
#endif
        ten_bit = config_ten_bit;
        if (ten_bit && (env_flag("FAKE_NVENC_NO_10BIT") ||
                        !same(cfg.profileGUID, NV_ENC_HEVC_PROFILE_MAIN10_GUID))) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "10-bit HEVC needs the Main10 profile GUID");
        }
        if (!ten_bit && same(cfg.profileGUID, NV_ENC_HEVC_PROFILE_MAIN10_GUID)) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "Main10 with 8-bit input is not emulated");
        }
        s->repeat_headers = c.repeatSPSPPS != 0;
        s->idr_period = c.idrPeriod;
    }
    s->init = *params;
    s->config = cfg;
    s->init.encodeConfig = &s->config;
    s->hevc = hevc;
    s->ten_bit = ten_bit;
    const NVENCSTATUS opened = open_codec(*s);
    if (opened != NV_ENC_SUCCESS) {
        return opened;
    }
    s->initialized = true;
    if (const char *path = std::getenv("FAKE_NVENC_TRACE"); path != nullptr && *path != '\0') {
        if (FILE *file = std::fopen(path, "a")) {
            const char *mode = rc.rateControlMode == NV_ENC_PARAMS_RC_CONSTQP ? "cqp"
                               : rc.rateControlMode == NV_ENC_PARAMS_RC_CBR   ? "cbr"
                                                                              : "vbr";
            std::fprintf(file,
                         "INIT codec=%s preset=p%d tuning=%d rc=%s avg=%u max=%u vbv=%u cq=%u "
                         "qp=%u gop=%u idr=%u bframes=%d repeat=%d dar=%u:%u fps=%u/%u "
                         "bits=%d lookahead=%u\n",
                         hevc ? "hevc" : "h264", preset_number(params->presetGUID),
                         static_cast<int>(params->tuningInfo), mode, rc.averageBitRate,
                         rc.maxBitRate, rc.vbvBufferSize, rc.targetQuality, rc.constQP.qpInterP,
                         cfg.gopLength, s->idr_period, cfg.frameIntervalP - 1,
                         s->repeat_headers ? 1 : 0, params->darWidth, params->darHeight,
                         params->frameRateNum, params->frameRateDen, ten_bit ? 10 : 8,
                         rc.enableLookahead ? static_cast<unsigned>(rc.lookaheadDepth) : 0u);
            std::fclose(file);
        }
    }
    return NV_ENC_SUCCESS;
}

#define INITIALIZED_OR_FAIL(s)                                                                     \
    if (!(s)->initialized) {                                                                       \
        return refuse((s), NV_ENC_ERR_ENCODER_NOT_INITIALIZED, "%s before nvEncInitializeEncoder", \
                      __func__);                                                                   \
    }

NVENCSTATUS NVENCAPI get_sequence_params(void *encoder, NV_ENC_SEQUENCE_PARAM_PAYLOAD *payload) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (payload == nullptr || payload->spsppsBuffer == nullptr ||
        payload->outSPSPPSPayloadSize == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncGetSequenceParams: NULL buffer");
    }
    CHECK_VERSION(s, payload->version, NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER,
                  "NV_ENC_SEQUENCE_PARAM_PAYLOAD");
    if (payload->inBufferSize < s->headers.size()) {
        return refuse(s, NV_ENC_ERR_NOT_ENOUGH_BUFFER, "sequence parameter buffer too small");
    }
    std::memcpy(payload->spsppsBuffer, s->headers.data(), s->headers.size());
    *payload->outSPSPPSPayloadSize = static_cast<uint32_t>(s->headers.size());
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI create_input_buffer(void *encoder, NV_ENC_CREATE_INPUT_BUFFER *params) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (params == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncCreateInputBuffer: NULL");
    }
    CHECK_VERSION(s, params->version, NV_ENC_CREATE_INPUT_BUFFER_VER, "NV_ENC_CREATE_INPUT_BUFFER");
    const NV_ENC_BUFFER_FORMAT expected =
        s->ten_bit ? NV_ENC_BUFFER_FORMAT_YUV420_10BIT : NV_ENC_BUFFER_FORMAT_NV12;
    if (params->bufferFmt != expected) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM,
                      "input buffer format 0x%x does not match the configured %d-bit encode "
                      "(only NV12 and P010 are emulated)",
                      static_cast<unsigned>(params->bufferFmt), s->ten_bit ? 10 : 8);
    }
    if (params->width < s->init.encodeWidth || params->height < s->init.encodeHeight) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM, "input buffer smaller than the encode size");
    }
    auto *buffer = new InputBuffer;
    buffer->session = s;
    buffer->width = params->width;
    buffer->height = params->height;
    buffer->format = params->bufferFmt;
    const uint32_t row = params->width * (s->ten_bit ? 2 : 1);
    buffer->pitch = (row + kPitchAlign - 1) / kPitchAlign * kPitchAlign;
    buffer->data.assign(size_t{buffer->pitch} * params->height * 3 / 2, 0);
    s->inputs.insert(buffer);
    params->inputBuffer = buffer;
    return NV_ENC_SUCCESS;
}

InputBuffer *input_of(Session *s, void *handle) {
    auto *buffer = static_cast<InputBuffer *>(handle);
    return buffer != nullptr && s->inputs.count(buffer) != 0 ? buffer : nullptr;
}

OutputBuffer *output_of(Session *s, void *handle) {
    auto *buffer = static_cast<OutputBuffer *>(handle);
    return buffer != nullptr && s->outputs.count(buffer) != 0 ? buffer : nullptr;
}

NVENCSTATUS NVENCAPI destroy_input_buffer(void *encoder, NV_ENC_INPUT_PTR handle) {
    const std::lock_guard lock(g_mutex);
    Session *s = session_of(encoder);
    if (s == nullptr) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_ENCODERDEVICE, "%s: not a session", __func__);
    }
    InputBuffer *buffer = input_of(s, handle);
    if (buffer == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncDestroyInputBuffer: not this session's");
    }
    if (buffer->locked) {
        misuse("nvEncDestroyInputBuffer on a locked input buffer");
    }
    s->inputs.erase(buffer);
    for (auto it = s->held.begin(); it != s->held.end();) {
        it = it->input == buffer ? s->held.erase(it) : it + 1;
    }
    delete buffer;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI create_bitstream_buffer(void *encoder,
                                             NV_ENC_CREATE_BITSTREAM_BUFFER *params) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (params == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncCreateBitstreamBuffer: NULL");
    }
    CHECK_VERSION(s, params->version, NV_ENC_CREATE_BITSTREAM_BUFFER_VER,
                  "NV_ENC_CREATE_BITSTREAM_BUFFER");
    auto *buffer = new OutputBuffer;
    buffer->session = s;
    s->outputs.insert(buffer);
    params->bitstreamBuffer = buffer;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI destroy_bitstream_buffer(void *encoder, NV_ENC_OUTPUT_PTR handle) {
    const std::lock_guard lock(g_mutex);
    Session *s = session_of(encoder);
    if (s == nullptr) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_ENCODERDEVICE, "%s: not a session", __func__);
    }
    OutputBuffer *buffer = output_of(s, handle);
    if (buffer == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncDestroyBitstreamBuffer: not this session's");
    }
    if (buffer->locked) {
        misuse("nvEncDestroyBitstreamBuffer on a locked bitstream buffer");
    }
    s->outputs.erase(buffer);
    s->queue.erase(std::remove(s->queue.begin(), s->queue.end(), buffer), s->queue.end());
    delete buffer;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI lock_input_buffer(void *encoder, NV_ENC_LOCK_INPUT_BUFFER *params) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (params == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncLockInputBuffer: NULL");
    }
    CHECK_VERSION(s, params->version, NV_ENC_LOCK_INPUT_BUFFER_VER, "NV_ENC_LOCK_INPUT_BUFFER");
    InputBuffer *buffer = input_of(s, params->inputBuffer);
    if (buffer == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncLockInputBuffer: not this session's buffer");
    }
    if (buffer->locked) {
        return refuse(s, NV_ENC_ERR_LOCK_BUSY, "nvEncLockInputBuffer: already locked");
    }
    if (buffer->held) {
        // Rewriting it now would change a picture NVENC has not coded yet.
        return refuse(s, NV_ENC_ERR_ENCODER_BUSY,
                      "nvEncLockInputBuffer: its picture is still held for B-frame coding");
    }
    buffer->locked = true;
    params->bufferDataPtr = buffer->data.data();
    params->pitch = buffer->pitch;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI unlock_input_buffer(void *encoder, NV_ENC_INPUT_PTR handle) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    InputBuffer *buffer = input_of(s, handle);
    if (buffer == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncUnlockInputBuffer: not this session's");
    }
    if (!buffer->locked) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL, "nvEncUnlockInputBuffer: not locked");
    }
    buffer->locked = false;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI encode_picture(void *encoder, NV_ENC_PIC_PARAMS *pic) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (pic == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncEncodePicture: NULL");
    }
    CHECK_VERSION(s, pic->version, NV_ENC_PIC_PARAMS_VER, "NV_ENC_PIC_PARAMS");
    if ((pic->encodePicFlags & NV_ENC_PIC_FLAG_EOS) != 0) {
        if (pic->inputBuffer != nullptr || pic->outputBitstream != nullptr) {
            return refuse(s, NV_ENC_ERR_INVALID_PARAM, "EOS picture carries buffers");
        }
        s->ended = true;
        const NVENCSTATUS status = code_held(*s);
        return status;
    }
    if (s->ended) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL, "picture after the end-of-stream picture");
    }
    const int lose_after = env_int("FAKE_NVENC_LOSE_DEVICE_AFTER", -1);
    if (lose_after >= 0 && s->pictures >= static_cast<uint32_t>(lose_after)) {
        s->lost = true;
        return refuse(s, NV_ENC_ERR_DEVICE_NOT_EXIST,
                      "the GPU has fallen off the bus (emulated after %d pictures)", lose_after);
    }
    InputBuffer *in = input_of(s, pic->inputBuffer);
    OutputBuffer *out = output_of(s, pic->outputBitstream);
    if (in == nullptr || out == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR,
                      "nvEncEncodePicture: input or bitstream buffer is not this session's");
    }
    if (in->locked) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL, "nvEncEncodePicture: input buffer still locked");
    }
    if (in->held) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL,
                      "nvEncEncodePicture: input buffer's previous picture is still held");
    }
    if (out->queued || out->filled || out->locked) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL,
                      "nvEncEncodePicture: bitstream buffer still holds an unread picture");
    }
    if (pic->inputWidth != s->init.encodeWidth || pic->inputHeight != s->init.encodeHeight ||
        pic->inputPitch != in->pitch || pic->bufferFmt != in->format) {
        return refuse(s, NV_ENC_ERR_INVALID_PARAM,
                      "nvEncEncodePicture: size %ux%u pitch %u format 0x%x do not match the "
                      "buffer (%ux%u pitch %u)",
                      pic->inputWidth, pic->inputHeight, pic->inputPitch,
                      static_cast<unsigned>(pic->bufferFmt), s->init.encodeWidth,
                      s->init.encodeHeight, in->pitch);
    }
    if (pic->pictureStruct != NV_ENC_PIC_STRUCT_FRAME) {
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM, "only progressive frames are emulated");
    }
    const uint32_t known =
        NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_FORCEINTRA | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS;
    if ((pic->encodePicFlags & ~known) != 0) {
        return refuse(s, NV_ENC_ERR_UNSUPPORTED_PARAM, "encodePicFlags 0x%x not emulated",
                      pic->encodePicFlags);
    }
    out->queued = true;
    s->queue.push_back(out);
    ++s->pictures;
    const HeldPicture picture{in, pic->inputTimeStamp, pic->inputDuration, pic->encodePicFlags};

    // NVENC's picture-type decision.
    const bool forced = (pic->encodePicFlags & NV_ENC_PIC_FLAG_FORCEIDR) != 0;
    const bool idr = s->coded + s->held.size() == 0 || forced || s->since_idr >= s->idr_period;
    const bool anchor =
        idr || s->since_anchor + 1 >= static_cast<uint32_t>(s->config.frameIntervalP);
    if (!anchor) {
        in->held = true;
        s->held.push_back(picture);
        ++s->since_anchor;
        ++s->since_idr;
        return NV_ENC_ERR_NEED_MORE_INPUT;
    }
    NVENCSTATUS status = code_held(*s);
    if (status == NV_ENC_SUCCESS) {
        const bool intra = !idr && (s->since_idr % s->config.gopLength == 0 ||
                                    (pic->encodePicFlags & NV_ENC_PIC_FLAG_FORCEINTRA) != 0);
        in->held = true;
        status = code_picture(*s, picture, idr, intra);
    }
    s->since_anchor = 0;
    s->since_idr = idr ? 1 : s->since_idr + 1;
    return status;
}

NVENCSTATUS NVENCAPI lock_bitstream(void *encoder, NV_ENC_LOCK_BITSTREAM *params) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    INITIALIZED_OR_FAIL(s);
    if (params == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncLockBitstream: NULL");
    }
    CHECK_VERSION(s, params->version, NV_ENC_LOCK_BITSTREAM_VER, "NV_ENC_LOCK_BITSTREAM");
    OutputBuffer *out = output_of(s, params->outputBitstream);
    if (out == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncLockBitstream: not this session's buffer");
    }
    if (out->locked) {
        return refuse(s, NV_ENC_ERR_LOCK_BUSY, "nvEncLockBitstream: already locked");
    }
    if (out->queued) {
        // In synchronous mode a real driver would wait for a picture that
        // only more input can complete.
        return refuse(s, NV_ENC_ERR_INVALID_CALL,
                      "nvEncLockBitstream on a buffer whose picture is still held "
                      "(NEED_MORE_INPUT): it would block forever");
    }
    if (!out->filled) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL,
                      "nvEncLockBitstream: nothing was encoded into it");
    }
    out->locked = true;
    params->bitstreamBufferPtr = out->data.data();
    params->bitstreamSizeInBytes = static_cast<uint32_t>(out->data.size());
    params->outputTimeStamp = out->timestamp;
    params->outputDuration = out->duration;
    params->pictureType = out->type;
    params->pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
    params->frameIdx = out->frame_index;
    params->numSlices = 1;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI unlock_bitstream(void *encoder, NV_ENC_OUTPUT_PTR handle) {
    const std::lock_guard lock(g_mutex);
    SESSION_OR_FAIL(encoder, s);
    OutputBuffer *out = output_of(s, handle);
    if (out == nullptr) {
        return refuse(s, NV_ENC_ERR_INVALID_PTR, "nvEncUnlockBitstream: not this session's");
    }
    if (!out->locked) {
        return refuse(s, NV_ENC_ERR_INVALID_CALL, "nvEncUnlockBitstream: not locked");
    }
    out->locked = false;
    out->filled = false;
    out->data.clear();
    return NV_ENC_SUCCESS;
}

const char *NVENCAPI get_last_error(void *encoder) {
    const std::lock_guard lock(g_mutex);
    Session *s = session_of(encoder);
    return s != nullptr ? s->last_error.c_str() : "not a session handle";
}

NVENCSTATUS NVENCAPI destroy_encoder(void *encoder) {
    const std::lock_guard lock(g_mutex);
    Session *s = session_of(encoder);
    if (s == nullptr) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_ENCODERDEVICE, "%s: not a session", __func__);
    }
    if (!s->inputs.empty() || !s->outputs.empty()) {
        misuse("nvEncDestroyEncoder with " + std::to_string(s->inputs.size()) + " input and " +
               std::to_string(s->outputs.size()) + " bitstream buffers never destroyed");
    }
    s->codec.reset();
    fake_cuda_context_add_session(s->context, -1);
    --g_live_sessions;
    s->magic = 0;
    delete s;
    return NV_ENC_SUCCESS;
}

NVENCSTATUS NVENCAPI open_session_ex(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS *params, void **encoder) {
    const std::lock_guard lock(g_mutex);
    if (params == nullptr || encoder == nullptr) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_PTR, "nvEncOpenEncodeSessionEx: NULL");
    }
    *encoder = nullptr;
    CHECK_VERSION(nullptr, params->version, NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
                  "NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS");
    if (params->apiVersion != NVENCAPI_VERSION) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_VERSION, "apiVersion 0x%x, expected 0x%x",
                      params->apiVersion, NVENCAPI_VERSION);
    }
    if (params->deviceType != NV_ENC_DEVICE_TYPE_CUDA) {
        return refuse(nullptr, NV_ENC_ERR_UNSUPPORTED_DEVICE, "only CUDA devices are emulated");
    }
    if (!fake_cuda_context_is_live(params->device)) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_DEVICE, "device is not a live CUcontext");
    }
    const int limit = env_int("FAKE_NVENC_MAX_SESSIONS", -1);
    if (limit >= 0 && g_live_sessions >= limit) {
        // What GeForce drivers answer once their session limit is reached.
        return refuse(nullptr, NV_ENC_ERR_OUT_OF_MEMORY,
                      "session limit of %d reached (emulated consumer-card limit)", limit);
    }
    auto *s = new Session;
    s->context = params->device;
    fake_cuda_context_add_session(s->context, 1);
    ++g_live_sessions;
    *encoder = s;
    return NV_ENC_SUCCESS;
}

} // namespace

FAKE_EXPORT NVENCSTATUS NVENCAPI NvEncodeAPIGetMaxSupportedVersion(uint32_t *version) {
    if (version == nullptr) {
        return NV_ENC_ERR_INVALID_PTR;
    }
    uint32_t major = NVENCAPI_MAJOR_VERSION;
    uint32_t minor = NVENCAPI_MINOR_VERSION;
    if (const char *text = std::getenv("FAKE_NVENC_API_VERSION")) {
        unsigned a = 0;
        unsigned b = 0;
        if (std::sscanf(text, "%u.%u", &a, &b) == 2) {
            major = a;
            minor = b;
        }
    }
    *version = (major << 4) | minor;
    return NV_ENC_SUCCESS;
}

FAKE_EXPORT NVENCSTATUS NVENCAPI NvEncodeAPICreateInstance(NV_ENCODE_API_FUNCTION_LIST *list) {
    if (list == nullptr) {
        return NV_ENC_ERR_INVALID_PTR;
    }
    if (list->version != NV_ENCODE_API_FUNCTION_LIST_VER) {
        return refuse(nullptr, NV_ENC_ERR_INVALID_VERSION,
                      "NV_ENCODE_API_FUNCTION_LIST: version 0x%08x, expected 0x%08x", list->version,
                      NV_ENCODE_API_FUNCTION_LIST_VER);
    }
    const uint32_t version = list->version;
    *list = NV_ENCODE_API_FUNCTION_LIST{};
    list->version = version;
    list->nvEncOpenEncodeSessionEx = open_session_ex;
    list->nvEncGetEncodeGUIDCount = get_encode_guid_count;
    list->nvEncGetEncodeGUIDs = get_encode_guids;
    list->nvEncGetEncodeCaps = get_encode_caps;
    list->nvEncGetEncodePresetConfigEx = get_preset_config_ex;
    list->nvEncInitializeEncoder = initialize_encoder;
    list->nvEncGetSequenceParams = get_sequence_params;
    list->nvEncCreateInputBuffer = create_input_buffer;
    list->nvEncDestroyInputBuffer = destroy_input_buffer;
    list->nvEncCreateBitstreamBuffer = create_bitstream_buffer;
    list->nvEncDestroyBitstreamBuffer = destroy_bitstream_buffer;
    list->nvEncLockInputBuffer = lock_input_buffer;
    list->nvEncUnlockInputBuffer = unlock_input_buffer;
    list->nvEncEncodePicture = encode_picture;
    list->nvEncLockBitstream = lock_bitstream;
    list->nvEncUnlockBitstream = unlock_bitstream;
    list->nvEncGetLastErrorString = get_last_error;
    list->nvEncDestroyEncoder = destroy_encoder;
    // Everything else stays NULL: the plugin must not need it.
    return NV_ENC_SUCCESS;
}
