// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/thumbnail.hpp"

#include "package/atomic_file.hpp"

#include <algorithm>
#include <string>

namespace vtc::detail {

double thumbnail_time_seconds(double duration_seconds) {
    return std::min(5.0, duration_seconds / 4.0);
}

Result<void> write_thumbnail(const AVFrame &frame, const std::filesystem::path &path) {
    const std::string where = path.string();
    double aspect = static_cast<double>(frame.width) / frame.height;
    if (frame.sample_aspect_ratio.num > 0 && frame.sample_aspect_ratio.den > 0) {
        aspect *= av_q2d(frame.sample_aspect_ratio);
    }
    const int height = std::max(2, static_cast<int>(std::lround(kThumbnailWidth / aspect)));

    // Scale into plain yuv420p with full range (what JPEG uses), then label it
    // yuvj420p for the MJPEG encoder: swscale itself no longer accepts the
    // deprecated yuvj formats without complaint.
    SwsPtr sws(sws_getContext(frame.width, frame.height, static_cast<AVPixelFormat>(frame.format),
                              kThumbnailWidth, height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr,
                              nullptr, nullptr));
    FramePtr scaled = make_frame();
    if (!sws || !scaled) {
        return fail(Errc::unsupported, "thumbnail", where, "cannot convert the frame");
    }
    const int *coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
    const bool source_full = frame.color_range == AVCOL_RANGE_JPEG;
    sws_setColorspaceDetails(sws.get(), coefficients, source_full ? 1 : 0, coefficients, 1, 0,
                             1 << 16, 1 << 16);
    scaled->format = AV_PIX_FMT_YUV420P;
    scaled->width = kThumbnailWidth;
    scaled->height = height;
    if (av_frame_get_buffer(scaled.get(), 0) < 0) {
        return fail(Errc::no_memory, "thumbnail", where, "cannot allocate a frame");
    }
    sws_scale(sws.get(), frame.data, frame.linesize, 0, frame.height, scaled->data,
              scaled->linesize);
    scaled->format = AV_PIX_FMT_YUVJ420P;
    scaled->color_range = AVCOL_RANGE_JPEG;

    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (codec == nullptr) {
        return fail(Errc::unsupported, "thumbnail", where, "libavcodec has no JPEG encoder");
    }
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    ctx->width = kThumbnailWidth;
    ctx->height = height;
    ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
    ctx->time_base = AVRational{1, 25};
    // A fixed, high quality (q=3 on MJPEG's 2..31 scale) instead of a bit rate.
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 3;
    if (int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0) {
        return fail(Errc::internal, "thumbnail", where,
                    "cannot open the JPEG encoder: " + av_error_text(rc));
    }
    scaled->pts = 0;
    scaled->quality = ctx->global_quality;
    PacketPtr packet = make_packet();
    if (int rc = avcodec_send_frame(ctx.get(), scaled.get()); rc < 0) {
        return fail(Errc::internal, "thumbnail", where,
                    "JPEG encoding failed: " + av_error_text(rc));
    }
    avcodec_send_frame(ctx.get(), nullptr);
    if (int rc = avcodec_receive_packet(ctx.get(), packet.get()); rc < 0) {
        return fail(Errc::internal, "thumbnail", where,
                    "JPEG encoding failed: " + av_error_text(rc));
    }
    return write_file_atomically(path,
                                 std::string_view(reinterpret_cast<const char *>(packet->data),
                                                  static_cast<size_t>(packet->size)));
}

} // namespace vtc::detail
