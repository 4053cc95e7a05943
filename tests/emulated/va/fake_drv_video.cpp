// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// fake_drv_video.so: a TEST-ONLY libva backend driver that encodes H.264 with
// libx264 and HEVC with libx265, so the VA-API plugin (and FFmpeg's
// h264_vaapi / hevc_vaapi underneath it) can be exercised on machines without
// a GPU. Never installed. GPL because it links libx264 and libx265.
//
// Selecting it: LIBVA_DRIVER_NAME=fake and LIBVA_DRIVERS_PATH=<this build
// folder>. libva loads <path>/fake_drv_video.so and calls
// __vaDriverInit_1_<minor> (it tries VA_MINOR_VERSION down to 0; we export
// the one libva-dev we build against defines). Getting a VA display without
// /dev/dri needs the fake_drm_node.c interposer; that file says why.
//
// What it implements: exactly what FFmpeg's hwcontext_vaapi.c and
// vaapi_encode*.c (5.1 and 7.1) call for an encode: profiles, entrypoints and
// config attributes; surfaces, images (derive, create, get, put); buffers,
// including coded buffers that map to a VACodedBufferSegment list; one
// context per session; Begin/Render/EndPicture; SyncSurface; the vendor
// string. Everything else answers VA_STATUS_ERROR_UNIMPLEMENTED.
//
// What it reports, on purpose: no packed headers and no B-frames (L1 = 0),
// like several Mesa drivers. The driver therefore writes the whole Annex B
// access unit itself (x264/x265 repeat the parameter sets on every IDR), and
// FFmpeg cannot produce extradata: the plugin's header-harvest path is what
// makes this driver usable, exactly as on such real hardware.
//
// Strictness (each check mirrors what a real driver does or what the VA-API
// spec leaves undefined, so misuse shows up here instead of on a GPU):
//  - every id must name a live object of the expected kind (iHD/Mesa return
//    VA_STATUS_ERROR_INVALID_{CONFIG,CONTEXT,SURFACE,BUFFER,IMAGE});
//  - parameter buffers must have the exact size of their codec's struct
//    (drivers read that many bytes), misc buffers at least header + payload;
//    packed-header buffers are refused because none were advertised;
//  - Begin/Render/End must nest; EndPicture needs picture parameters, a
//    coded buffer, a reconstructed surface other than the input, sequence
//    parameters before the first picture, an IDR first, and a P picture's
//    reference must be a surface that was reconstructed earlier;
//  - a buffer is mapped at most once at a time and unmapped before it is
//    destroyed; a surface with a derived image is not encoded or destroyed.
//
// Failures on demand (environment, read at vaInitialize):
//  - FAKE_VA_MAX_CONTEXTS=N: the N+1-th live encode context in the process
//    fails with VA_STATUS_ERROR_MAX_NUM_EXCEEDED (a real session limit);
//    FAKE_VA_CONTEXT_ERROR=alloc makes it VA_STATUS_ERROR_ALLOCATION_FAILED
//    instead, as iHD reports exhausted resources.
//  - FAKE_VA_LOSE_DEVICE_AFTER=N: every context encodes N pictures, then
//    EndPicture and SyncSurface fail with VA_STATUS_ERROR_HW_BUSY and keep
//    failing (a GPU hang / reset mid-stream).
//  - FAKE_VA_NO_QVBR=1: VA_RC_QVBR is not advertised.
//  - FAKE_VA_TRACE=FILE: one line per session and per picture (rate
//    control, quality level, picture type) appended to FILE, so tests can
//    check what the driver was asked to do.
#include <va/va.h>
#include <va/va_backend.h>
#include <va/va_enc_h264.h>
#include <va/va_enc_hevc.h>

#include <x264.h>
#include <x265.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kMinSize = 16;
constexpr uint32_t kMaxSize = 4096;
constexpr uint32_t kQualityLevels = 7;
constexpr const char *kVendor = "vtranscode fake VA-API driver (libx264/libx265, test only)";

// ---------------------------------------------------------------------------
// Process-wide state: the session limit spans every display, like a GPU's.

std::atomic<int> g_live_contexts{0};

int env_int(const char *name, int fallback) {
    const char *text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::atoi(text) : fallback;
}

bool hevc10_available() {
    return x265_api_get(10) != nullptr;
}

bool is_h264(VAProfile p) {
    return p == VAProfileH264ConstrainedBaseline || p == VAProfileH264Main ||
           p == VAProfileH264High;
}
bool is_hevc(VAProfile p) {
    return p == VAProfileHEVCMain || (p == VAProfileHEVCMain10 && hevc10_available());
}
bool supported_profile(VAProfile p) {
    return is_h264(p) || is_hevc(p);
}

// ---------------------------------------------------------------------------
// Objects

struct Config {
    VAProfile profile = VAProfileNone;
    VAEntrypoint entrypoint = VAEntrypointEncSlice;
    uint32_t rt_format = VA_RT_FORMAT_YUV420;
    uint32_t rc_mode = VA_RC_CQP;
};

struct Surface {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t fourcc = VA_FOURCC_NV12;
    uint32_t pitch = 0;
    std::vector<uint8_t> data; // Y plane then interleaved UV, `pitch` bytes a row
    VAImageID derived = VA_INVALID_ID;
    bool reconstructed = false; // holds a reconstructed picture (may be a reference)
    bool failed = false;        // its encode failed: SyncSurface reports it
    uint32_t uv_offset() const { return pitch * ((height + 1) & ~1u); }
};

struct Buffer {
    VABufferType type = VABufferTypeMax;
    VAContextID context = VA_INVALID_ID;
    uint32_t size = 0; // bytes of one element
    uint32_t count = 1;
    std::vector<uint8_t> data;
    uint8_t *alias = nullptr; // derived image: the surface's own memory
    bool mapped = false;
    // VAEncCodedBufferType: the encoded access unit and its segment list.
    std::vector<uint8_t> coded;
    VACodedBufferSegment segment{};
    uint8_t *bytes() { return alias != nullptr ? alias : data.data(); }
};

struct Image {
    VAImage image{};
    VASurfaceID derived_from = VA_INVALID_ID;
};

struct RateControl {
    uint32_t mode = VA_RC_CQP;
    uint32_t bits_per_second = 0;
    uint32_t target_percentage = 100;
    uint32_t quality_factor = 0;
    uint32_t icq_quality_factor = 0;
    uint32_t hrd_buffer_bits = 0;
    uint32_t quality_level = 0;
    uint32_t fps_num = 0;
    uint32_t fps_den = 0;
    uint32_t max_qp = 0;
};

class Encoder {
public:
    virtual ~Encoder() = default;
    // type: 'I' IDR, 'i' non-IDR intra, 'P'. Appends Annex B to out.
    virtual bool encode(const Surface &input, char type, int qp, std::vector<uint8_t> &out,
                        std::string &error) = 0;
};

struct Context {
    VAConfigID config = VA_INVALID_ID;
    Config cfg;
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<VASurfaceID> targets;
    bool in_picture = false;
    VASurfaceID target = VA_INVALID_ID;
    std::vector<VABufferID> rendered; // order of vaRenderPicture
    std::map<VABufferID, std::vector<uint8_t>> copies;
    std::map<VABufferID, VABufferType> copy_types;
    bool have_sequence = false;
    std::vector<uint8_t> sequence; // last sequence parameters
    RateControl rc;
    std::unique_ptr<Encoder> encoder;
    uint64_t pictures = 0;
    bool lost = false;
};

struct Driver {
    std::mutex mutex;
    uint32_t next_id = 0x100;
    std::map<VAConfigID, Config> configs;
    std::map<VASurfaceID, Surface> surfaces;
    std::map<VABufferID, Buffer> buffers;
    std::map<VAImageID, Image> images;
    std::map<VAContextID, Context> contexts;
    int max_contexts = 0;
    int lose_after = 0;
    bool context_alloc_error = false;
    bool no_qvbr = false;
    std::string trace_path;

    uint32_t new_id() { return next_id++; }

    void trace(const char *format, ...) __attribute__((format(printf, 2, 3))) {
        if (trace_path.empty()) {
            return;
        }
        std::FILE *file = std::fopen(trace_path.c_str(), "a");
        if (file == nullptr) {
            return;
        }
        va_list args;
        va_start(args, format);
        std::vfprintf(file, format, args);
        va_end(args);
        std::fputc('\n', file);
        std::fclose(file);
    }
};

Driver &drv(VADriverContextP ctx) {
    return *static_cast<Driver *>(ctx->pDriverData);
}

// One line on stderr for misuse the caller would otherwise only see as a
// status code; tests print stderr on failure.
VAStatus misuse(VAStatus status, const char *format, ...) __attribute__((format(printf, 2, 3)));
VAStatus misuse(VAStatus status, const char *format, ...) {
    std::fputs("fake VA driver: ", stderr);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fputc('\n', stderr);
    return status;
}

// ---------------------------------------------------------------------------
// Pixels: surfaces are NV12 or P010; the encoders take planar input.

struct Planar {
    std::vector<uint8_t> planes[3];
    int strides[3] = {0, 0, 0};
};

Planar to_planar(const Surface &s, uint32_t width, uint32_t height, bool high_depth) {
    Planar out;
    const uint32_t cw = (width + 1) / 2;
    const uint32_t ch = (height + 1) / 2;
    const uint32_t bytes = high_depth ? 2 : 1;
    out.strides[0] = static_cast<int>(width * bytes);
    out.strides[1] = out.strides[2] = static_cast<int>(cw * bytes);
    out.planes[0].resize(size_t{width} * height * bytes);
    out.planes[1].resize(size_t{cw} * ch * bytes);
    out.planes[2].resize(size_t{cw} * ch * bytes);
    const uint8_t *y = s.data.data();
    const uint8_t *uv = s.data.data() + s.uv_offset();
    for (uint32_t row = 0; row < height; ++row) {
        if (!high_depth) {
            std::memcpy(&out.planes[0][size_t{row} * width], y + size_t{row} * s.pitch, width);
            continue;
        }
        // P010 keeps the 10 bits in the high end of each 16-bit sample.
        for (uint32_t x = 0; x < width; ++x) {
            uint16_t v;
            std::memcpy(&v, y + size_t{row} * s.pitch + x * 2u, 2);
            v = static_cast<uint16_t>(v >> 6);
            std::memcpy(&out.planes[0][(size_t{row} * width + x) * 2u], &v, 2);
        }
    }
    for (uint32_t row = 0; row < ch; ++row) {
        for (uint32_t x = 0; x < cw; ++x) {
            for (int c = 0; c < 2; ++c) {
                if (!high_depth) {
                    out.planes[1 + c][size_t{row} * cw + x] =
                        uv[size_t{row} * s.pitch + x * 2u + static_cast<uint32_t>(c)];
                } else {
                    uint16_t v;
                    std::memcpy(
                        &v, uv + size_t{row} * s.pitch + x * 4u + static_cast<uint32_t>(c) * 2u, 2);
                    v = static_cast<uint16_t>(v >> 6);
                    std::memcpy(&out.planes[1 + c][(size_t{row} * cw + x) * 2u], &v, 2);
                }
            }
        }
    }
    return out;
}

// x264 preset per VA quality level: 1 is the best quality, kQualityLevels
// the fastest (VA-API's convention); 0 means "driver default" (4).
const char *x26x_preset(uint32_t level) {
    static const char *const names[] = {"slow",   "slow",   "slow",     "medium",
                                        "medium", "faster", "veryfast", "ultrafast"};
    return names[level == 0 ? 4 : std::min(level, kQualityLevels)];
}

void rc_kbps(const RateControl &rc, uint32_t &target_kbps, uint32_t &max_kbps,
             uint32_t &buffer_kbits) {
    max_kbps = rc.bits_per_second / 1000;
    target_kbps = static_cast<uint32_t>(uint64_t{max_kbps} * rc.target_percentage / 100);
    buffer_kbits = rc.hrd_buffer_bits != 0 ? rc.hrd_buffer_bits / 1000 : max_kbps;
}

class X264 final : public Encoder {
public:
    static std::unique_ptr<Encoder> open(uint32_t width, uint32_t height, const RateControl &rc,
                                         std::string &error) {
        x264_param_t p;
        if (x264_param_default_preset(&p, x26x_preset(rc.quality_level), "zerolatency") < 0) {
            error = "x264 preset";
            return nullptr;
        }
        p.i_log_level = X264_LOG_ERROR;
        p.i_threads = 1;
        p.b_sliced_threads = 0;
        p.i_width = static_cast<int>(width);
        p.i_height = static_cast<int>(height);
        p.i_csp = X264_CSP_I420;
        p.i_bframe = 0;
        // The picture types come from FFmpeg's picture parameters, never from x264.
        p.i_keyint_max = X264_KEYINT_MAX_INFINITE;
        p.i_scenecut_threshold = 0;
        p.b_repeat_headers = 1;
        p.b_annexb = 1;
        p.b_aud = 0;
        p.b_vfr_input = 0;
        p.i_fps_num = rc.fps_num != 0 ? rc.fps_num : 25;
        p.i_fps_den = rc.fps_den != 0 ? rc.fps_den : 1;
        uint32_t target = 0, max = 0, buffer = 0;
        rc_kbps(rc, target, max, buffer);
        switch (rc.mode) {
        case VA_RC_CQP:
            p.rc.i_rc_method = X264_RC_CQP;
            p.rc.i_qp_constant = 26;
            break;
        case VA_RC_CBR:
            p.rc.i_rc_method = X264_RC_ABR;
            p.rc.i_bitrate = static_cast<int>(max);
            p.rc.i_vbv_max_bitrate = static_cast<int>(max);
            p.rc.i_vbv_buffer_size = static_cast<int>(buffer);
            break;
        case VA_RC_VBR:
            p.rc.i_rc_method = X264_RC_ABR;
            p.rc.i_bitrate = static_cast<int>(target);
            p.rc.i_vbv_max_bitrate = static_cast<int>(max);
            p.rc.i_vbv_buffer_size = static_cast<int>(buffer);
            break;
        case VA_RC_QVBR:
            p.rc.i_rc_method = X264_RC_CRF;
            p.rc.f_rf_constant = static_cast<float>(rc.quality_factor);
            p.rc.i_vbv_max_bitrate = static_cast<int>(max);
            p.rc.i_vbv_buffer_size = static_cast<int>(buffer);
            break;
        default:
            error = "rate-control mode not handled";
            return nullptr;
        }
        auto self = std::make_unique<X264>();
        self->cqp_ = rc.mode == VA_RC_CQP;
        self->width_ = width;
        self->height_ = height;
        self->encoder_ = x264_encoder_open(&p);
        if (self->encoder_ == nullptr) {
            error = "x264_encoder_open failed";
            return nullptr;
        }
        return self;
    }
    ~X264() override {
        if (encoder_ != nullptr) {
            x264_encoder_close(encoder_);
        }
    }
    bool encode(const Surface &input, char type, int qp, std::vector<uint8_t> &out,
                std::string &error) override {
        Planar planar = to_planar(input, width_, height_, false);
        x264_picture_t in;
        x264_picture_init(&in);
        in.img.i_csp = X264_CSP_I420;
        in.img.i_plane = 3;
        for (int i = 0; i < 3; ++i) {
            in.img.plane[i] = planar.planes[i].data();
            in.img.i_stride[i] = planar.strides[i];
        }
        in.i_pts = pts_++;
        in.i_type = type == 'I' ? X264_TYPE_IDR : type == 'i' ? X264_TYPE_I : X264_TYPE_P;
        in.i_qpplus1 = cqp_ ? qp + 1 : X264_QP_AUTO;
        x264_picture_t pic_out;
        x264_nal_t *nals = nullptr;
        int count = 0;
        const int size = x264_encoder_encode(encoder_, &nals, &count, &in, &pic_out);
        if (size <= 0) {
            error = "x264 produced no access unit for the picture (zero-latency expected)";
            return false;
        }
        const bool idr = pic_out.b_keyframe != 0;
        if (idr != (type == 'I')) {
            error = "x264 did not follow the requested picture type";
            return false;
        }
        out.insert(out.end(), nals[0].p_payload, nals[0].p_payload + size);
        return true;
    }

private:
    x264_t *encoder_ = nullptr;
    uint32_t width_ = 0;
    uint32_t height_ = 0;
    int64_t pts_ = 0;
    bool cqp_ = false;
};

class X265 final : public Encoder {
public:
    static std::unique_ptr<Encoder> open(uint32_t width, uint32_t height, int depth,
                                         const RateControl &rc, std::string &error) {
        const x265_api *api = x265_api_get(depth);
        if (api == nullptr) {
            error = "libx265 has no " + std::to_string(depth) + "-bit build";
            return nullptr;
        }
        auto self = std::make_unique<X265>();
        self->api_ = api;
        self->depth_ = depth;
        self->width_ = width;
        self->height_ = height;
        x265_param *p = api->param_alloc();
        self->param_ = p;
        if (api->param_default_preset(p, x26x_preset(rc.quality_level), "zerolatency") < 0) {
            error = "x265 preset";
            return nullptr;
        }
        p->logLevel = X265_LOG_ERROR;
        api->param_parse(p, "pools", "none");
        api->param_parse(p, "frame-threads", "1");
        p->sourceWidth = static_cast<int>(width);
        p->sourceHeight = static_cast<int>(height);
        p->internalCsp = X265_CSP_I420;
        p->internalBitDepth = depth;
        p->sourceBitDepth = depth;
        p->bframes = 0;
        p->keyframeMax = -1; // infinite: FFmpeg's picture types decide
        p->bOpenGOP = 0;     // x265 would otherwise code a forced key picture as CRA
        p->scenecutThreshold = 0;
        p->bRepeatHeaders = 1;
        p->bAnnexB = 1;
        p->bEnableAccessUnitDelimiters = 0;
        p->fpsNum = rc.fps_num != 0 ? rc.fps_num : 25;
        p->fpsDenom = rc.fps_den != 0 ? rc.fps_den : 1;
        uint32_t target = 0, max = 0, buffer = 0;
        rc_kbps(rc, target, max, buffer);
        switch (rc.mode) {
        case VA_RC_CQP:
            p->rc.rateControlMode = X265_RC_CQP;
            p->rc.qp = 30;
            self->cqp_ = true;
            break;
        case VA_RC_CBR:
            p->rc.rateControlMode = X265_RC_ABR;
            p->rc.bitrate = static_cast<int>(max);
            p->rc.vbvMaxBitrate = static_cast<int>(max);
            p->rc.vbvBufferSize = static_cast<int>(buffer);
            break;
        case VA_RC_VBR:
            p->rc.rateControlMode = X265_RC_ABR;
            p->rc.bitrate = static_cast<int>(target);
            p->rc.vbvMaxBitrate = static_cast<int>(max);
            p->rc.vbvBufferSize = static_cast<int>(buffer);
            break;
        case VA_RC_QVBR:
            p->rc.rateControlMode = X265_RC_CRF;
            p->rc.rfConstant = rc.quality_factor;
            p->rc.vbvMaxBitrate = static_cast<int>(max);
            p->rc.vbvBufferSize = static_cast<int>(buffer);
            break;
        default:
            error = "rate-control mode not handled";
            return nullptr;
        }
        self->encoder_ = api->encoder_open(p);
        if (self->encoder_ == nullptr) {
            error = "x265 encoder_open failed";
            return nullptr;
        }
        return self;
    }
    ~X265() override {
        if (encoder_ != nullptr) {
            api_->encoder_close(encoder_);
        }
        if (param_ != nullptr) {
            api_->param_free(param_);
        }
    }
    bool encode(const Surface &input, char type, int qp, std::vector<uint8_t> &out,
                std::string &error) override {
        Planar planar = to_planar(input, width_, height_, depth_ > 8);
        x265_picture *in = api_->picture_alloc();
        api_->picture_init(param_, in);
        for (int i = 0; i < 3; ++i) {
            in->planes[i] = planar.planes[i].data();
            in->stride[i] = planar.strides[i];
        }
        in->bitDepth = depth_;
        in->colorSpace = X265_CSP_I420;
        in->pts = pts_++;
        in->sliceType = type == 'I' ? X265_TYPE_IDR : type == 'i' ? X265_TYPE_I : X265_TYPE_P;
        in->forceqp = cqp_ ? qp + 1 : 0;
        x265_nal *nals = nullptr;
        uint32_t count = 0;
        const int got = api_->encoder_encode(encoder_, &nals, &count, in, nullptr);
        api_->picture_free(in);
        if (got <= 0 || count == 0) {
            error = "x265 produced no access unit for the picture (zero-latency expected)";
            return false;
        }
        bool idr = false;
        for (uint32_t i = 0; i < count; ++i) {
            idr |= nals[i].type == 19 || nals[i].type == 20; // IDR_W_RADL, IDR_N_LP
            out.insert(out.end(), nals[i].payload, nals[i].payload + nals[i].sizeBytes);
        }
        if (idr != (type == 'I')) {
            error = "x265 did not follow the requested picture type";
            return false;
        }
        return true;
    }

private:
    const x265_api *api_ = nullptr;
    x265_param *param_ = nullptr;
    x265_encoder *encoder_ = nullptr;
    int depth_ = 8;
    uint32_t width_ = 0;
    uint32_t height_ = 0;
    int64_t pts_ = 0;
    bool cqp_ = false;
};

// ---------------------------------------------------------------------------
// Capabilities

uint32_t rt_formats_of(VAProfile profile) {
    return profile == VAProfileHEVCMain10 ? VA_RT_FORMAT_YUV420_10 : VA_RT_FORMAT_YUV420;
}

uint32_t rc_modes(const Driver &d) {
    return VA_RC_CQP | VA_RC_CBR | VA_RC_VBR | (d.no_qvbr ? 0u : VA_RC_QVBR);
}

uint32_t attribute_value(const Driver &d, VAProfile profile, VAConfigAttribType type) {
    switch (type) {
    case VAConfigAttribRTFormat:
        return rt_formats_of(profile);
    case VAConfigAttribRateControl:
        return rc_modes(d);
    case VAConfigAttribEncPackedHeaders:
        // None: this driver writes every header itself.
        return VA_ENC_PACKED_HEADER_NONE;
    case VAConfigAttribEncMaxRefFrames:
        return 1u; // L0 = 1, L1 = 0: P pictures only, no B-frames
    case VAConfigAttribEncQualityRange:
        return kQualityLevels;
    case VAConfigAttribMaxPictureWidth:
    case VAConfigAttribMaxPictureHeight:
        return kMaxSize;
    case VAConfigAttribEncMaxSlices:
        return 1u;
    default:
        return VA_ATTRIB_NOT_SUPPORTED;
    }
}

// ---------------------------------------------------------------------------
// vtable: display-level queries

VAStatus fake_Terminate(VADriverContextP ctx) {
    auto *d = static_cast<Driver *>(ctx->pDriverData);
    if (d != nullptr) {
        size_t leaked = d->contexts.size() + d->buffers.size() + d->images.size();
        if (leaked != 0) {
            misuse(VA_STATUS_SUCCESS,
                   "vaTerminate with %zu contexts, %zu buffers, %zu images still alive",
                   d->contexts.size(), d->buffers.size(), d->images.size());
        }
        g_live_contexts -= static_cast<int>(d->contexts.size());
        delete d;
        ctx->pDriverData = nullptr;
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_QueryConfigProfiles(VADriverContextP ctx, VAProfile *list, int *count) {
    (void)ctx;
    int n = 0;
    for (VAProfile p : {VAProfileH264ConstrainedBaseline, VAProfileH264Main, VAProfileH264High,
                        VAProfileHEVCMain, VAProfileHEVCMain10}) {
        if (supported_profile(p)) {
            list[n++] = p;
        }
    }
    *count = n;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_QueryConfigEntrypoints(VADriverContextP ctx, VAProfile profile, VAEntrypoint *list,
                                     int *count) {
    (void)ctx;
    if (!supported_profile(profile)) {
        *count = 0;
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    }
    list[0] = VAEntrypointEncSlice;
    *count = 1;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_GetConfigAttributes(VADriverContextP ctx, VAProfile profile, VAEntrypoint entrypoint,
                                  VAConfigAttrib *list, int count) {
    if (!supported_profile(profile)) {
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    }
    if (entrypoint != VAEntrypointEncSlice) {
        return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
    }
    for (int i = 0; i < count; ++i) {
        list[i].value = attribute_value(drv(ctx), profile, list[i].type);
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_CreateConfig(VADriverContextP ctx, VAProfile profile, VAEntrypoint entrypoint,
                           VAConfigAttrib *list, int count, VAConfigID *out) {
    Driver &d = drv(ctx);
    if (!supported_profile(profile)) {
        return VA_STATUS_ERROR_UNSUPPORTED_PROFILE;
    }
    if (entrypoint != VAEntrypointEncSlice) {
        return VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT;
    }
    Config config;
    config.profile = profile;
    config.entrypoint = entrypoint;
    config.rt_format = rt_formats_of(profile);
    for (int i = 0; i < count; ++i) {
        const uint32_t value = list[i].value;
        switch (list[i].type) {
        case VAConfigAttribRTFormat:
            if ((value & ~rt_formats_of(profile)) != 0 || value == 0) {
                return misuse(VA_STATUS_ERROR_INVALID_VALUE, "RT format %#x for profile %d", value,
                              profile);
            }
            config.rt_format = value;
            break;
        case VAConfigAttribRateControl:
            // Exactly one advertised mode.
            if (value == 0 || (value & (value - 1)) != 0 || (value & ~rc_modes(d)) != 0) {
                return misuse(VA_STATUS_ERROR_INVALID_VALUE, "rate control %#x", value);
            }
            config.rc_mode = value;
            break;
        case VAConfigAttribEncPackedHeaders:
            if (value != VA_ENC_PACKED_HEADER_NONE) {
                return misuse(VA_STATUS_ERROR_ATTR_NOT_SUPPORTED,
                              "packed headers %#x requested but none were advertised", value);
            }
            break;
        default:
            if (attribute_value(d, profile, list[i].type) == VA_ATTRIB_NOT_SUPPORTED) {
                return misuse(VA_STATUS_ERROR_ATTR_NOT_SUPPORTED, "config attribute %d",
                              list[i].type);
            }
            break;
        }
    }
    const std::lock_guard lock(d.mutex);
    *out = d.new_id();
    d.configs[*out] = config;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_DestroyConfig(VADriverContextP ctx, VAConfigID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    return d.configs.erase(id) != 0 ? VA_STATUS_SUCCESS : VA_STATUS_ERROR_INVALID_CONFIG;
}

VAStatus fake_QueryConfigAttributes(VADriverContextP ctx, VAConfigID id, VAProfile *profile,
                                    VAEntrypoint *entrypoint, VAConfigAttrib *list, int *count) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.configs.find(id);
    if (it == d.configs.end()) {
        return VA_STATUS_ERROR_INVALID_CONFIG;
    }
    *profile = it->second.profile;
    *entrypoint = it->second.entrypoint;
    list[0] = {VAConfigAttribRTFormat, it->second.rt_format};
    list[1] = {VAConfigAttribRateControl, it->second.rc_mode};
    *count = 2;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_QuerySurfaceAttributes(VADriverContextP ctx, VAConfigID id, VASurfaceAttrib *list,
                                     unsigned int *count) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.configs.find(id);
    if (it == d.configs.end()) {
        return VA_STATUS_ERROR_INVALID_CONFIG;
    }
    const bool ten = it->second.rt_format == VA_RT_FORMAT_YUV420_10;
    const VASurfaceAttrib attribs[] = {
        {VASurfaceAttribPixelFormat,
         VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(ten ? VA_FOURCC_P010 : VA_FOURCC_NV12)}}},
        {VASurfaceAttribMinWidth,
         VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(kMinSize)}}},
        {VASurfaceAttribMinHeight,
         VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(kMinSize)}}},
        {VASurfaceAttribMaxWidth,
         VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(kMaxSize)}}},
        {VASurfaceAttribMaxHeight,
         VA_SURFACE_ATTRIB_GETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(kMaxSize)}}},
        {VASurfaceAttribMemoryType,
         VA_SURFACE_ATTRIB_GETTABLE | VA_SURFACE_ATTRIB_SETTABLE,
         {VAGenericValueTypeInteger, {static_cast<int>(VA_SURFACE_ATTRIB_MEM_TYPE_VA)}}},
    };
    const unsigned int n = sizeof attribs / sizeof attribs[0];
    if (list == nullptr) {
        *count = n;
        return VA_STATUS_SUCCESS;
    }
    if (*count < n) {
        *count = n;
        return VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
    }
    std::copy(attribs, attribs + n, list);
    *count = n;
    return VA_STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------
// Surfaces

VAStatus create_surfaces(Driver &d, uint32_t format, uint32_t width, uint32_t height,
                         VASurfaceID *out, uint32_t count, uint32_t fourcc) {
    if (format != VA_RT_FORMAT_YUV420 && format != VA_RT_FORMAT_YUV420_10) {
        return VA_STATUS_ERROR_UNSUPPORTED_RT_FORMAT;
    }
    if (width < 1 || height < 1 || width > kMaxSize || height > kMaxSize) {
        return misuse(VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED, "surface %ux%u", width, height);
    }
    const uint32_t expected = format == VA_RT_FORMAT_YUV420 ? VA_FOURCC_NV12 : VA_FOURCC_P010;
    if (fourcc != 0 && fourcc != expected) {
        return misuse(VA_STATUS_ERROR_INVALID_IMAGE_FORMAT,
                      "surface pixel format %#x does not fit RT format %#x", fourcc, format);
    }
    const std::lock_guard lock(d.mutex);
    for (uint32_t i = 0; i < count; ++i) {
        Surface s;
        s.width = width;
        s.height = height;
        s.fourcc = expected;
        const uint32_t bytes = expected == VA_FOURCC_P010 ? 2 : 1;
        s.pitch = (width * bytes + 63) & ~63u;
        const uint32_t rows = (height + 1) & ~1u;
        s.data.assign(size_t{s.pitch} * rows * 3 / 2, 0);
        out[i] = d.new_id();
        d.surfaces[out[i]] = std::move(s);
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_CreateSurfaces(VADriverContextP ctx, int width, int height, int format, int count,
                             VASurfaceID *out) {
    if (width <= 0 || height <= 0 || count <= 0) {
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    return create_surfaces(drv(ctx), static_cast<uint32_t>(format), static_cast<uint32_t>(width),
                           static_cast<uint32_t>(height), out, static_cast<uint32_t>(count), 0);
}

VAStatus fake_CreateSurfaces2(VADriverContextP ctx, unsigned int format, unsigned int width,
                              unsigned int height, VASurfaceID *out, unsigned int count,
                              VASurfaceAttrib *attribs, unsigned int attrib_count) {
    uint32_t fourcc = 0;
    for (unsigned int i = 0; i < attrib_count; ++i) {
        if (!(attribs[i].flags & VA_SURFACE_ATTRIB_SETTABLE)) {
            continue;
        }
        if (attribs[i].type == VASurfaceAttribPixelFormat) {
            fourcc = static_cast<uint32_t>(attribs[i].value.value.i);
        } else if (attribs[i].type == VASurfaceAttribMemoryType) {
            if (attribs[i].value.value.i != static_cast<int>(VA_SURFACE_ATTRIB_MEM_TYPE_VA)) {
                return misuse(VA_STATUS_ERROR_UNSUPPORTED_MEMORY_TYPE,
                              "surface memory type %#x (only VA memory)",
                              static_cast<uint32_t>(attribs[i].value.value.i));
            }
        } else if (attribs[i].type != VASurfaceAttribUsageHint) {
            return misuse(VA_STATUS_ERROR_ATTR_NOT_SUPPORTED, "surface attribute %d",
                          attribs[i].type);
        }
    }
    return create_surfaces(drv(ctx), format, width, height, out, count, fourcc);
}

VAStatus fake_DestroySurfaces(VADriverContextP ctx, VASurfaceID *list, int count) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    for (int i = 0; i < count; ++i) {
        auto it = d.surfaces.find(list[i]);
        if (it == d.surfaces.end()) {
            return VA_STATUS_ERROR_INVALID_SURFACE;
        }
        if (it->second.derived != VA_INVALID_ID) {
            return misuse(VA_STATUS_ERROR_SURFACE_BUSY,
                          "vaDestroySurfaces on %#x while its derived image lives", list[i]);
        }
        d.surfaces.erase(it);
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_SyncSurface(VADriverContextP ctx, VASurfaceID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.surfaces.find(id);
    if (it == d.surfaces.end()) {
        return VA_STATUS_ERROR_INVALID_SURFACE;
    }
    // Encoding finishes inside vaEndPicture; only a lost device reports here.
    return it->second.failed ? VA_STATUS_ERROR_HW_BUSY : VA_STATUS_SUCCESS;
}

VAStatus fake_QuerySurfaceStatus(VADriverContextP ctx, VASurfaceID id, VASurfaceStatus *status) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    if (d.surfaces.count(id) == 0) {
        return VA_STATUS_ERROR_INVALID_SURFACE;
    }
    *status = VASurfaceReady;
    return VA_STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------
// Buffers

size_t param_size(VAProfile profile, VABufferType type) {
    const bool h264 = is_h264(profile);
    switch (type) {
    case VAEncSequenceParameterBufferType:
        return h264 ? sizeof(VAEncSequenceParameterBufferH264)
                    : sizeof(VAEncSequenceParameterBufferHEVC);
    case VAEncPictureParameterBufferType:
        return h264 ? sizeof(VAEncPictureParameterBufferH264)
                    : sizeof(VAEncPictureParameterBufferHEVC);
    case VAEncSliceParameterBufferType:
        return h264 ? sizeof(VAEncSliceParameterBufferH264) : sizeof(VAEncSliceParameterBufferHEVC);
    default:
        return 0;
    }
}

size_t misc_payload_size(VAEncMiscParameterType type) {
    switch (type) {
    case VAEncMiscParameterTypeRateControl:
        return sizeof(VAEncMiscParameterRateControl);
    case VAEncMiscParameterTypeHRD:
        return sizeof(VAEncMiscParameterHRD);
    case VAEncMiscParameterTypeFrameRate:
        return sizeof(VAEncMiscParameterFrameRate);
    case VAEncMiscParameterTypeQualityLevel:
        return sizeof(VAEncMiscParameterBufferQualityLevel);
    case VAEncMiscParameterTypeMaxFrameSize:
        return sizeof(VAEncMiscParameterBufferMaxFrameSize);
    default:
        return 0;
    }
}

VAStatus fake_CreateBuffer(VADriverContextP ctx, VAContextID context, VABufferType type,
                           unsigned int size, unsigned int count, void *data, VABufferID *out) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto cit = d.contexts.find(context);
    if (cit == d.contexts.end()) {
        return misuse(VA_STATUS_ERROR_INVALID_CONTEXT, "vaCreateBuffer on context %#x", context);
    }
    if (size == 0 || count == 0) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "vaCreateBuffer of %u x %u bytes", count,
                      size);
    }
    const VAProfile profile = cit->second.cfg.profile;
    switch (type) {
    case VAEncSequenceParameterBufferType:
    case VAEncPictureParameterBufferType:
    case VAEncSliceParameterBufferType:
        // Drivers read exactly sizeof(struct) bytes of these.
        if (size != param_size(profile, type) || count != 1) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                          "buffer type %d has %u bytes, the driver reads %zu", type, size,
                          param_size(profile, type));
        }
        break;
    case VAEncMiscParameterBufferType: {
        if (data == nullptr || size < sizeof(VAEncMiscParameterBuffer)) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "misc buffer too small");
        }
        const auto misc_type = static_cast<const VAEncMiscParameterBuffer *>(data)->type;
        const size_t payload = misc_payload_size(misc_type);
        if (payload == 0) {
            return misuse(VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE, "misc parameter type %d",
                          misc_type);
        }
        if (size < sizeof(VAEncMiscParameterBuffer) + payload) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                          "misc parameter type %d has %u bytes, needs %zu", misc_type, size,
                          sizeof(VAEncMiscParameterBuffer) + payload);
        }
        break;
    }
    case VAEncCodedBufferType:
        break;
    case VAEncPackedHeaderParameterBufferType:
    case VAEncPackedHeaderDataBufferType:
        return misuse(VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE,
                      "packed header buffer, but no packed headers were advertised");
    default:
        return misuse(VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE, "buffer type %d", type);
    }
    Buffer b;
    b.type = type;
    b.context = context;
    b.size = size;
    b.count = count;
    if (type != VAEncCodedBufferType) {
        b.data.assign(size_t{size} * count, 0);
        if (data != nullptr) {
            std::memcpy(b.data.data(), data, size_t{size} * count);
        }
    }
    *out = d.new_id();
    d.buffers[*out] = std::move(b);
    return VA_STATUS_SUCCESS;
}

VAStatus fake_BufferSetNumElements(VADriverContextP ctx, VABufferID id, unsigned int count) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.buffers.find(id);
    if (it == d.buffers.end()) {
        return VA_STATUS_ERROR_INVALID_BUFFER;
    }
    if (count == 0 || count > it->second.count) {
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    it->second.count = count;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_MapBuffer(VADriverContextP ctx, VABufferID id, void **out) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.buffers.find(id);
    if (it == d.buffers.end()) {
        return misuse(VA_STATUS_ERROR_INVALID_BUFFER, "vaMapBuffer(%#x): no such buffer", id);
    }
    Buffer &b = it->second;
    if (b.mapped) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "vaMapBuffer(%#x): already mapped", id);
    }
    b.mapped = true;
    if (b.type == VAEncCodedBufferType) {
        b.segment = VACodedBufferSegment{};
        b.segment.size = static_cast<uint32_t>(b.coded.size());
        b.segment.buf = b.coded.data();
        b.segment.next = nullptr;
        *out = &b.segment;
    } else {
        *out = b.bytes();
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_UnmapBuffer(VADriverContextP ctx, VABufferID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.buffers.find(id);
    if (it == d.buffers.end()) {
        return VA_STATUS_ERROR_INVALID_BUFFER;
    }
    if (!it->second.mapped) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "vaUnmapBuffer(%#x): not mapped", id);
    }
    it->second.mapped = false;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_DestroyBuffer(VADriverContextP ctx, VABufferID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.buffers.find(id);
    if (it == d.buffers.end()) {
        return misuse(VA_STATUS_ERROR_INVALID_BUFFER, "vaDestroyBuffer(%#x): no such buffer", id);
    }
    if (it->second.mapped) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "vaDestroyBuffer(%#x) while mapped", id);
    }
    if (it->second.type == VAImageBufferType) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED,
                      "vaDestroyBuffer(%#x) on an image's buffer: use vaDestroyImage", id);
    }
    d.buffers.erase(it);
    return VA_STATUS_SUCCESS;
}

// ---------------------------------------------------------------------------
// Contexts

VAStatus fake_CreateContext(VADriverContextP ctx, VAConfigID config, int width, int height,
                            int flag, VASurfaceID *targets, int target_count, VAContextID *out) {
    (void)flag;
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto cit = d.configs.find(config);
    if (cit == d.configs.end()) {
        return VA_STATUS_ERROR_INVALID_CONFIG;
    }
    if (width < static_cast<int>(kMinSize) || height < static_cast<int>(kMinSize) ||
        width > static_cast<int>(kMaxSize) || height > static_cast<int>(kMaxSize)) {
        return misuse(VA_STATUS_ERROR_RESOLUTION_NOT_SUPPORTED, "context %dx%d", width, height);
    }
    for (int i = 0; i < target_count; ++i) {
        if (d.surfaces.count(targets[i]) == 0) {
            return misuse(VA_STATUS_ERROR_INVALID_SURFACE, "render target %#x", targets[i]);
        }
    }
    // The session limit: a real GPU has a fixed number of encode engines or
    // firmware sessions across every process and display.
    if (d.max_contexts > 0 && g_live_contexts.load() >= d.max_contexts) {
        return d.context_alloc_error ? VA_STATUS_ERROR_ALLOCATION_FAILED
                                     : VA_STATUS_ERROR_MAX_NUM_EXCEEDED;
    }
    ++g_live_contexts;
    Context c;
    c.config = config;
    c.cfg = cit->second;
    c.width = static_cast<uint32_t>(width);
    c.height = static_cast<uint32_t>(height);
    c.targets.assign(targets, targets + target_count);
    c.rc.mode = cit->second.rc_mode;
    *out = d.new_id();
    d.contexts[*out] = std::move(c);
    return VA_STATUS_SUCCESS;
}

VAStatus fake_DestroyContext(VADriverContextP ctx, VAContextID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.contexts.find(id);
    if (it == d.contexts.end()) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    d.contexts.erase(it);
    --g_live_contexts;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_BeginPicture(VADriverContextP ctx, VAContextID id, VASurfaceID target) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.contexts.find(id);
    if (it == d.contexts.end()) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    Context &c = it->second;
    if (c.in_picture) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED,
                      "vaBeginPicture twice without vaEndPicture");
    }
    auto sit = d.surfaces.find(target);
    if (sit == d.surfaces.end()) {
        return misuse(VA_STATUS_ERROR_INVALID_SURFACE, "vaBeginPicture on surface %#x", target);
    }
    if (sit->second.derived != VA_INVALID_ID) {
        return misuse(VA_STATUS_ERROR_SURFACE_BUSY,
                      "vaBeginPicture on surface %#x while its derived image lives", target);
    }
    const uint32_t want =
        c.cfg.rt_format == VA_RT_FORMAT_YUV420_10 ? VA_FOURCC_P010 : VA_FOURCC_NV12;
    if (sit->second.fourcc != want) {
        return misuse(VA_STATUS_ERROR_INVALID_SURFACE,
                      "input surface format does not fit the config");
    }
    c.in_picture = true;
    c.target = target;
    c.rendered.clear();
    c.copies.clear();
    c.copy_types.clear();
    return VA_STATUS_SUCCESS;
}

VAStatus fake_RenderPicture(VADriverContextP ctx, VAContextID id, VABufferID *list, int count) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.contexts.find(id);
    if (it == d.contexts.end()) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    Context &c = it->second;
    if (!c.in_picture) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "vaRenderPicture outside Begin/EndPicture");
    }
    for (int i = 0; i < count; ++i) {
        auto bit = d.buffers.find(list[i]);
        if (bit == d.buffers.end()) {
            return misuse(VA_STATUS_ERROR_INVALID_BUFFER, "vaRenderPicture: buffer %#x", list[i]);
        }
        if (bit->second.context != id) {
            return misuse(VA_STATUS_ERROR_INVALID_BUFFER,
                          "vaRenderPicture: buffer %#x belongs to another context", list[i]);
        }
        if (bit->second.mapped) {
            return misuse(VA_STATUS_ERROR_OPERATION_FAILED,
                          "vaRenderPicture: buffer %#x is still mapped", list[i]);
        }
        if (bit->second.type == VAEncCodedBufferType) {
            return misuse(VA_STATUS_ERROR_INVALID_BUFFER,
                          "vaRenderPicture: a coded buffer is an output, not a parameter");
        }
        // The caller may destroy the buffer right after vaEndPicture (FFmpeg
        // does, with VA-API 1.x semantics), so the parameters are copied here.
        c.rendered.push_back(list[i]);
        c.copies[list[i]] = bit->second.data;
        c.copy_types[list[i]] = bit->second.type;
    }
    return VA_STATUS_SUCCESS;
}

template <class T>
const T *find_param(const Context &c, VABufferType type) {
    for (VABufferID id : c.rendered) {
        if (c.copy_types.at(id) == type) {
            return reinterpret_cast<const T *>(c.copies.at(id).data());
        }
    }
    return nullptr;
}

template <class T>
std::vector<const T *> all_params(const Context &c, VABufferType type) {
    std::vector<const T *> out;
    for (VABufferID id : c.rendered) {
        if (c.copy_types.at(id) == type) {
            out.push_back(reinterpret_cast<const T *>(c.copies.at(id).data()));
        }
    }
    return out;
}

void read_misc(Context &c) {
    for (VABufferID id : c.rendered) {
        if (c.copy_types.at(id) != VAEncMiscParameterBufferType) {
            continue;
        }
        const auto *misc =
            reinterpret_cast<const VAEncMiscParameterBuffer *>(c.copies.at(id).data());
        const void *payload = misc->data;
        switch (misc->type) {
        case VAEncMiscParameterTypeRateControl: {
            const auto *rc = static_cast<const VAEncMiscParameterRateControl *>(payload);
            c.rc.bits_per_second = rc->bits_per_second;
            c.rc.target_percentage = rc->target_percentage;
            c.rc.quality_factor = rc->quality_factor;
            c.rc.icq_quality_factor = rc->ICQ_quality_factor;
            c.rc.max_qp = rc->max_qp;
            break;
        }
        case VAEncMiscParameterTypeHRD:
            c.rc.hrd_buffer_bits = static_cast<const VAEncMiscParameterHRD *>(payload)->buffer_size;
            break;
        case VAEncMiscParameterTypeFrameRate: {
            const uint32_t fr =
                static_cast<const VAEncMiscParameterFrameRate *>(payload)->framerate;
            c.rc.fps_num = fr & 0xffff;
            c.rc.fps_den = fr >> 16 != 0 ? fr >> 16 : 1;
            break;
        }
        case VAEncMiscParameterTypeQualityLevel:
            c.rc.quality_level =
                static_cast<const VAEncMiscParameterBufferQualityLevel *>(payload)->quality_level;
            break;
        default:
            break;
        }
    }
}

const char *rc_name(uint32_t mode) {
    switch (mode) {
    case VA_RC_CQP:
        return "CQP";
    case VA_RC_CBR:
        return "CBR";
    case VA_RC_VBR:
        return "VBR";
    case VA_RC_QVBR:
        return "QVBR";
    default:
        return "?";
    }
}

// Checks the picture and slice parameters of one picture and returns its
// type ('I' IDR, 'i' other intra, 'P') and QP, or an error status.
struct PictureInfo {
    char type = 0;
    int qp = 26;
    VASurfaceID recon = VA_INVALID_ID;
    VASurfaceID reference = VA_INVALID_ID;
    VABufferID coded = VA_INVALID_ID;
};

VAStatus check_h264(const Context &c, PictureInfo &info) {
    const auto *pic =
        find_param<VAEncPictureParameterBufferH264>(c, VAEncPictureParameterBufferType);
    const auto slices = all_params<VAEncSliceParameterBufferH264>(c, VAEncSliceParameterBufferType);
    if (pic == nullptr || slices.empty()) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                      "vaEndPicture without picture or slice parameters");
    }
    const auto *seq = reinterpret_cast<const VAEncSequenceParameterBufferH264 *>(c.sequence.data());
    const uint32_t mbs = uint32_t{seq->picture_width_in_mbs} * seq->picture_height_in_mbs;
    uint32_t next_mb = 0;
    for (const auto *s : slices) {
        if (s->macroblock_address != next_mb || s->num_macroblocks == 0) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "slices do not tile the picture");
        }
        next_mb += s->num_macroblocks;
        if (s->slice_type % 5 == 1) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                          "B slice, but L1 = 0 references were advertised");
        }
    }
    if (next_mb != mbs) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "slices cover %u of %u macroblocks",
                      next_mb, mbs);
    }
    const bool intra = slices[0]->slice_type % 5 == 2;
    info.type = pic->pic_fields.bits.idr_pic_flag ? 'I' : intra ? 'i' : 'P';
    if (info.type == 'I' && !intra) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "IDR picture with a non-I slice");
    }
    info.qp = pic->pic_init_qp + slices[0]->slice_qp_delta;
    info.recon = pic->CurrPic.picture_id;
    info.reference = info.type == 'P' ? pic->ReferenceFrames[0].picture_id : VA_INVALID_ID;
    if (info.type == 'P' && info.reference == VA_INVALID_ID) {
        info.reference = slices[0]->RefPicList0[0].picture_id;
    }
    info.coded = pic->coded_buf;
    return VA_STATUS_SUCCESS;
}

VAStatus check_hevc(const Context &c, PictureInfo &info) {
    const auto *pic =
        find_param<VAEncPictureParameterBufferHEVC>(c, VAEncPictureParameterBufferType);
    const auto slices = all_params<VAEncSliceParameterBufferHEVC>(c, VAEncSliceParameterBufferType);
    if (pic == nullptr || slices.empty()) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                      "vaEndPicture without picture or slice parameters");
    }
    if (slices[0]->slice_segment_address != 0) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "first slice does not start at CTU 0");
    }
    for (const auto *s : slices) {
        if (s->num_ctu_in_slice == 0) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "empty slice");
        }
        if (s->slice_type == 0) {
            return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                          "B slice, but L1 = 0 references were advertised");
        }
    }
    const bool intra = slices[0]->slice_type == 2;
    info.type = pic->pic_fields.bits.idr_pic_flag ? 'I' : intra ? 'i' : 'P';
    if (info.type == 'I' && !intra) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "IDR picture with a non-I slice");
    }
    info.qp = pic->pic_init_qp + slices[0]->slice_qp_delta;
    info.recon = pic->decoded_curr_pic.picture_id;
    info.reference = info.type == 'P' ? pic->reference_frames[0].picture_id : VA_INVALID_ID;
    info.coded = pic->coded_buf;
    return VA_STATUS_SUCCESS;
}

VAStatus end_picture(Driver &d, VAContextID id, Context &c) {
    // A sequence parameter buffer starts (or restarts) the sequence.
    if (const auto *seq = find_param<uint8_t>(c, VAEncSequenceParameterBufferType)) {
        c.sequence.assign(seq, seq + param_size(c.cfg.profile, VAEncSequenceParameterBufferType));
        c.have_sequence = true;
    }
    if (!c.have_sequence) {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER,
                      "first picture of a context without sequence parameters");
    }
    read_misc(c);
    PictureInfo info;
    const VAStatus checked = is_h264(c.cfg.profile) ? check_h264(c, info) : check_hevc(c, info);
    if (checked != VA_STATUS_SUCCESS) {
        return checked;
    }
    if (c.pictures == 0 && info.type != 'I') {
        return misuse(VA_STATUS_ERROR_INVALID_PARAMETER, "the first picture is not an IDR");
    }
    auto recon = d.surfaces.find(info.recon);
    if (recon == d.surfaces.end() || info.recon == c.target) {
        return misuse(VA_STATUS_ERROR_INVALID_SURFACE,
                      "reconstructed surface %#x is missing or is the input", info.recon);
    }
    if (info.type == 'P') {
        auto ref = d.surfaces.find(info.reference);
        if (ref == d.surfaces.end() || !ref->second.reconstructed) {
            return misuse(VA_STATUS_ERROR_INVALID_SURFACE,
                          "P picture references %#x, which holds no reconstructed picture",
                          info.reference);
        }
    }
    auto coded = d.buffers.find(info.coded);
    if (coded == d.buffers.end() || coded->second.type != VAEncCodedBufferType ||
        coded->second.context != id) {
        return misuse(VA_STATUS_ERROR_INVALID_BUFFER, "coded_buf %#x is not a coded buffer",
                      info.coded);
    }
    if (coded->second.mapped) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "coded buffer %#x is still mapped",
                      info.coded);
    }
    const Surface &input = d.surfaces.at(c.target);
    if (c.lost || (d.lose_after > 0 && c.pictures >= static_cast<uint64_t>(d.lose_after))) {
        c.lost = true;
        d.surfaces.at(c.target).failed = true;
        d.trace("lost context=%#x after=%llu", id, static_cast<unsigned long long>(c.pictures));
        return VA_STATUS_ERROR_HW_BUSY;
    }
    if (!c.encoder) {
        std::string error;
        if (is_h264(c.cfg.profile)) {
            c.encoder = X264::open(input.width, input.height, c.rc, error);
        } else {
            const int depth = c.cfg.rt_format == VA_RT_FORMAT_YUV420_10 ? 10 : 8;
            c.encoder = X265::open(input.width, input.height, depth, c.rc, error);
        }
        if (!c.encoder) {
            return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "cannot open the encoder: %s",
                          error.c_str());
        }
        d.trace("session context=%#x codec=%s size=%ux%u rc=%s bps=%u target=%u quality=%u "
                "hrd=%u level=%u fps=%u/%u",
                id, is_h264(c.cfg.profile) ? "h264" : "hevc", input.width, input.height,
                rc_name(c.rc.mode), c.rc.bits_per_second, c.rc.target_percentage,
                c.rc.quality_factor, c.rc.hrd_buffer_bits, c.rc.quality_level, c.rc.fps_num,
                c.rc.fps_den);
    }
    std::vector<uint8_t> out;
    std::string error;
    if (!c.encoder->encode(input, info.type, info.qp, out, error)) {
        return misuse(VA_STATUS_ERROR_ENCODING_ERROR, "%s", error.c_str());
    }
    if (out.size() > coded->second.size) {
        return misuse(VA_STATUS_ERROR_NOT_ENOUGH_BUFFER,
                      "access unit of %zu bytes, coded buffer %u", out.size(), coded->second.size);
    }
    coded->second.coded = std::move(out);
    recon->second.reconstructed = true;
    d.trace("picture context=%#x n=%llu type=%c bytes=%zu", id,
            static_cast<unsigned long long>(c.pictures), info.type, coded->second.coded.size());
    ++c.pictures;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_EndPicture(VADriverContextP ctx, VAContextID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.contexts.find(id);
    if (it == d.contexts.end()) {
        return VA_STATUS_ERROR_INVALID_CONTEXT;
    }
    Context &c = it->second;
    if (!c.in_picture) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "vaEndPicture without vaBeginPicture");
    }
    const VAStatus status = end_picture(d, id, c);
    c.in_picture = false;
    c.rendered.clear();
    c.copies.clear();
    c.copy_types.clear();
    return status;
}

// ---------------------------------------------------------------------------
// Images: NV12 and P010 only, the formats an encoder uploads.

VAImageFormat image_format(uint32_t fourcc) {
    VAImageFormat f{};
    f.fourcc = fourcc;
    f.byte_order = VA_LSB_FIRST;
    f.bits_per_pixel = fourcc == VA_FOURCC_P010 ? 24 : 12;
    return f;
}

VAStatus fake_QueryImageFormats(VADriverContextP ctx, VAImageFormat *list, int *count) {
    (void)ctx;
    list[0] = image_format(VA_FOURCC_NV12);
    list[1] = image_format(VA_FOURCC_P010);
    *count = 2;
    return VA_STATUS_SUCCESS;
}

VAImage make_image(uint32_t fourcc, uint32_t width, uint32_t height, uint32_t pitch) {
    VAImage image{};
    image.format = image_format(fourcc);
    image.width = static_cast<uint16_t>(width);
    image.height = static_cast<uint16_t>(height);
    image.num_planes = 2;
    image.pitches[0] = image.pitches[1] = pitch;
    image.offsets[0] = 0;
    image.offsets[1] = pitch * ((height + 1) & ~1u);
    image.data_size = image.offsets[1] + pitch * ((height + 1) / 2);
    return image;
}

VAStatus fake_CreateImage(VADriverContextP ctx, VAImageFormat *format, int width, int height,
                          VAImage *out) {
    Driver &d = drv(ctx);
    if (format->fourcc != VA_FOURCC_NV12 && format->fourcc != VA_FOURCC_P010) {
        return VA_STATUS_ERROR_INVALID_IMAGE_FORMAT;
    }
    if (width <= 0 || height <= 0) {
        return VA_STATUS_ERROR_INVALID_PARAMETER;
    }
    const uint32_t bytes = format->fourcc == VA_FOURCC_P010 ? 2 : 1;
    const std::lock_guard lock(d.mutex);
    Image image;
    image.image =
        make_image(format->fourcc, static_cast<uint32_t>(width), static_cast<uint32_t>(height),
                   (static_cast<uint32_t>(width) * bytes + 63) & ~63u);
    Buffer b;
    b.type = VAImageBufferType;
    b.size = image.image.data_size;
    b.data.assign(b.size, 0);
    image.image.buf = d.new_id();
    image.image.image_id = d.new_id();
    d.buffers[image.image.buf] = std::move(b);
    d.images[image.image.image_id] = image;
    *out = image.image;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_DeriveImage(VADriverContextP ctx, VASurfaceID surface, VAImage *out) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto sit = d.surfaces.find(surface);
    if (sit == d.surfaces.end()) {
        return VA_STATUS_ERROR_INVALID_SURFACE;
    }
    Surface &s = sit->second;
    if (s.derived != VA_INVALID_ID) {
        return misuse(VA_STATUS_ERROR_SURFACE_BUSY, "surface %#x already has a derived image",
                      surface);
    }
    Image image;
    image.image = make_image(s.fourcc, s.width, s.height, s.pitch);
    image.derived_from = surface;
    Buffer b;
    b.type = VAImageBufferType;
    b.size = image.image.data_size;
    b.alias = s.data.data(); // derived images share the surface's memory
    image.image.buf = d.new_id();
    image.image.image_id = d.new_id();
    d.buffers[image.image.buf] = std::move(b);
    d.images[image.image.image_id] = image;
    s.derived = image.image.image_id;
    *out = image.image;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_DestroyImage(VADriverContextP ctx, VAImageID id) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    auto it = d.images.find(id);
    if (it == d.images.end()) {
        return VA_STATUS_ERROR_INVALID_IMAGE;
    }
    auto bit = d.buffers.find(it->second.image.buf);
    if (bit != d.buffers.end()) {
        if (bit->second.mapped) {
            return misuse(VA_STATUS_ERROR_OPERATION_FAILED,
                          "vaDestroyImage(%#x) while its buffer is mapped", id);
        }
        d.buffers.erase(bit);
    }
    if (it->second.derived_from != VA_INVALID_ID) {
        auto sit = d.surfaces.find(it->second.derived_from);
        if (sit != d.surfaces.end()) {
            sit->second.derived = VA_INVALID_ID;
        }
    }
    d.images.erase(it);
    return VA_STATUS_SUCCESS;
}

// Copies between an image and a surface of the same format and size.
VAStatus copy_image(Driver &d, VASurfaceID surface, VAImageID image_id, bool to_surface) {
    auto sit = d.surfaces.find(surface);
    auto iit = d.images.find(image_id);
    if (sit == d.surfaces.end()) {
        return VA_STATUS_ERROR_INVALID_SURFACE;
    }
    if (iit == d.images.end()) {
        return VA_STATUS_ERROR_INVALID_IMAGE;
    }
    Surface &s = sit->second;
    const VAImage &img = iit->second.image;
    if (img.format.fourcc != s.fourcc || img.width < s.width || img.height < s.height) {
        return misuse(VA_STATUS_ERROR_INVALID_IMAGE_FORMAT, "image does not fit the surface");
    }
    Buffer &b = d.buffers.at(img.buf);
    if (b.mapped) {
        return misuse(VA_STATUS_ERROR_OPERATION_FAILED, "image buffer is mapped during a copy");
    }
    const uint32_t bytes = s.fourcc == VA_FOURCC_P010 ? 2 : 1;
    for (int plane = 0; plane < 2; ++plane) {
        const uint32_t rows = plane == 0 ? s.height : (s.height + 1) / 2;
        const uint32_t row_bytes =
            ((s.width + (plane == 0 ? 0 : 1)) & ~(plane == 0 ? 0u : 1u)) * bytes;
        for (uint32_t r = 0; r < rows; ++r) {
            uint8_t *surf = s.data.data() + (plane == 0 ? 0 : s.uv_offset()) + size_t{r} * s.pitch;
            uint8_t *im = b.bytes() + img.offsets[plane] + size_t{r} * img.pitches[plane];
            if (to_surface) {
                std::memcpy(surf, im, row_bytes);
            } else {
                std::memcpy(im, surf, row_bytes);
            }
        }
    }
    return VA_STATUS_SUCCESS;
}

VAStatus fake_GetImage(VADriverContextP ctx, VASurfaceID surface, int x, int y, unsigned int width,
                       unsigned int height, VAImageID image) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    if (x != 0 || y != 0) {
        return VA_STATUS_ERROR_UNIMPLEMENTED;
    }
    (void)width;
    (void)height;
    return copy_image(d, surface, image, false);
}

VAStatus fake_PutImage(VADriverContextP ctx, VASurfaceID surface, VAImageID image, int src_x,
                       int src_y, unsigned int src_w, unsigned int src_h, int dst_x, int dst_y,
                       unsigned int dst_w, unsigned int dst_h) {
    Driver &d = drv(ctx);
    const std::lock_guard lock(d.mutex);
    if (src_x != 0 || src_y != 0 || dst_x != 0 || dst_y != 0 || src_w != dst_w || src_h != dst_h) {
        return VA_STATUS_ERROR_UNIMPLEMENTED; // no scaling in an encoder's upload path
    }
    return copy_image(d, surface, image, true);
}

// ---------------------------------------------------------------------------
// The rest of the mandatory vtable: present because libva refuses a driver
// without them, never used by an encoder.

VAStatus unimplemented() {
    return VA_STATUS_ERROR_UNIMPLEMENTED;
}

template <class... Args>
VAStatus stub(Args...) {
    return unimplemented();
}

VAStatus fake_QuerySubpictureFormats(VADriverContextP, VAImageFormat *, unsigned int *,
                                     unsigned int *count) {
    *count = 0;
    return VA_STATUS_SUCCESS;
}

VAStatus fake_QueryDisplayAttributes(VADriverContextP, VADisplayAttribute *, int *count) {
    *count = 0;
    return VA_STATUS_SUCCESS;
}

} // namespace

#define FAKE_VA_INIT_NAME_(major, minor) __vaDriverInit_##major##_##minor
#define FAKE_VA_INIT_NAME(major, minor) FAKE_VA_INIT_NAME_(major, minor)

extern "C" __attribute__((visibility("default")))
VAStatus FAKE_VA_INIT_NAME(VA_MAJOR_VERSION, VA_MINOR_VERSION)(VADriverContextP ctx);

extern "C" VAStatus FAKE_VA_INIT_NAME(VA_MAJOR_VERSION, VA_MINOR_VERSION)(VADriverContextP ctx) {
    auto *d = new Driver();
    d->max_contexts = env_int("FAKE_VA_MAX_CONTEXTS", 0);
    d->lose_after = env_int("FAKE_VA_LOSE_DEVICE_AFTER", 0);
    const char *alloc = std::getenv("FAKE_VA_CONTEXT_ERROR");
    d->context_alloc_error = alloc != nullptr && std::strcmp(alloc, "alloc") == 0;
    d->no_qvbr = env_int("FAKE_VA_NO_QVBR", 0) != 0;
    if (const char *trace = std::getenv("FAKE_VA_TRACE")) {
        d->trace_path = trace;
    }
    ctx->pDriverData = d;
    ctx->version_major = VA_MAJOR_VERSION;
    ctx->version_minor = VA_MINOR_VERSION;
    ctx->max_profiles = 5;
    ctx->max_entrypoints = 1;
    ctx->max_attributes = 16;
    ctx->max_image_formats = 2;
    ctx->max_subpic_formats = 1;
    ctx->max_display_attributes = 1;
    ctx->str_vendor = kVendor;

    VADriverVTable &vt = *ctx->vtable;
    vt.vaTerminate = fake_Terminate;
    vt.vaQueryConfigProfiles = fake_QueryConfigProfiles;
    vt.vaQueryConfigEntrypoints = fake_QueryConfigEntrypoints;
    vt.vaGetConfigAttributes = fake_GetConfigAttributes;
    vt.vaCreateConfig = fake_CreateConfig;
    vt.vaDestroyConfig = fake_DestroyConfig;
    vt.vaQueryConfigAttributes = fake_QueryConfigAttributes;
    vt.vaCreateSurfaces = fake_CreateSurfaces;
    vt.vaCreateSurfaces2 = fake_CreateSurfaces2;
    vt.vaDestroySurfaces = fake_DestroySurfaces;
    vt.vaCreateContext = fake_CreateContext;
    vt.vaDestroyContext = fake_DestroyContext;
    vt.vaCreateBuffer = fake_CreateBuffer;
    vt.vaBufferSetNumElements = fake_BufferSetNumElements;
    vt.vaMapBuffer = fake_MapBuffer;
    vt.vaUnmapBuffer = fake_UnmapBuffer;
    vt.vaDestroyBuffer = fake_DestroyBuffer;
    vt.vaBeginPicture = fake_BeginPicture;
    vt.vaRenderPicture = fake_RenderPicture;
    vt.vaEndPicture = fake_EndPicture;
    vt.vaSyncSurface = fake_SyncSurface;
    vt.vaQuerySurfaceStatus = fake_QuerySurfaceStatus;
    vt.vaQuerySurfaceAttributes = fake_QuerySurfaceAttributes;
    vt.vaQueryImageFormats = fake_QueryImageFormats;
    vt.vaCreateImage = fake_CreateImage;
    vt.vaDeriveImage = fake_DeriveImage;
    vt.vaDestroyImage = fake_DestroyImage;
    vt.vaGetImage = fake_GetImage;
    vt.vaPutImage = fake_PutImage;
    vt.vaQuerySubpictureFormats = fake_QuerySubpictureFormats;
    vt.vaQueryDisplayAttributes = fake_QueryDisplayAttributes;
    // Mandatory for libva's CHECK_VTABLE, meaningless for an encoder.
    vt.vaSetImagePalette = stub<VADriverContextP, VAImageID, unsigned char *>;
    vt.vaCreateSubpicture = stub<VADriverContextP, VAImageID, VASubpictureID *>;
    vt.vaDestroySubpicture = stub<VADriverContextP, VASubpictureID>;
    vt.vaSetSubpictureImage = stub<VADriverContextP, VASubpictureID, VAImageID>;
    vt.vaSetSubpictureChromakey =
        stub<VADriverContextP, VASubpictureID, unsigned int, unsigned int, unsigned int>;
    vt.vaSetSubpictureGlobalAlpha = stub<VADriverContextP, VASubpictureID, float>;
    vt.vaAssociateSubpicture =
        stub<VADriverContextP, VASubpictureID, VASurfaceID *, int, short, short, unsigned short,
             unsigned short, short, short, unsigned short, unsigned short, unsigned int>;
    vt.vaDeassociateSubpicture = stub<VADriverContextP, VASubpictureID, VASurfaceID *, int>;
    vt.vaGetDisplayAttributes = stub<VADriverContextP, VADisplayAttribute *, int>;
    vt.vaSetDisplayAttributes = stub<VADriverContextP, VADisplayAttribute *, int>;
    return VA_STATUS_SUCCESS;
}
