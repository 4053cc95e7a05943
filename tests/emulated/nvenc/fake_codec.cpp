// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later
#include "fake_codec.hpp"

#include <cstdint>
#include <x264.h>
#include <x265.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace fake_nvenc {
namespace {

void x264_quiet(void *, int, const char *, va_list) {}

// The emulation needs one picture out per picture in (see fake_nvenc.cpp):
// no B-frames, no lookahead, one thread, keyframes only where forced.
class X264Codec final : public Codec {
public:
    explicit X264Codec(x264_t *encoder) : encoder_(encoder) {
        x264_nal_t *nals = nullptr;
        int count = 0;
        x264_encoder_headers(encoder_, &nals, &count);
        for (int i = 0; i < count; ++i) {
            if (nals[i].i_type == NAL_SPS || nals[i].i_type == NAL_PPS) {
                headers_.insert(headers_.end(), nals[i].p_payload,
                                nals[i].p_payload + nals[i].i_payload);
            }
        }
    }
    ~X264Codec() override { x264_encoder_close(encoder_); }
    X264Codec(const X264Codec &) = delete;
    X264Codec &operator=(const X264Codec &) = delete;

    const std::vector<uint8_t> &headers() const override { return headers_; }

    bool encode(uint8_t *const planes[3], const int strides[3], int64_t index, PictureType type,
                std::vector<uint8_t> &out, bool &was_idr, std::string &error) override {
        x264_picture_t pic;
        x264_picture_init(&pic);
        pic.img.i_csp = X264_CSP_I420;
        pic.img.i_plane = 3;
        for (int i = 0; i < 3; ++i) {
            pic.img.plane[i] = planes[i];
            pic.img.i_stride[i] = strides[i];
        }
        pic.i_pts = index;
        pic.i_type = type == PictureType::idr ? X264_TYPE_IDR
                     : type == PictureType::i ? X264_TYPE_I
                                              : X264_TYPE_P;
        x264_picture_t result;
        x264_nal_t *nals = nullptr;
        int count = 0;
        const int size = x264_encoder_encode(encoder_, &nals, &count, &pic, &result);
        if (size <= 0) {
            error = "x264 produced no picture";
            return false;
        }
        out.assign(nals[0].p_payload, nals[0].p_payload + size);
        was_idr = result.i_type == X264_TYPE_IDR;
        return true;
    }

private:
    x264_t *encoder_;
    std::vector<uint8_t> headers_;
};

std::unique_ptr<Codec> open_x264(const CodecSettings &s, std::string &error) {
    x264_param_t p;
    x264_param_default_preset(&p, s.preset <= 3 ? "ultrafast" : "superfast", nullptr);
    p.pf_log = x264_quiet;
    p.i_log_level = X264_LOG_NONE;
    p.i_width = s.width;
    p.i_height = s.height;
    p.i_csp = X264_CSP_I420;
    p.i_bitdepth = 8;
    p.i_threads = 1;
    p.b_sliced_threads = 0;
    p.i_sync_lookahead = 0;
    p.rc.i_lookahead = 0;
    p.rc.b_mb_tree = 0;
    p.i_bframe = 0;
    p.i_keyint_max = X264_KEYINT_MAX_INFINITE;
    p.i_scenecut_threshold = 0;
    p.b_repeat_headers = 0; // the driver inserts the parameter sets itself
    p.b_annexb = 1;
    p.b_vfr_input = 0;
    p.i_fps_num = s.fps_num;
    p.i_fps_den = s.fps_den;
    switch (s.rc) {
    case CodecSettings::Rc::cqp:
        p.rc.i_rc_method = X264_RC_CQP;
        p.rc.i_qp_constant = static_cast<int>(s.qp);
        break;
    case CodecSettings::Rc::cbr:
        p.rc.i_rc_method = X264_RC_ABR;
        p.rc.i_bitrate = static_cast<int>(s.average_kbps);
        p.rc.i_vbv_max_bitrate = p.rc.i_bitrate;
        p.rc.i_vbv_buffer_size = static_cast<int>(std::max(s.vbv_kbits, 1u));
        break;
    case CodecSettings::Rc::vbr:
        if (s.average_kbps == 0) {
            p.rc.i_rc_method = X264_RC_CRF;
            p.rc.f_rf_constant = static_cast<float>(s.quality);
        } else {
            p.rc.i_rc_method = X264_RC_ABR;
            p.rc.i_bitrate = static_cast<int>(s.average_kbps);
        }
        if (s.max_kbps != 0) {
            p.rc.i_vbv_max_bitrate = static_cast<int>(s.max_kbps);
            p.rc.i_vbv_buffer_size =
                static_cast<int>(std::max(s.vbv_kbits != 0 ? s.vbv_kbits : s.max_kbps, 1u));
        }
        break;
    }
    p.vui.i_colorprim = s.primaries;
    p.vui.i_transfer = s.transfer;
    p.vui.i_colmatrix = s.matrix;
    if (s.full_range >= 0) {
        p.vui.b_fullrange = s.full_range;
    }
    p.vui.i_sar_width = s.sar_width;
    p.vui.i_sar_height = s.sar_height;
    if (x264_param_apply_profile(&p, s.profile.c_str()) < 0) {
        error = "x264 refused profile " + s.profile;
        return nullptr;
    }
    x264_t *encoder = x264_encoder_open(&p);
    if (encoder == nullptr) {
        error = "x264_encoder_open refused the settings";
        return nullptr;
    }
    return std::make_unique<X264Codec>(encoder);
}

class X265Codec final : public Codec {
public:
    X265Codec(const x265_api &api, x265_param *param, x265_encoder *encoder, int bit_depth)
        : api_(api), param_(param), encoder_(encoder), bit_depth_(bit_depth) {
        x265_nal *nals = nullptr;
        uint32_t count = 0;
        api_.encoder_headers(encoder_, &nals, &count);
        for (uint32_t i = 0; i < count; ++i) {
            if (nals[i].type == NAL_UNIT_VPS || nals[i].type == NAL_UNIT_SPS ||
                nals[i].type == NAL_UNIT_PPS) {
                headers_.insert(headers_.end(), nals[i].payload,
                                nals[i].payload + nals[i].sizeBytes);
            }
        }
    }
    ~X265Codec() override {
        api_.encoder_close(encoder_);
        api_.param_free(param_);
    }
    X265Codec(const X265Codec &) = delete;
    X265Codec &operator=(const X265Codec &) = delete;

    const std::vector<uint8_t> &headers() const override { return headers_; }

    bool encode(uint8_t *const planes[3], const int strides[3], int64_t index, PictureType type,
                std::vector<uint8_t> &out, bool &was_idr, std::string &error) override {
        x265_picture *pic = api_.picture_alloc();
        x265_picture *result = api_.picture_alloc();
        api_.picture_init(param_, pic);
        api_.picture_init(param_, result);
        pic->colorSpace = X265_CSP_I420;
        pic->bitDepth = bit_depth_;
        for (int i = 0; i < 3; ++i) {
            pic->planes[i] = planes[i];
            pic->stride[i] = strides[i];
        }
        pic->pts = index;
        pic->sliceType = type == PictureType::idr ? X265_TYPE_IDR
                         : type == PictureType::i ? X265_TYPE_I
                                                  : X265_TYPE_P;
        x265_nal *nals = nullptr;
        uint32_t count = 0;
        const int got = api_.encoder_encode(encoder_, &nals, &count, pic, result);
        out.clear();
        if (got > 0) {
            for (uint32_t i = 0; i < count; ++i) {
                out.insert(out.end(), nals[i].payload, nals[i].payload + nals[i].sizeBytes);
            }
            was_idr = result->sliceType == X265_TYPE_IDR;
        }
        api_.picture_free(pic);
        api_.picture_free(result);
        if (got <= 0) {
            error = "x265 produced no picture";
            return false;
        }
        return true;
    }

private:
    const x265_api &api_;
    x265_param *param_;
    x265_encoder *encoder_;
    int bit_depth_;
    std::vector<uint8_t> headers_;
};

std::unique_ptr<Codec> open_x265(const CodecSettings &s, std::string &error) {
    const int bit_depth = s.ten_bit ? 10 : 8;
    const x265_api *found = x265_api_get(bit_depth);
    if (found == nullptr) {
        error = "this libx265 has no " + std::to_string(bit_depth) + "-bit encoder";
        return nullptr;
    }
    const x265_api &api = *found;
    x265_param *p = api.param_alloc();
    api.param_default_preset(p, "ultrafast", "zerolatency");
    p->logLevel = X265_LOG_NONE;
    p->sourceWidth = s.width;
    p->sourceHeight = s.height;
    p->internalCsp = X265_CSP_I420;
    p->fpsNum = s.fps_num;
    p->fpsDenom = s.fps_den;
    p->bRepeatHeaders = 0;
    p->bAnnexB = 1;
    p->bEmitInfoSEI = 0;
    auto set = [&](const char *name, const std::string &value) {
        if (api.param_parse(p, name, value.c_str()) != 0) {
            error = std::string("x265 refused ") + name + "=" + value;
            return false;
        }
        return true;
    };
    bool ok = set("pools", "none") && set("frame-threads", "1") && set("bframes", "0") &&
              set("rc-lookahead", "0") && set("scenecut", "0") && set("keyint", "-1") &&
              set("open-gop", "0") && set("wpp", "0");
    switch (s.rc) {
    case CodecSettings::Rc::cqp:
        ok = ok && set("qp", std::to_string(s.qp));
        break;
    case CodecSettings::Rc::cbr:
        ok = ok && set("bitrate", std::to_string(s.average_kbps)) &&
             set("vbv-maxrate", std::to_string(s.average_kbps)) &&
             set("vbv-bufsize", std::to_string(std::max(s.vbv_kbits, 1u)));
        break;
    case CodecSettings::Rc::vbr:
        ok = ok && (s.average_kbps == 0 ? set("crf", std::to_string(s.quality))
                                        : set("bitrate", std::to_string(s.average_kbps)));
        if (s.max_kbps != 0) {
            ok = ok && set("vbv-maxrate", std::to_string(s.max_kbps)) &&
                 set("vbv-bufsize",
                     std::to_string(std::max(s.vbv_kbits != 0 ? s.vbv_kbits : s.max_kbps, 1u)));
        }
        break;
    }
    if (s.primaries != 2 || s.transfer != 2 || s.matrix != 2) {
        ok = ok && set("colorprim", std::to_string(s.primaries)) &&
             set("transfer", std::to_string(s.transfer)) &&
             set("colormatrix", std::to_string(s.matrix));
    }
    if (s.full_range >= 0) {
        ok = ok && set("range", s.full_range != 0 ? "full" : "limited");
    }
    if (s.sar_width > 0) {
        ok = ok && set("sar", std::to_string(s.sar_width) + ":" + std::to_string(s.sar_height));
    }
    if (ok && api.param_apply_profile(p, s.profile.c_str()) != 0) {
        error = "x265 refused profile " + s.profile;
        ok = false;
    }
    x265_encoder *encoder = ok ? api.encoder_open(p) : nullptr;
    if (encoder == nullptr) {
        if (error.empty()) {
            error = "x265_encoder_open refused the settings";
        }
        api.param_free(p);
        return nullptr;
    }
    return std::make_unique<X265Codec>(api, p, encoder, bit_depth);
}

} // namespace

std::unique_ptr<Codec> Codec::open(const CodecSettings &settings, std::string &error) {
    return settings.hevc ? open_x265(settings, error) : open_x264(settings, error);
}

} // namespace fake_nvenc
