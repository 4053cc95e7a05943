// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "decode/decoder.hpp"

namespace vtc::detail {

Result<Decoder> Decoder::open(const AVStream &stream, unsigned threads, const std::string &file) {
    const AVCodec *codec = avcodec_find_decoder(stream.codecpar->codec_id);
    if (codec == nullptr) {
        return fail(Errc::unsupported, "decode", file,
                    std::string("no decoder for ") + avcodec_get_name(stream.codecpar->codec_id));
    }
    Decoder decoder;
    decoder.file_ = file;
    decoder.context_.reset(avcodec_alloc_context3(codec));
    if (!decoder.context_) {
        return fail(Errc::no_memory, "decode", file, "cannot allocate a decoder");
    }
    AVCodecContext &ctx = *decoder.context_;
    if (int rc = avcodec_parameters_to_context(&ctx, stream.codecpar); rc < 0) {
        return fail(Errc::corrupt_input, "decode", file,
                    "invalid codec parameters: " + av_error_text(rc));
    }
    ctx.pkt_timebase = stream.time_base;
    if (stream.codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        // Frame threads decode several pictures at once; this is the "decode
        // once, fast" half of the pipeline.
        ctx.thread_count = static_cast<int>(threads);
        ctx.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    } else {
        ctx.thread_count = 1;
    }
    if (int rc = avcodec_open2(&ctx, codec, nullptr); rc < 0) {
        return fail(Errc::corrupt_input, "decode", file,
                    std::string("cannot open the ") + codec->name +
                        " decoder: " + av_error_text(rc));
    }
    return decoder;
}

Result<void> Decoder::send(const AVPacket *packet) {
    if (packet != nullptr) {
        ++packets_sent_;
    }
    const int rc = avcodec_send_packet(context_.get(), packet);
    if (rc == 0 || rc == AVERROR_EOF) {
        return ok();
    }
    if (rc == AVERROR(EAGAIN)) {
        // The caller always drains receive() after send(), so this cannot
        // happen; report it rather than lose the packet silently.
        return fail(Errc::internal, "decode", file_, "decoder refused input while full");
    }
    ++packets_rejected_;
    return fail(Errc::corrupt_input, "decode", file_,
                std::string(context_->codec->name) +
                    " cannot decode a packet: " + av_error_text(rc));
}

Result<bool> Decoder::receive(AVFrame &frame) {
    const int rc = avcodec_receive_frame(context_.get(), &frame);
    if (rc == 0) {
        return true;
    }
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
        return false;
    }
    return fail(Errc::corrupt_input, "decode", file_,
                std::string(context_->codec->name) + " failed: " + av_error_text(rc));
}

} // namespace vtc::detail
