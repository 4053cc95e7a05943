// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "av_decode.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cstring>
#include <memory>

namespace vtc::test {
namespace {

struct CodecContextDeleter {
    void operator()(AVCodecContext *ctx) const { avcodec_free_context(&ctx); }
};
struct PacketDeleter {
    void operator()(AVPacket *pkt) const { av_packet_free(&pkt); }
};
struct FrameDeleter {
    void operator()(AVFrame *frame) const { av_frame_free(&frame); }
};

std::string av_error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}

// FFmpeg 7 replaced AVFrame::key_frame with a flag; keep both APIs compiling.
bool frame_is_keyframe(const AVFrame &frame) {
#if LIBAVUTIL_VERSION_MAJOR >= 58
    return (frame.flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return frame.key_frame != 0;
#endif
}

} // namespace

DecodeReport decode_stream(int codec, const std::vector<uint8_t> &extradata,
                           const std::vector<EncodedPacket> &packets) {
    DecodeReport report;
    AVCodecID id = AV_CODEC_ID_NONE;
    switch (codec) {
    case 1: id = AV_CODEC_ID_H264; break;
    case 2: id = AV_CODEC_ID_HEVC; break;
    case 3: id = AV_CODEC_ID_AV1; break;
    default: report.error = "unknown codec"; return report;
    }
    const AVCodec *decoder = avcodec_find_decoder(id);
    if (decoder == nullptr) {
        report.error = "no libavcodec decoder for this codec";
        return report;
    }
    report.codec_name = decoder->name;
    std::unique_ptr<AVCodecContext, CodecContextDeleter> ctx(avcodec_alloc_context3(decoder));
    ctx->thread_count = 1;
    // Strict: treat any bitstream damage as failure instead of concealing it.
    ctx->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM;
    if (!extradata.empty()) {
        ctx->extradata = static_cast<uint8_t *>(
            av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
        std::memcpy(ctx->extradata, extradata.data(), extradata.size());
        ctx->extradata_size = static_cast<int>(extradata.size());
    }
    if (int rc = avcodec_open2(ctx.get(), decoder, nullptr); rc < 0) {
        report.error = "avcodec_open2: " + av_error_text(rc);
        return report;
    }
    std::unique_ptr<AVPacket, PacketDeleter> pkt(av_packet_alloc());
    std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());

    auto collect = [&]() -> bool {
        for (;;) {
            int rc = avcodec_receive_frame(ctx.get(), frame.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
                return true;
            }
            if (rc < 0) {
                report.error = "avcodec_receive_frame: " + av_error_text(rc);
                return false;
            }
            DecodedFrame out;
            out.pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                                     : frame->pts;
            out.is_keyframe = frame_is_keyframe(*frame);
            out.picture_type = av_get_picture_type_char(frame->pict_type);
            out.width = frame->width;
            out.height = frame->height;
            const AVPixFmtDescriptor *desc =
                av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame->format));
            out.bit_depth = desc != nullptr ? desc->comp[0].depth : 0;
            report.frames.push_back(out);
            av_frame_unref(frame.get());
        }
    };

    for (const EncodedPacket &in : packets) {
        if (av_new_packet(pkt.get(), static_cast<int>(in.data.size())) < 0) {
            report.error = "av_new_packet failed";
            return report;
        }
        std::memcpy(pkt->data, in.data.data(), in.data.size());
        pkt->pts = in.pts;
        pkt->dts = in.dts;
        if (in.is_keyframe) {
            pkt->flags |= AV_PKT_FLAG_KEY;
        }
        int rc = avcodec_send_packet(ctx.get(), pkt.get());
        av_packet_unref(pkt.get());
        if (rc < 0) {
            report.error = "avcodec_send_packet: " + av_error_text(rc);
            return report;
        }
        if (!collect()) {
            return report;
        }
    }
    if (int rc = avcodec_send_packet(ctx.get(), nullptr); rc < 0) {
        report.error = "avcodec_send_packet(flush): " + av_error_text(rc);
        return report;
    }
    if (!collect()) {
        return report;
    }
    std::sort(report.frames.begin(), report.frames.end(),
              [](const DecodedFrame &a, const DecodedFrame &b) { return a.pts < b.pts; });
    report.profile = ctx->profile;
    report.level = ctx->level;
    report.ok = true;
    return report;
}

} // namespace vtc::test
