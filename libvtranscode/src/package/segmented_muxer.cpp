// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/segmented_muxer.hpp"

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vtc::detail {
namespace {

constexpr int kIoBufferBytes = 256 * 1024;

std::string segment_name(const std::string &stem, size_t index, SegmentContainer container) {
    char number[32];
    std::snprintf(number, sizeof number, "%04zu", index);
    return stem + number + (container == SegmentContainer::mpegts ? ".ts" : ".m4s");
}

} // namespace

Unexpected SegmentedMuxer::error(const std::string &message) const {
    const std::filesystem::path where =
        file_relative_path_.empty() ? output_dir_ / subdir_ : output_dir_ / file_relative_path_;
    return fail(Errc::io, "package", where.string(), message);
}

#if LIBAVFORMAT_VERSION_MAJOR >= 61
int SegmentedMuxer::write_callback(void *opaque, const uint8_t *data, int size) {
#else
int SegmentedMuxer::write_callback(void *opaque, uint8_t *data, int size) {
#endif
    auto *self = static_cast<SegmentedMuxer *>(opaque);
    if (self->file_ == nullptr) {
        // Bytes with no file to go to would be silently lost: fail the muxer.
        self->write_errno_ = EBADF;
        return AVERROR(EBADF);
    }
    const size_t wanted = static_cast<size_t>(size);
    if (std::fwrite(data, 1, wanted, self->file_) != wanted) {
        self->write_errno_ = errno != 0 ? errno : EIO;
        return AVERROR(self->write_errno_);
    }
    self->file_bytes_ += wanted;
    return size;
}

Result<std::unique_ptr<SegmentedMuxer>>
SegmentedMuxer::open(SegmentContainer container, const std::filesystem::path &output_dir,
                     const std::filesystem::path &subdir, const std::string &segment_stem,
                     const std::vector<MuxerStreamSpec> &streams) {
    std::unique_ptr<SegmentedMuxer> self(new SegmentedMuxer());
    self->container_ = container;
    self->output_dir_ = output_dir;
    self->subdir_ = subdir;
    self->segment_stem_ = segment_stem;

    const char *format_name = container == SegmentContainer::mpegts ? "mpegts" : "mp4";
    if (int rc = avformat_alloc_output_context2(&self->format_, nullptr, format_name, nullptr);
        rc < 0) {
        return self->error(std::string("cannot create the ") + format_name +
                           " muxer: " + av_error_text(rc));
    }
    for (const MuxerStreamSpec &spec : streams) {
        AVStream *st = avformat_new_stream(self->format_, nullptr);
        if (st == nullptr) {
            return self->error("cannot add a stream to the muxer");
        }
        if (int rc = avcodec_parameters_copy(st->codecpar, spec.parameters); rc < 0) {
            return self->error("cannot copy codec parameters: " + av_error_text(rc));
        }
        // A source's tag belongs to its own container; only an explicit choice
        // (such as 'hvc1' for CMAF HEVC) is kept.
        st->codecpar->codec_tag = spec.codec_tag;
        st->time_base = spec.packet_time_base;
        if (spec.display_matrix != nullptr && container == SegmentContainer::fmp4 &&
            !set_stream_display_matrix(*st, spec.display_matrix)) {
            return self->error("out of memory");
        }
        self->packet_time_bases_.push_back(spec.packet_time_base);
    }
    // Timestamps are already made non-negative on one timeline for every
    // rendition; libavformat must not shift any of them on its own.
    self->format_->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;

    auto *buffer = static_cast<unsigned char *>(av_malloc(kIoBufferBytes));
    if (buffer == nullptr) {
        return self->error("out of memory");
    }
    self->io_ = avio_alloc_context(buffer, kIoBufferBytes, 1, self.get(), nullptr,
                                   &SegmentedMuxer::write_callback, nullptr);
    if (self->io_ == nullptr) {
        av_free(buffer);
        return self->error("out of memory");
    }
    self->format_->pb = self->io_;
    self->format_->flags |= AVFMT_FLAG_CUSTOM_IO;

    if (container == SegmentContainer::fmp4) {
        std::error_code ec;
        std::filesystem::create_directories(output_dir / subdir, ec);
        if (ec) {
            return self->error("cannot create the directory: " + ec.message());
        }
    }
    return self;
}

Result<void> SegmentedMuxer::write_init_segment() {
    AVDictionary *options = nullptr;
    // An empty moov in init.mp4 and one fragment per segment flushed on
    // request: the CMAF layout VLog's players and server expect.
    // frag_discont with edit lists off makes movenc keep our absolute
    // timestamps in tfdt; otherwise it rebases every track to start at 0 on its
    // own, which shifts audio against video and one rendition against another.
    av_dict_set(&options, "movflags",
                "+frag_custom+empty_moov+default_base_moof+skip_trailer+frag_discont", 0);
    av_dict_set(&options, "use_editlist", "0", 0);
    const auto init_path = subdir_ / "init.mp4";
    if (auto opened = open_file(init_path); !opened) {
        av_dict_free(&options);
        return opened;
    }
    const int rc = avformat_write_header(format_, &options);
    av_dict_free(&options);
    if (rc < 0) {
        return error("cannot write the fMP4 header: " + av_error_text(rc));
    }
    header_written_ = true;
    avio_flush(io_);
    if (auto closed = close_file(false); !closed) {
        return closed;
    }
    init_segment_ = init_path;
    return ok();
}

Result<void> SegmentedMuxer::set_extradata(int stream_index, std::span<const uint8_t> extradata) {
    if (header_written_) {
        return error("stream headers changed after the header was written");
    }
    AVCodecParameters *par = format_->streams[stream_index]->codecpar;
    auto *copy =
        static_cast<uint8_t *>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (copy == nullptr) {
        return error("out of memory");
    }
    std::copy(extradata.begin(), extradata.end(), copy);
    av_free(par->extradata);
    par->extradata = copy;
    par->extradata_size = static_cast<int>(extradata.size());
    return ok();
}

SegmentedMuxer::~SegmentedMuxer() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    if (format_ != nullptr) {
        avformat_free_context(format_);
    }
    if (io_ != nullptr) {
        av_freep(&io_->buffer);
        avio_context_free(&io_);
    }
}

Result<void> SegmentedMuxer::open_file(const std::filesystem::path &relative_path) {
    const std::filesystem::path full = output_dir_ / relative_path;
    file_ = std::fopen(full.c_str(), "wb");
    file_relative_path_ = relative_path;
    file_bytes_ = 0;
    if (file_ == nullptr) {
        return error(std::string("cannot create: ") + std::strerror(errno));
    }
    return ok();
}

Result<void> SegmentedMuxer::close_file(bool is_segment) {
    if (file_ == nullptr) {
        return ok();
    }
    const bool write_failed = write_errno_ != 0;
    const bool close_failed = std::fclose(file_) != 0;
    file_ = nullptr;
    if (write_failed || close_failed) {
        return error(std::string("write failed: ") +
                     std::strerror(write_failed ? write_errno_ : errno));
    }
    if (is_segment) {
        segments_.push_back({file_relative_path_, file_bytes_});
    }
    if (on_file_closed_) {
        on_file_closed_(file_relative_path_);
    }
    return ok();
}

Result<void> SegmentedMuxer::flush_muxer() {
    // Writes out what the muxer still holds (pending PES data for MPEG-TS, the
    // current fragment for fMP4), then the I/O buffer into the current file.
    if (int rc = av_write_frame(format_, nullptr); rc < 0) {
        return error("cannot flush the muxer: " + av_error_text(rc));
    }
    avio_flush(io_);
    if (write_errno_ != 0) {
        return error(std::string("write failed: ") + std::strerror(write_errno_));
    }
    return ok();
}

Result<void> SegmentedMuxer::begin_segment() {
    if (finished_) {
        return error("begin_segment after finish");
    }
    if (file_ != nullptr) {
        if (auto flushed = flush_muxer(); !flushed) {
            return flushed;
        }
        if (auto closed = close_file(true); !closed) {
            return closed;
        }
    }
    if (container_ == SegmentContainer::fmp4 && !header_written_) {
        if (auto written = write_init_segment(); !written) {
            return written;
        }
    }
    const size_t index = segments_.size();
    if (auto opened = open_file(subdir_ / segment_name(segment_stem_, index, container_));
        !opened) {
        return opened;
    }
    if (container_ == SegmentContainer::mpegts) {
        if (!header_written_) {
            if (int rc = avformat_write_header(format_, nullptr); rc < 0) {
                return error("cannot write the MPEG-TS header: " + av_error_text(rc));
            }
            header_written_ = true;
        } else {
            // Every segment starts with PAT/PMT so it can be played on its own.
            av_opt_set(format_->priv_data, "mpegts_flags", "+resend_headers", 0);
        }
    }
    return ok();
}

Result<void> SegmentedMuxer::write(int stream_index, const AVPacket &packet) {
    if (file_ == nullptr) {
        return error("packet written outside a segment");
    }
    PacketPtr copy(av_packet_clone(&packet));
    if (!copy) {
        return error("out of memory");
    }
    copy->stream_index = stream_index;
    av_packet_rescale_ts(copy.get(), packet_time_bases_[static_cast<size_t>(stream_index)],
                         format_->streams[stream_index]->time_base);
    if (int rc = av_write_frame(format_, copy.get()); rc < 0) {
        return error("cannot write a packet: " + av_error_text(rc));
    }
    if (write_errno_ != 0) {
        return error(std::string("write failed: ") + std::strerror(write_errno_));
    }
    return ok();
}

Result<void> SegmentedMuxer::finish() {
    if (finished_) {
        return ok();
    }
    finished_ = true;
    if (file_ == nullptr) {
        return error("no segment was written");
    }
    if (auto flushed = flush_muxer(); !flushed) {
        return flushed;
    }
    if (int rc = av_write_trailer(format_); rc < 0) {
        return error("cannot finish the muxer: " + av_error_text(rc));
    }
    avio_flush(io_);
    return close_file(true);
}

AVRational SegmentedMuxer::stream_time_base(int stream_index) const {
    return format_->streams[stream_index]->time_base;
}

} // namespace vtc::detail
