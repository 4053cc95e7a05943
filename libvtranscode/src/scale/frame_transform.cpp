// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "scale/frame_transform.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstring>

namespace vtc::detail {
namespace {

// Copies one plane rotated clockwise, element by element; T is the element
// (one sample, or one interleaved UV pair / packed pixel).
template <class T>
void rotate_plane(const uint8_t *src, int src_stride, int width, int height, uint8_t *dst,
                  int dst_stride, int degrees) {
    for (int y = 0; y < height; ++y) {
        const auto *row = reinterpret_cast<const T *>(src + static_cast<ptrdiff_t>(y) * src_stride);
        for (int x = 0; x < width; ++x) {
            int out_x = 0;
            int out_y = 0;
            if (degrees == 90) { // top-left goes to top-right
                out_x = height - 1 - y;
                out_y = x;
            } else if (degrees == 180) {
                out_x = width - 1 - x;
                out_y = height - 1 - y;
            } else { // 270
                out_x = y;
                out_y = width - 1 - x;
            }
            auto *out = reinterpret_cast<T *>(dst + static_cast<ptrdiff_t>(out_y) * dst_stride);
            out[out_x] = row[x];
        }
    }
}

struct Elem24 {
    uint8_t bytes[3];
};

void rotate_plane_any(const uint8_t *src, int src_stride, int width, int height, uint8_t *dst,
                      int dst_stride, int degrees, int element_bytes) {
    switch (element_bytes) {
    case 1:
        rotate_plane<uint8_t>(src, src_stride, width, height, dst, dst_stride, degrees);
        break;
    case 2:
        rotate_plane<uint16_t>(src, src_stride, width, height, dst, dst_stride, degrees);
        break;
    case 3:
        rotate_plane<Elem24>(src, src_stride, width, height, dst, dst_stride, degrees);
        break;
    case 4:
        rotate_plane<uint32_t>(src, src_stride, width, height, dst, dst_stride, degrees);
        break;
    case 8:
        rotate_plane<uint64_t>(src, src_stride, width, height, dst, dst_stride, degrees);
        break;
    default:
        break;
    }
}

// Bytes per element of each plane (the `step` of a component stored there).
int plane_element_bytes(const AVPixFmtDescriptor &desc, int plane) {
    for (int c = 0; c < desc.nb_components; ++c) {
        if (desc.comp[c].plane == plane) {
            return desc.comp[c].step;
        }
    }
    return 0;
}

bool can_rotate_directly(const AVPixFmtDescriptor &desc) {
    if ((desc.flags &
         (AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL)) != 0) {
        return false;
    }
    if (desc.log2_chroma_w != desc.log2_chroma_h) {
        return false;
    }
    for (int p = 0; p < 4; ++p) {
        const int bytes = plane_element_bytes(desc, p);
        if (bytes != 0 && bytes != 1 && bytes != 2 && bytes != 3 && bytes != 4 && bytes != 8) {
            return false;
        }
    }
    return true;
}

} // namespace

FrameSize rendition_size(int source_width, int source_height, int target_height) {
    const int even_source_height = std::max(2, source_height & ~1);
    const int height = std::min(std::max(2, target_height & ~1), even_source_height);
    // FFmpeg's `-2`: width = round(height * w / (h * 2)) * 2.
    const auto width = static_cast<int>(
        av_rescale(height, source_width, static_cast<int64_t>(source_height) * 2) * 2);
    return {std::max(2, width), height};
}

Result<FramePtr> Rotator::rotate(const AVFrame &in) {
    const AVFrame *source = &in;
    FramePtr converted;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(in.format));
    if (desc == nullptr) {
        return fail(Errc::unsupported, "decode", "", "unknown pixel format");
    }
    if (!can_rotate_directly(*desc)) {
        const AVPixelFormat planar =
            desc->comp[0].depth > 8 ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
        converter_.reset(sws_getCachedContext(
            converter_.release(), in.width, in.height, static_cast<AVPixelFormat>(in.format),
            in.width, in.height, planar, SWS_BICUBIC, nullptr, nullptr, nullptr));
        converted = make_frame();
        if (!converter_ || !converted) {
            return fail(Errc::unsupported, "decode", "",
                        std::string("cannot convert ") + desc->name + " for rotation");
        }
        converted->format = planar;
        converted->width = in.width;
        converted->height = in.height;
        if (av_frame_get_buffer(converted.get(), 0) < 0) {
            return fail(Errc::no_memory, "decode", "", "cannot allocate a frame");
        }
        sws_scale(converter_.get(), in.data, in.linesize, 0, in.height, converted->data,
                  converted->linesize);
        av_frame_copy_props(converted.get(), &in);
        source = converted.get();
        desc = av_pix_fmt_desc_get(planar);
    }

    FramePtr out = make_frame();
    if (!out) {
        return fail(Errc::no_memory, "decode", "", "cannot allocate a frame");
    }
    const bool swaps = degrees_ == 90 || degrees_ == 270;
    out->format = source->format;
    out->width = swaps ? source->height : source->width;
    out->height = swaps ? source->width : source->height;
    if (av_frame_get_buffer(out.get(), 0) < 0) {
        return fail(Errc::no_memory, "decode", "", "cannot allocate a frame");
    }
    av_frame_copy_props(out.get(), source);
    if (swaps && source->sample_aspect_ratio.num > 0) {
        out->sample_aspect_ratio =
            av_make_q(source->sample_aspect_ratio.den, source->sample_aspect_ratio.num);
    }
    for (int p = 0; p < 4 && source->data[p] != nullptr; ++p) {
        const bool is_chroma = (p == 1 || p == 2) && (desc->flags & AV_PIX_FMT_FLAG_RGB) == 0;
        const int plane_w =
            is_chroma ? AV_CEIL_RSHIFT(source->width, desc->log2_chroma_w) : source->width;
        const int plane_h =
            is_chroma ? AV_CEIL_RSHIFT(source->height, desc->log2_chroma_h) : source->height;
        rotate_plane_any(source->data[p], source->linesize[p], plane_w, plane_h, out->data[p],
                         out->linesize[p], degrees_, plane_element_bytes(*desc, p));
    }
    return out;
}

Scaler::Scaler(int out_width, int out_height, AVPixelFormat out_format)
    : out_width_(out_width), out_height_(out_height), out_format_(out_format) {}

Result<const AVFrame *> Scaler::scale(const AVFrame &in) {
    const bool full_range = in.color_range == AVCOL_RANGE_JPEG ||
                            in.format == AV_PIX_FMT_YUVJ420P || in.format == AV_PIX_FMT_YUVJ422P ||
                            in.format == AV_PIX_FMT_YUVJ444P;
    if (in.width == out_width_ && in.height == out_height_ && in.format == out_format_ &&
        !full_range) {
        return &in;
    }
    if (!context_ || in.width != in_width_ || in.height != in_height_ || in.format != in_format_ ||
        static_cast<int>(full_range) != in_range_) {
        context_.reset(sws_getContext(in.width, in.height, static_cast<AVPixelFormat>(in.format),
                                      out_width_, out_height_, out_format_, SWS_BICUBIC, nullptr,
                                      nullptr, nullptr));
        if (!context_) {
            return fail(Errc::unsupported, "scale", "",
                        std::string("cannot convert from ") +
                            av_get_pix_fmt_name(static_cast<AVPixelFormat>(in.format)));
        }
        // Full-range ("JPEG") sources are squeezed into the limited range that
        // the encoders signal, instead of being passed through mislabelled.
        const int *coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
        sws_setColorspaceDetails(context_.get(), coefficients, full_range ? 1 : 0, coefficients, 0,
                                 0, 1 << 16, 1 << 16);
        in_width_ = in.width;
        in_height_ = in.height;
        in_format_ = in.format;
        in_range_ = full_range ? 1 : 0;
    }
    if (!out_ || av_frame_is_writable(out_.get()) == 0) {
        out_ = make_frame();
        if (!out_) {
            return fail(Errc::no_memory, "scale", "", "cannot allocate a frame");
        }
        out_->format = out_format_;
        out_->width = out_width_;
        out_->height = out_height_;
        if (av_frame_get_buffer(out_.get(), 0) < 0) {
            return fail(Errc::no_memory, "scale", "", "cannot allocate a frame");
        }
    }
    sws_scale(context_.get(), in.data, in.linesize, 0, in.height, out_->data, out_->linesize);
    av_frame_copy_props(out_.get(), &in);
    out_->color_range = AVCOL_RANGE_MPEG;
    return out_.get();
}

} // namespace vtc::detail
