// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// A libavcodec decoder for one source stream (video or audio).
#pragma once

#include "util/ffmpeg.hpp"

#include <vtranscode/result.hpp>

#include <string>

namespace vtc::detail {

class Decoder {
public:
    /// Opens a decoder for @p stream. Video decoders use frame threading with
    /// @p threads threads (0 = libavcodec's choice).
    static Result<Decoder> open(const AVStream &stream, unsigned threads, const std::string &file);

    /// Feeds one packet; nullptr starts flushing. A damaged packet is reported
    /// as Errc::corrupt_input; the caller decides whether to go on.
    Result<void> send(const AVPacket *packet);

    /// Takes the next decoded frame into @p frame: true when one was returned,
    /// false when the decoder needs input (or is fully flushed).
    Result<bool> receive(AVFrame &frame);

    AVCodecContext &context() { return *context_; }
    int64_t packets_sent() const noexcept { return packets_sent_; }
    int64_t packets_rejected() const noexcept { return packets_rejected_; }

private:
    CodecContextPtr context_;
    std::string file_;
    int64_t packets_sent_ = 0;
    int64_t packets_rejected_ = 0;
};

} // namespace vtc::detail
