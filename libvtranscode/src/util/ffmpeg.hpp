// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Owning handles for FFmpeg objects, error text, and the few places where the
// FFmpeg 5.1 API (Debian 12) and the 7.1 API (GPU image) differ.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/version.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace vtc::detail {

struct AvFormatInputDeleter {
    void operator()(AVFormatContext *ctx) const { avformat_close_input(&ctx); }
};
struct AvCodecContextDeleter {
    void operator()(AVCodecContext *ctx) const { avcodec_free_context(&ctx); }
};
struct AvFrameDeleter {
    void operator()(AVFrame *frame) const { av_frame_free(&frame); }
};
struct AvPacketDeleter {
    void operator()(AVPacket *packet) const { av_packet_free(&packet); }
};
struct SwsContextDeleter {
    void operator()(SwsContext *ctx) const { sws_freeContext(ctx); }
};
struct SwrContextDeleter {
    void operator()(SwrContext *ctx) const { swr_free(&ctx); }
};

using FormatInputPtr = std::unique_ptr<AVFormatContext, AvFormatInputDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;

inline FramePtr make_frame() {
    return FramePtr(av_frame_alloc());
}
inline PacketPtr make_packet() {
    return PacketPtr(av_packet_alloc());
}

/// av_strerror() as a std::string.
inline std::string av_error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    if (av_strerror(code, text, sizeof text) < 0) {
        return "error " + std::to_string(code);
    }
    return text;
}

/// Whether a decoded frame is a key frame (AVFrame::key_frame became a flag in 7.0).
inline bool frame_is_key(const AVFrame &frame) {
#if LIBAVUTIL_VERSION_MAJOR >= 58
    return (frame.flags & AV_FRAME_FLAG_KEY) != 0;
#else
    return frame.key_frame != 0;
#endif
}

/// Duration of a decoded frame in its stream's time base, 0 when unknown
/// (AVFrame::pkt_duration became AVFrame::duration in libavutil 57.30).
inline int64_t frame_duration(const AVFrame &frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    return frame.duration;
#else
    return frame.pkt_duration;
#endif
}

/// The display matrix of a stream, or nullptr (stream side data moved into
/// AVCodecParameters::coded_side_data in libavformat 60/61).
inline const int32_t *stream_display_matrix(const AVStream &stream) {
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *side =
        av_packet_side_data_get(stream.codecpar->coded_side_data,
                                stream.codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    if (side == nullptr || side->size < 9 * static_cast<int>(sizeof(int32_t))) {
        return nullptr;
    }
    return reinterpret_cast<const int32_t *>(side->data);
#else
    size_t size = 0;
    const uint8_t *data = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (data == nullptr || size < 9 * sizeof(int32_t)) {
        return nullptr;
    }
    return reinterpret_cast<const int32_t *>(data);
#endif
}

/// Copies @p matrix (9 int32 values) as the display matrix of @p stream, so MP4
/// writes it into the track header. Returns false when out of memory.
inline bool set_stream_display_matrix(AVStream &stream, const int32_t *matrix) {
    const size_t size = 9 * sizeof(int32_t);
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    AVPacketSideData *side = av_packet_side_data_new(&stream.codecpar->coded_side_data,
                                                     &stream.codecpar->nb_coded_side_data,
                                                     AV_PKT_DATA_DISPLAYMATRIX, size, 0);
    if (side == nullptr) {
        return false;
    }
    std::memcpy(side->data, matrix, size);
    return true;
#else
    auto *copy = static_cast<uint8_t *>(av_malloc(size));
    if (copy == nullptr) {
        return false;
    }
    std::memcpy(copy, matrix, size);
    if (av_stream_add_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, copy, size) < 0) {
        av_free(copy);
        return false;
    }
    return true;
#endif
}

/// Clockwise rotation, in degrees (0, 90, 180, 270), that a player applies to
/// show the stream upright; 0 when there is no display matrix or it is not a
/// multiple of 90 degrees.
inline int stream_rotation_degrees(const AVStream &stream) {
    const int32_t *matrix = stream_display_matrix(stream);
    if (matrix == nullptr) {
        return 0;
    }
    // av_display_rotation_get() is counter-clockwise; players rotate the other way.
    const double ccw = av_display_rotation_get(matrix);
    if (ccw != ccw) { // NaN: a degenerate matrix
        return 0;
    }
    long degrees = std::lround(-ccw);
    degrees = ((degrees % 360) + 360) % 360;
    if (degrees % 90 != 0) {
        return 0;
    }
    return static_cast<int>(degrees);
}

} // namespace vtc::detail
