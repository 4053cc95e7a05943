// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "probe/source.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <system_error>

namespace vtc::detail {
namespace {

constexpr double kMaxDurationSeconds = 7.0 * 24 * 3600; // VLog refuses longer sources

Unexpected probe_error(Errc code, const std::filesystem::path &path, std::string message) {
    return fail(code, "probe", path.string(), std::move(message));
}

double rational_or_zero(AVRational r) {
    return r.num > 0 && r.den > 0 ? av_q2d(r) : 0.0;
}

} // namespace

Result<OpenedSource> open_source(const std::filesystem::path &path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        return probe_error(Errc::not_found, path, "no such file");
    }
    if (std::filesystem::is_directory(status)) {
        return probe_error(Errc::invalid_argument, path, "is a directory, not a media file");
    }

    OpenedSource source;
    source.info.path = path;
    source.info.size_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    if (!ec && source.info.size_bytes == 0) {
        return probe_error(Errc::corrupt_input, path, "file is empty");
    }

    AVFormatContext *raw = nullptr;
    if (int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); rc < 0) {
        return probe_error(rc == AVERROR(ENOENT) ? Errc::not_found : Errc::corrupt_input, path,
                           "not a readable media file (" + av_error_text(rc) + ")");
    }
    source.format.reset(raw);
    if (int rc = avformat_find_stream_info(raw, nullptr); rc < 0) {
        return probe_error(Errc::corrupt_input, path,
                           "cannot read stream information (" + av_error_text(rc) + ")");
    }

    for (unsigned i = 0; i < raw->nb_streams; ++i) {
        const AVStream *st = raw->streams[i];
        const AVMediaType type = st->codecpar->codec_type;
        if (type == AVMEDIA_TYPE_VIDEO && source.video_stream < 0 &&
            (st->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
            source.video_stream = static_cast<int>(i);
        } else if (type == AVMEDIA_TYPE_AUDIO) {
            if (source.audio_stream < 0) {
                source.audio_stream = static_cast<int>(i);
            }
            ++source.info.audio_stream_count;
        }
    }
    if (source.video_stream < 0) {
        return probe_error(Errc::corrupt_input, path, "no video stream found");
    }

    const AVStream *video = raw->streams[source.video_stream];
    const AVCodecParameters *vpar = video->codecpar;
    SourceInfo &info = source.info;
    info.container = raw->iformat->name;
    info.video_codec = avcodec_get_name(vpar->codec_id);
    if (avcodec_find_decoder(vpar->codec_id) == nullptr) {
        return probe_error(Errc::unsupported, path,
                           "no decoder for video codec '" + info.video_codec + "'");
    }
    if (vpar->width <= 0 || vpar->height <= 0) {
        return probe_error(Errc::corrupt_input, path, "video stream has no frame size");
    }
    info.width = vpar->width;
    info.height = vpar->height;
    info.rotation_degrees = stream_rotation_degrees(*video);
    const bool swaps = info.rotation_degrees == 90 || info.rotation_degrees == 270;
    info.display_width = swaps ? info.height : info.width;
    info.display_height = swaps ? info.width : info.height;

    info.frame_rate = rational_or_zero(video->avg_frame_rate);
    if (info.frame_rate <= 0 || info.frame_rate > 1000) {
        info.frame_rate = rational_or_zero(video->r_frame_rate);
    }
    if (info.frame_rate > 1000) {
        info.frame_rate = 0; // a time-base-like "rate" from a VFR file says nothing
    }

    const auto pix_fmt = static_cast<AVPixelFormat>(vpar->format);
    if (const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(pix_fmt); desc != nullptr) {
        info.pixel_format = desc->name;
        info.bit_depth = desc->comp[0].depth;
    }

    double duration = 0;
    if (raw->duration != AV_NOPTS_VALUE && raw->duration > 0) {
        duration = static_cast<double>(raw->duration) / AV_TIME_BASE;
    } else if (video->duration != AV_NOPTS_VALUE && video->duration > 0) {
        duration = static_cast<double>(video->duration) * av_q2d(video->time_base);
    }
    if (!std::isfinite(duration) || duration <= 0) {
        return probe_error(Errc::corrupt_input, path,
                           "could not determine the duration (zero-length or damaged video)");
    }
    if (duration > kMaxDurationSeconds) {
        return probe_error(Errc::unsupported, path, "duration is longer than 7 days");
    }
    info.duration_seconds = duration;
    info.bitrate_bps = raw->bit_rate > 0 ? raw->bit_rate : 0;

    if (source.audio_stream >= 0) {
        const AVCodecParameters *apar = raw->streams[source.audio_stream]->codecpar;
        AudioInfo audio;
        audio.codec = avcodec_get_name(apar->codec_id);
        audio.sample_rate_hz = apar->sample_rate;
        audio.channels = apar->ch_layout.nb_channels;
        audio.bitrate_bps = apar->bit_rate;
        if (avcodec_find_decoder(apar->codec_id) != nullptr && apar->sample_rate > 0 &&
            audio.channels > 0) {
            info.audio = audio;
        } else {
            // An undecodable audio track does not stop the video: the ladder is
            // made without audio, as for a silent source.
            source.audio_stream = -1;
        }
    }
    return source;
}

} // namespace vtc::detail
