// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/transcode_pipeline.hpp"

#include "audio/audio_encoder.hpp"
#include "decode/decoder.hpp"
#include "package/atomic_file.hpp"
#include "package/codec_string.hpp"
#include "package/dash.hpp"
#include "package/original_packager.hpp"
#include "package/parameter_sets.hpp"
#include "package/playlist.hpp"
#include "package/rendition_packager.hpp"
#include "package/thumbnail.hpp"
#include "pipeline/bounded_queue.hpp"
#include "probe/source.hpp"
#include "scale/frame_transform.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>

namespace vtc::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Every timestamp written is shifted by this much, the same for every
// rendition, the original and the audio: encoders with B-frames emit decode
// times before the first frame, and MPEG-TS and fMP4 cannot carry negative
// times. Using one fixed offset (instead of letting each muxer shift on its
// own) is what keeps all variants on one timeline.
constexpr double kTimelineOffsetSeconds = 10.0;

// Small queues: encoders buffer their own lookahead; a deep queue here only
// adds memory (a 1080p frame is 3 MB).
constexpr size_t kFrameQueueCapacity = 4;
constexpr size_t kAudioQueueCapacity = 64;
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

// A source with more undecodable packets than this share is treated as corrupt
// rather than transcoded into something with holes.
constexpr double kMaxRejectedPacketShare = 0.05;

struct CodecDefaults {
    int32_t vtc_codec;
    AVCodecID av_codec;
    const char *preset;
    int quality;
};

CodecDefaults codec_defaults(VideoCodec codec) {
    switch (codec) {
    case VideoCodec::h264:
        return {VTC_CODEC_H264, AV_CODEC_ID_H264, "medium", 23};
    case VideoCodec::hevc:
        return {VTC_CODEC_HEVC, AV_CODEC_ID_HEVC, "medium", 28};
    case VideoCodec::av1:
        return {VTC_CODEC_AV1, AV_CODEC_ID_AV1, "6", 30};
    }
    return {VTC_CODEC_UNSET, AV_CODEC_ID_NONE, "", 0};
}

// One decoded, upright source picture shared (read-only) by every rendition.
struct SourceFrame {
    FramePtr frame;
    int64_t pts = 0;      // source video time base
    int64_t duration = 0; // source video time base
    bool force_keyframe = false;
};
using SourceFramePtr = std::shared_ptr<const SourceFrame>;

// First error wins; it cancels the shared token (plugins poll it) and aborts
// every queue, so all threads stop promptly.
class JobControl {
public:
    JobControl() : token_(std::make_shared<CancellationToken>()) {}

    void add_abort(std::function<void()> abort) {
        std::lock_guard<std::mutex> lock(mutex_);
        aborts_.push_back(std::move(abort));
    }
    void fail(Error error) {
        std::vector<std::function<void()>> aborts;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) {
                error_ = std::move(error);
            }
            aborts = aborts_;
        }
        token_->cancel();
        for (auto &abort : aborts) {
            abort();
        }
    }
    bool stopped() const { return token_->is_cancelled(); }
    std::optional<Error> error() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return error_;
    }
    std::shared_ptr<const CancellationToken> token() const { return token_; }

    void thread_started() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++running_;
    }
    void thread_finished() {
        std::lock_guard<std::mutex> lock(mutex_);
        --running_;
        done_.notify_all();
    }
    /// Waits until every thread finished or @p timeout passed; true when all finished.
    bool wait_threads(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return done_.wait_for(lock, timeout, [&] { return running_ == 0; });
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable done_;
    int running_ = 0;
    std::optional<Error> error_;
    std::vector<std::function<void()>> aborts_;
    std::shared_ptr<CancellationToken> token_;
};

struct RenditionRun {
    Rendition rung;
    FrameSize size;
    std::string encoder_id;
    std::unique_ptr<EncoderSession> session;
    std::vector<uint8_t> extradata;
    std::unique_ptr<RenditionPackager> packager;
    BoundedQueue<SourceFramePtr> queue{kFrameQueueCapacity};
    std::atomic<int64_t> frames_encoded{0};
    std::atomic<int64_t> last_encoded_pts{AV_NOPTS_VALUE};
    std::atomic<bool> finished{false};
    // Monitor-thread bookkeeping for fps.
    int64_t fps_frames_seen = 0;
    Clock::time_point fps_time{};
    double fps = 0;
};

struct AudioBitrateGroup {
    std::unique_ptr<AacEncoder> encoder;
    std::vector<RenditionPackager *> packagers;
};

// What the source thread shares with the rest once it is done.
struct SourceOutcome {
    std::atomic<int64_t> end_pts{0}; // end of the last frame, source time base
    std::atomic<int64_t> frames_decoded{0};
    std::atomic<int64_t> last_decoded_pts{AV_NOPTS_VALUE};
    bool thumbnail_written = false;
};

// Files a job writes, so a failed job can take them away again.
struct OutputPlan {
    std::filesystem::path dir;
    OutputFormat format = OutputFormat::cmaf;
    std::vector<std::string> rendition_names; // includes "original" when attempted
};

void remove_job_outputs(const OutputPlan &plan) {
    std::error_code ec;
    for (const char *name : {"master.m3u8", "manifest.mpd", "thumbnail.jpg"}) {
        std::filesystem::remove(plan.dir / name, ec);
    }
    for (const std::string &name : plan.rendition_names) {
        if (plan.format == OutputFormat::cmaf) {
            std::filesystem::remove_all(plan.dir / name, ec);
            continue;
        }
        std::filesystem::remove(plan.dir / (name + ".m3u8"), ec);
        const std::string prefix = name + "_";
        for (auto it = std::filesystem::directory_iterator(plan.dir, ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            const std::string file = it->path().filename().string();
            if (file.rfind(prefix, 0) == 0 && it->path().extension() == ".ts") {
                std::error_code remove_ec;
                std::filesystem::remove(it->path(), remove_ec);
            }
        }
    }
}

Result<void> check_output_dir(const std::filesystem::path &dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return fail(Errc::not_found, "output", dir.string(), "not an existing directory");
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return fail(Errc::io, "output", dir.string(), "directory is not writable");
    }
    return ok();
}

Result<void> validate_job(const TranscodeJob &job) {
    if (!(job.segment_seconds >= 1.0 && job.segment_seconds <= 60.0)) {
        return fail(Errc::invalid_argument, "job", "",
                    fmt::format("segment length {} s is outside 1..60 s", job.segment_seconds));
    }
    if (job.output_bit_depth != 8 && job.output_bit_depth != 10) {
        return fail(Errc::invalid_argument, "job", "", "output bit depth must be 8 or 10");
    }
    if (job.format == OutputFormat::hls_ts && job.codec == VideoCodec::av1) {
        return fail(Errc::unsupported, "job", "",
                    "AV1 cannot be carried in MPEG-TS segments; use the cmaf format");
    }
    for (const Rendition &rung : job.ladder) {
        if (rung.name.empty() || rung.height < 2 || rung.video_bitrate_kbps <= 0 ||
            rung.audio_bitrate_kbps < 0) {
            return fail(Errc::invalid_argument, "job", "",
                        "ladder rung '" + rung.name + "' needs a name, a height and bit rates");
        }
        if (rung.name.find_first_of("/\\") != std::string::npos || rung.name == "." ||
            rung.name == ".." || rung.name == "original") {
            return fail(Errc::invalid_argument, "job", "",
                        "ladder rung name '" + rung.name + "' is not allowed");
        }
    }
    return ok();
}

// The rungs to encode: no taller than the source (no upscaling); when none
// fits, the smallest rung at the source's own height.
std::vector<Rendition> plan_ladder(const TranscodeJob &job, const SourceInfo &source) {
    std::vector<Rendition> ladder = job.ladder.empty() ? default_ladder() : job.ladder;
    std::vector<Rendition> fitting;
    for (const Rendition &rung : ladder) {
        if (rung.height <= source.display_height) {
            fitting.push_back(rung);
        }
    }
    if (fitting.empty() && !ladder.empty()) {
        Rendition smallest = *std::min_element(
            ladder.begin(), ladder.end(),
            [](const Rendition &a, const Rendition &b) { return a.height < b.height; });
        smallest.height = std::max(2, source.display_height & ~1);
        fitting.push_back(smallest);
    }
    return fitting;
}

AVCodecParameters *video_parameters(const CodecDefaults &codec, const RenditionRun &run,
                                    AVPixelFormat pixel_format, AVRational sample_aspect,
                                    OutputFormat format) {
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (par == nullptr) {
        return nullptr;
    }
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = codec.av_codec;
    par->width = run.size.width;
    par->height = run.size.height;
    par->format = pixel_format;
    par->sample_aspect_ratio = sample_aspect;
    par->color_range = AVCOL_RANGE_MPEG;
    par->field_order = AV_FIELD_PROGRESSIVE;
    if (!run.extradata.empty()) {
        par->extradata =
            static_cast<uint8_t *>(av_mallocz(run.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
        if (par->extradata != nullptr) {
            std::copy(run.extradata.begin(), run.extradata.end(), par->extradata);
            par->extradata_size = static_cast<int>(run.extradata.size());
        }
    }
    if (format == OutputFormat::cmaf && codec.av_codec == AV_CODEC_ID_HEVC) {
        // Apple's players require 'hvc1' (parameter sets in the sample entry);
        // the packager strips the in-band copies for fMP4.
        par->codec_tag = MKTAG('h', 'v', 'c', '1');
    }
    return par;
}

struct ParamsDeleter {
    void operator()(AVCodecParameters *par) const { avcodec_parameters_free(&par); }
};
using ParamsPtr = std::unique_ptr<AVCodecParameters, ParamsDeleter>;

class Pipeline {
public:
    Pipeline(const EncoderRegistry &registry, const Logger &logger, const TranscodeJob &job)
        : registry_(registry), logger_(logger), job_(job), codec_(codec_defaults(job.codec)) {
        // The C ABI takes a NULL-terminated array; the strings stay owned by
        // the job, which outlives the pipeline.
        for (const std::string &option : job_.encoder_options) {
            encoder_option_pointers_.push_back(option.c_str());
        }
        encoder_option_pointers_.push_back(nullptr);
    }

    Result<TranscodeResult> run(const ProgressCallback &progress, const CancellationToken *cancel);

private:
    void log(LogLevel level, const std::string &message) const {
        logger_.log(level, "engine", message);
    }
    void notify_file_ready(const std::string &rendition, const std::filesystem::path &file) const {
        // A throwing callback breaks its contract; it must not break the encode.
        try {
            job_.on_file_ready(FileReady{rendition, file});
        } catch (const std::exception &e) {
            log(LogLevel::warning, "on_file_ready threw for " + file.string() + ": " + e.what());
        } catch (...) {
            log(LogLevel::warning, "on_file_ready threw for " + file.string());
        }
    }
    Result<void> open_renditions();
    Result<void> open_audio();
    Result<void> open_packagers();
    void open_original();
    void start_threads();
    void source_main();
    void rendition_main(RenditionRun &run);
    void audio_main();
    void handle_video_frame(AVFrame &decoded, std::optional<Rotator> &rotator);
    void report_progress(const ProgressCallback &progress, const std::string &stage);
    Result<TranscodeResult> finish_outputs();
    Result<RenditionResult> write_rendition_playlist(const std::string &name,
                                                     const SegmentedMuxer &muxer,
                                                     const std::vector<SegmentTiming> &timings,
                                                     AVRational time_base);

    const EncoderRegistry &registry_;
    const Logger &logger_;
    const TranscodeJob &job_;
    CodecDefaults codec_;
    std::vector<const char *> encoder_option_pointers_;
    OutputPlan plan_;
    JobControl control_;
    OpenedSource source_;
    std::vector<Rendition> ladder_;
    std::vector<std::unique_ptr<RenditionRun>> renditions_;
    std::vector<AudioBitrateGroup> audio_groups_;
    std::unique_ptr<BoundedQueue<FramePtr>> audio_queue_;
    std::unique_ptr<OriginalPackager> original_;
    std::atomic<bool> original_failed_{false};
    std::vector<std::thread> threads_;
    SourceOutcome outcome_;
    AVRational video_time_base_{1, 1};
    int64_t anchor_pts_ = 0;
    int64_t video_offset_ = 0;
    AVPixelFormat encoder_pixel_format_ = AV_PIX_FMT_YUV420P;
    AVRational output_sample_aspect_{0, 1};
    Clock::time_point started_{};
    // Source-thread state.
    double next_boundary_seconds_ = 0;
    int64_t last_pts_ = AV_NOPTS_VALUE;
    int64_t last_duration_ = 0;
    int64_t nominal_frame_duration_ = 1;
    FramePtr last_frame_for_thumbnail_;
    int64_t dropped_frames_ = 0;
};

Result<void> Pipeline::open_renditions() {
    const bool ten_bit = job_.output_bit_depth == 10;
    encoder_pixel_format_ = ten_bit ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
    const AVStream &video = *source_.format->streams[source_.video_stream];
    const bool swaps = source_.info.rotation_degrees == 90 || source_.info.rotation_degrees == 270;
    AVRational sar = video.sample_aspect_ratio.num > 0 ? video.sample_aspect_ratio
                                                       : video.codecpar->sample_aspect_ratio;
    if (sar.num > 0 && sar.den > 0 && swaps) {
        sar = av_make_q(sar.den, sar.num);
    }
    output_sample_aspect_ = sar.num > 0 && sar.den > 0 ? sar : AVRational{1, 1};
    // Bitstreams store the SAR in 16-bit fields; scaled sources often carry
    // fractions like 205387:205573, so use the closest one that fits.
    av_reduce(&output_sample_aspect_.num, &output_sample_aspect_.den, output_sample_aspect_.num,
              output_sample_aspect_.den, 65535);

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned budget = job_.thread_budget > 0 ? job_.thread_budget : cores;
    double total_pixels = 0;
    for (const Rendition &rung : ladder_) {
        const FrameSize size =
            rendition_size(source_.info.display_width, source_.info.display_height, rung.height);
        total_pixels += static_cast<double>(size.width) * size.height;
    }

    for (const Rendition &rung : ladder_) {
        auto run = std::make_unique<RenditionRun>();
        run->rung = rung;
        run->size =
            rendition_size(source_.info.display_width, source_.info.display_height, rung.height);

        vtc_encoder_config config;
        vtc_encoder_config_defaults(&config);
        config.codec = codec_.vtc_codec;
        config.width = static_cast<uint32_t>(run->size.width);
        config.height = static_cast<uint32_t>(run->size.height);
        config.pixel_format = ten_bit ? VTC_PIXEL_FORMAT_I420_10 : VTC_PIXEL_FORMAT_I420;
        config.memory_type = VTC_MEMORY_SYSTEM;
        config.time_base = {video.time_base.num, video.time_base.den};
        if (video.avg_frame_rate.num > 0 && video.avg_frame_rate.den > 0 &&
            av_q2d(video.avg_frame_rate) <= 1000) {
            config.frame_rate = {video.avg_frame_rate.num, video.avg_frame_rate.den};
        }
        config.sample_aspect_ratio = {output_sample_aspect_.num, output_sample_aspect_.den};
        config.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
        config.quality = job_.quality >= 0 ? job_.quality : codec_.quality;
        config.max_bitrate_kbps = static_cast<uint32_t>(rung.video_bitrate_kbps);
        config.vbv_buffer_kbits = static_cast<uint32_t>(rung.video_bitrate_kbps) * 2;
        // The encoders' own thread pools share the budget in proportion to the
        // pixels each one has to encode.
        const double share = total_pixels > 0 ? static_cast<double>(run->size.width) *
                                                    run->size.height / total_pixels
                                              : 1.0;
        config.thread_count =
            std::max(1u, static_cast<unsigned>(std::lround(budget * share * 1.5)));
        config.flags = VTC_ENCODER_CONFIG_CLOSED_GOP | VTC_ENCODER_CONFIG_GLOBAL_HEADER;
        const AVCodecParameters *vpar = video.codecpar;
        config.color_primaries = vpar->color_primaries;
        config.color_transfer = vpar->color_trc;
        config.color_matrix = vpar->color_space;
        config.color_range = 1; // the scaler always produces limited range
        const std::string preset = job_.preset.empty() ? codec_.preset : job_.preset;
        config.preset = preset.c_str();
        config.options = encoder_option_pointers_.data();

        EncoderRequirements requirements;
        requirements.codec = codec_.vtc_codec;
        requirements.width = config.width;
        requirements.height = config.height;
        requirements.pixel_format = config.pixel_format;
        requirements.memory_type = VTC_MEMORY_SYSTEM;
        requirements.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
        requirements.forced_keyframes = true;
        requirements.bit_depth = static_cast<uint32_t>(job_.output_bit_depth);

        const std::vector<EncoderInfo> candidates =
            registry_.candidates(requirements, job_.backend_preference);
        std::string reasons;
        for (const EncoderInfo &candidate : candidates) {
            auto session = registry_.open(candidate.id, config, control_.token());
            if (session) {
                run->session = std::move(*session);
                run->encoder_id = candidate.id;
                break;
            }
            reasons += (reasons.empty() ? "" : "; ") + session.error().to_string();
            log(LogLevel::warning, rung.name + ": " + candidate.id +
                                       " could not be opened, trying the next encoder: " +
                                       session.error().to_string());
        }
        if (!run->session) {
            if (reasons.empty()) {
                for (const EncoderInfo &info : registry_.encoders()) {
                    if (info.codec != codec_.vtc_codec) {
                        continue;
                    }
                    reasons += (reasons.empty() ? "" : "; ") + info.id + ": " +
                               (info.available ? "cannot do " + std::to_string(config.width) + "x" +
                                                     std::to_string(config.height) + " " +
                                                     std::to_string(job_.output_bit_depth) +
                                                     "-bit with forced keyframes"
                                               : info.unavailable_reason);
                }
            }
            return fail(Errc::unsupported, "encode", rung.name,
                        "no usable " + std::string(codec_name(codec_.vtc_codec)) + " encoder" +
                            (reasons.empty() ? " (no encoder plugin for it was found)"
                                             : " (" + reasons + ")"));
        }
        auto extradata = run->session->extradata();
        if (!extradata) {
            return fail(Errc::plugin, "encode", run->encoder_id,
                        "no stream headers for the MP4/CMAF sample entry: " +
                            extradata.error().message);
        }
        run->extradata = std::move(*extradata);
        log(LogLevel::info, fmt::format("{}: {}x{} with {}", rung.name, run->size.width,
                                        run->size.height, run->encoder_id));
        renditions_.push_back(std::move(run));
    }
    return ok();
}

Result<void> Pipeline::open_audio() {
    if (source_.audio_stream < 0) {
        return ok();
    }
    std::map<int, size_t> group_of_bitrate;
    for (const auto &run : renditions_) {
        const int kbps = run->rung.audio_bitrate_kbps > 0 ? run->rung.audio_bitrate_kbps : 128;
        if (group_of_bitrate.count(kbps) == 0) {
            auto encoder = AacEncoder::create(kbps);
            if (!encoder) {
                return Unexpected(std::move(encoder).error());
            }
            group_of_bitrate[kbps] = audio_groups_.size();
            audio_groups_.push_back({std::move(*encoder), {}});
        }
    }
    audio_queue_ = std::make_unique<BoundedQueue<FramePtr>>(kAudioQueueCapacity);
    return ok();
}

Result<void> Pipeline::open_packagers() {
    const SegmentContainer container =
        job_.format == OutputFormat::hls_ts ? SegmentContainer::mpegts : SegmentContainer::fmp4;
    const bool has_audio = !audio_groups_.empty();
    for (auto &run : renditions_) {
        ParamsPtr vpar(video_parameters(codec_, *run, encoder_pixel_format_, output_sample_aspect_,
                                        job_.format));
        if (!vpar) {
            return fail(Errc::no_memory, "package", run->rung.name, "out of memory");
        }
        std::vector<MuxerStreamSpec> streams{
            {vpar.get(), video_time_base_, vpar->codec_tag, nullptr}};
        ParamsPtr apar;
        AudioBitrateGroup *group = nullptr;
        if (has_audio) {
            const int kbps = run->rung.audio_bitrate_kbps > 0 ? run->rung.audio_bitrate_kbps : 128;
            for (auto &candidate : audio_groups_) {
                if (candidate.encoder->bitrate_kbps() == kbps) {
                    group = &candidate;
                }
            }
            apar.reset(avcodec_parameters_alloc());
            if (!apar ||
                avcodec_parameters_from_context(apar.get(), &group->encoder->context()) < 0) {
                return fail(Errc::no_memory, "package", run->rung.name, "out of memory");
            }
            streams.push_back({apar.get(), AVRational{1, kAudioSampleRateHz}, 0, nullptr});
        }
        const bool is_ts = container == SegmentContainer::mpegts;
        auto muxer = SegmentedMuxer::open(
            container, job_.output_dir,
            is_ts ? std::filesystem::path() : std::filesystem::path(run->rung.name),
            is_ts ? run->rung.name + "_" : std::string("seg_"), streams);
        if (!muxer) {
            return Unexpected(std::move(muxer).error());
        }
        if (job_.on_file_ready) {
            (*muxer)->on_file_closed(
                [this, name = run->rung.name](const std::filesystem::path &file) {
                    notify_file_ready(name, file);
                });
        }
        run->packager = std::make_unique<RenditionPackager>(
            std::move(*muxer), has_audio, video_time_base_, AVRational{1, kAudioSampleRateHz},
            video_offset_,
            !is_ts && (codec_.vtc_codec == VTC_CODEC_H264 || codec_.vtc_codec == VTC_CODEC_HEVC)
                ? codec_.vtc_codec
                : VTC_CODEC_UNSET);
        if (group != nullptr) {
            group->packagers.push_back(run->packager.get());
        }
    }
    return ok();
}

void Pipeline::open_original() {
    const SegmentContainer container =
        job_.format == OutputFormat::hls_ts ? SegmentContainer::mpegts : SegmentContainer::fmp4;
    const AVStream &video = *source_.format->streams[source_.video_stream];
    const AVStream *audio =
        source_.audio_stream >= 0 ? source_.format->streams[source_.audio_stream] : nullptr;
    auto original = OriginalPackager::open(container, job_.output_dir, video, audio, anchor_pts_,
                                           kTimelineOffsetSeconds, job_.segment_seconds);
    if (!original) {
        // As in VLog: a source that cannot be copied into the container loses
        // only its "original" rung, not the whole job.
        log(LogLevel::warning, "original: skipped: " + original.error().to_string());
        return;
    }
    if (audio != nullptr && !(*original)->has_audio()) {
        log(LogLevel::warning, std::string("original: the container cannot carry ") +
                                   avcodec_get_name(audio->codecpar->codec_id) +
                                   " audio; the copy has no sound");
    }
    if (job_.on_file_ready) {
        (*original)->on_file_closed([this](const std::filesystem::path &file) {
            // Once the copy has failed it is dropped; its later files are not offered.
            if (!original_failed_) {
                notify_file_ready("original", file);
            }
        });
    }
    original_ = std::move(*original);
}

void Pipeline::handle_video_frame(AVFrame &decoded, std::optional<Rotator> &rotator) {
    int64_t pts = decoded.best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) {
        pts = decoded.pts;
    }
    if (pts == AV_NOPTS_VALUE) {
        pts = last_pts_ == AV_NOPTS_VALUE ? anchor_pts_ : last_pts_ + nominal_frame_duration_;
    }
    if (last_pts_ != AV_NOPTS_VALUE && pts <= last_pts_) {
        ++dropped_frames_; // a repeated or out-of-order timestamp: encoders need increasing pts
        return;
    }
    int64_t duration = frame_duration(decoded);
    if (duration <= 0) {
        duration = nominal_frame_duration_;
    }

    auto frame = std::make_shared<SourceFrame>();
    if (rotator) {
        auto rotated = rotator->rotate(decoded);
        if (!rotated) {
            control_.fail(rotated.error());
            return;
        }
        frame->frame = std::move(*rotated);
    } else {
        frame->frame = make_frame();
        if (!frame->frame || av_frame_ref(frame->frame.get(), &decoded) < 0) {
            control_.fail(make_error(Errc::no_memory, "decode", "", "out of memory"));
            return;
        }
    }
    frame->pts = pts;
    frame->duration = duration;

    const double t = static_cast<double>(pts - anchor_pts_) * av_q2d(video_time_base_);
    if (last_pts_ == AV_NOPTS_VALUE || t >= next_boundary_seconds_ - 1e-6) {
        frame->force_keyframe = true;
        next_boundary_seconds_ =
            (std::floor(t / job_.segment_seconds + 1e-9) + 1) * job_.segment_seconds;
    }
    last_pts_ = pts;
    last_duration_ = duration;
    outcome_.end_pts = pts + duration;
    outcome_.last_decoded_pts = pts;
    ++outcome_.frames_decoded;

    if (job_.write_thumbnail && !outcome_.thumbnail_written) {
        if (t >= thumbnail_time_seconds(source_.info.duration_seconds)) {
            if (auto written = write_thumbnail(*frame->frame, job_.output_dir / "thumbnail.jpg");
                !written) {
                control_.fail(written.error());
                return;
            }
            outcome_.thumbnail_written = true;
            last_frame_for_thumbnail_.reset();
        } else {
            last_frame_for_thumbnail_ = make_frame();
            av_frame_ref(last_frame_for_thumbnail_.get(), frame->frame.get());
        }
    }

    SourceFramePtr shared = std::move(frame);
    for (auto &run : renditions_) {
        if (!run->queue.push(shared)) {
            return; // aborted
        }
    }
}

void Pipeline::source_main() {
    AVFormatContext *format = source_.format.get();
    const AVStream &video = *format->streams[source_.video_stream];
    const std::string file = source_.info.path.string();
    auto fail_with = [&](const Error &error) { control_.fail(error); };

    auto video_decoder = Decoder::open(video, 0, file);
    if (!video_decoder) {
        fail_with(video_decoder.error());
        return;
    }
    std::optional<Decoder> audio_decoder;
    std::unique_ptr<AudioResampler> resampler;
    if (!audio_groups_.empty()) {
        auto opened = Decoder::open(*format->streams[source_.audio_stream], 1, file);
        if (!opened) {
            fail_with(opened.error());
            return;
        }
        audio_decoder = std::move(*opened);
        const int64_t offset_samples =
            static_cast<int64_t>(kTimelineOffsetSeconds * kAudioSampleRateHz) -
            av_rescale_q(anchor_pts_, video_time_base_, AVRational{1, kAudioSampleRateHz});
        auto created = AudioResampler::create(audio_decoder->context(), offset_samples);
        if (!created) {
            fail_with(created.error());
            return;
        }
        resampler = std::move(*created);
    }
    std::optional<Rotator> rotator;
    if (source_.info.rotation_degrees != 0) {
        rotator.emplace(source_.info.rotation_degrees);
    }

    PacketPtr packet = make_packet();
    FramePtr frame = make_frame();
    auto pull_video = [&]() -> bool {
        for (;;) {
            auto got = video_decoder->receive(*frame);
            if (!got) {
                fail_with(got.error());
                return false;
            }
            if (!*got) {
                return true;
            }
            handle_video_frame(*frame, rotator);
            av_frame_unref(frame.get());
            if (control_.stopped()) {
                return false;
            }
        }
    };
    auto pull_audio = [&](bool flush) -> bool {
        for (;;) {
            auto got = audio_decoder->receive(*frame);
            if (!got) {
                // Damaged audio is not worth failing the job for: keep the video.
                log(LogLevel::warning, "audio: " + got.error().to_string());
                return true;
            }
            if (!*got) {
                break;
            }
            auto pushed = resampler->push(*frame);
            av_frame_unref(frame.get());
            if (!pushed) {
                fail_with(pushed.error());
                return false;
            }
        }
        while (FramePtr out = resampler->pop(flush)) {
            if (!audio_queue_->push(std::move(out))) {
                return false;
            }
        }
        return true;
    };
    auto original_push = [&](const AVPacket &pkt, bool is_video) {
        if (!original_ || original_failed_) {
            return;
        }
        if (auto pushed = original_->push(pkt, is_video); !pushed) {
            log(LogLevel::warning, "original: skipped: " + pushed.error().to_string());
            original_failed_ = true;
        }
    };

    for (;;) {
        if (control_.stopped()) {
            return;
        }
        const int rc = av_read_frame(format, packet.get());
        if (rc == AVERROR_EOF) {
            break;
        }
        if (rc < 0) {
            fail_with(make_error(Errc::corrupt_input, "demux", file,
                                 "cannot read the source: " + av_error_text(rc)));
            return;
        }
        if (packet->stream_index == source_.video_stream) {
            original_push(*packet, true);
            if (auto sent = video_decoder->send(packet.get()); !sent) {
                log(LogLevel::debug, sent.error().to_string());
            }
            av_packet_unref(packet.get());
            if (!pull_video()) {
                return;
            }
        } else if (audio_decoder && packet->stream_index == source_.audio_stream) {
            original_push(*packet, false);
            if (auto sent = audio_decoder->send(packet.get()); !sent) {
                log(LogLevel::debug, sent.error().to_string());
            }
            av_packet_unref(packet.get());
            if (!pull_audio(false)) {
                return;
            }
        } else {
            if (!audio_decoder && source_.audio_stream >= 0 &&
                packet->stream_index == source_.audio_stream) {
                original_push(*packet, false);
            }
            av_packet_unref(packet.get());
        }
    }
    if (auto sent = video_decoder->send(nullptr); !sent) {
        fail_with(sent.error());
        return;
    }
    if (!pull_video()) {
        return;
    }
    if (audio_decoder) {
        (void)audio_decoder->send(nullptr);
        if (!pull_audio(true)) {
            return;
        }
    }

    const int64_t sent = video_decoder->packets_sent();
    const int64_t rejected = video_decoder->packets_rejected();
    if (outcome_.frames_decoded == 0) {
        fail_with(make_error(Errc::corrupt_input, "decode", file,
                             "no video frame could be decoded (zero-length or damaged video)"));
        return;
    }
    if (sent > 0 &&
        static_cast<double>(rejected) / static_cast<double>(sent) > kMaxRejectedPacketShare) {
        fail_with(make_error(Errc::corrupt_input, "decode", file,
                             fmt::format("{} of {} video packets are damaged", rejected, sent)));
        return;
    }
    if (dropped_frames_ > 0) {
        log(LogLevel::warning,
            fmt::format("dropped {} frames with repeated timestamps", dropped_frames_));
    }
    if (job_.write_thumbnail && !outcome_.thumbnail_written && last_frame_for_thumbnail_) {
        // The probed duration was longer than the video: use its last frame.
        if (auto written =
                write_thumbnail(*last_frame_for_thumbnail_, job_.output_dir / "thumbnail.jpg");
            !written) {
            fail_with(written.error());
            return;
        }
        outcome_.thumbnail_written = true;
    }
    if (original_ && !original_failed_) {
        if (auto finished = original_->finish(); !finished) {
            log(LogLevel::warning, "original: skipped: " + finished.error().to_string());
            original_failed_ = true;
        }
    }
    for (auto &run : renditions_) {
        run->queue.close();
    }
    if (audio_queue_) {
        audio_queue_->close();
    }
}

void Pipeline::rendition_main(RenditionRun &run) {
    Scaler scaler(run.size.width, run.size.height, encoder_pixel_format_);
    std::deque<int64_t> forced_pts;
    bool extradata_refreshed = false;
    Packet packet;
    PacketPtr av_packet = make_packet();
    const std::string where = run.rung.name + " (" + run.encoder_id + ")";
    auto fail_with = [&](const Error &error) {
        Error e = error;
        if (e.file.empty()) {
            e.file = where;
        }
        control_.fail(std::move(e));
    };

    // Takes every packet the encoder has ready; returns the final flow state.
    auto collect = [&]() -> std::optional<FlowState> {
        for (;;) {
            auto flow = run.session->receive_packet(packet);
            if (!flow) {
                fail_with(flow.error());
                return std::nullopt;
            }
            if (*flow != FlowState::ok) {
                return *flow;
            }
            if (!extradata_refreshed) {
                // Some encoders (SVT-AV1) finalise their sequence header with the
                // first key frame; the sample entry and CODECS must match the
                // stream, so take the headers again now, before init.mp4 exists.
                extradata_refreshed = true;
                auto fresh = run.session->extradata();
                if (fresh && !fresh->empty() && *fresh != run.extradata) {
                    run.extradata = std::move(*fresh);
                    if (auto updated = run.packager->set_video_extradata(run.extradata); !updated) {
                        fail_with(updated.error());
                        return std::nullopt;
                    }
                }
            }
            bool starts_segment = false;
            if (!forced_pts.empty() && packet.pts == forced_pts.front()) {
                if (!packet.keyframe) {
                    fail_with(make_error(Errc::plugin, "encode", where,
                                         fmt::format("the encoder ignored the forced keyframe at "
                                                     "pts {}",
                                                     packet.pts)));
                    return std::nullopt;
                }
                forced_pts.pop_front();
                starts_segment = true;
            }
            if (av_new_packet(av_packet.get(), static_cast<int>(packet.data.size())) < 0) {
                fail_with(make_error(Errc::no_memory, "encode", where, "out of memory"));
                return std::nullopt;
            }
            std::copy(packet.data.begin(), packet.data.end(), av_packet->data);
            av_packet->pts = packet.pts;
            av_packet->dts = packet.dts;
            av_packet->duration = packet.duration;
            if (packet.keyframe) {
                av_packet->flags |= AV_PKT_FLAG_KEY;
            }
            auto pushed = run.packager->push_video(*av_packet, starts_segment);
            av_packet_unref(av_packet.get());
            if (!pushed) {
                fail_with(pushed.error());
                return std::nullopt;
            }
            run.last_encoded_pts = packet.pts;
            ++run.frames_encoded;
        }
    };

    while (auto item = run.queue.pop()) {
        if (control_.stopped()) {
            return;
        }
        const SourceFrame &source = **item;
        auto scaled = scaler.scale(*source.frame);
        if (!scaled) {
            fail_with(scaled.error());
            return;
        }
        const AVFrame &picture = **scaled;
        vtc_frame frame{};
        frame.struct_size = sizeof(frame);
        frame.pixel_format =
            job_.output_bit_depth == 10 ? VTC_PIXEL_FORMAT_I420_10 : VTC_PIXEL_FORMAT_I420;
        frame.width = static_cast<uint32_t>(picture.width);
        frame.height = static_cast<uint32_t>(picture.height);
        frame.memory_type = VTC_MEMORY_SYSTEM;
        frame.flags = source.force_keyframe ? VTC_FRAME_FORCE_KEYFRAME : 0u;
        frame.pts = source.pts;
        frame.duration = source.duration;
        for (int p = 0; p < 3; ++p) {
            frame.planes[p] = picture.data[p];
            frame.strides[p] = picture.linesize[p];
        }
        if (source.force_keyframe) {
            forced_pts.push_back(source.pts);
        }
        for (;;) {
            auto sent = run.session->send_frame(frame);
            if (!sent) {
                fail_with(sent.error());
                return;
            }
            if (*sent == FlowState::ok) {
                break;
            }
            if (!collect()) { // output pending: make room, then resend
                return;
            }
        }
        if (!collect()) {
            return;
        }
    }
    if (control_.stopped()) {
        return;
    }
    if (auto drained = run.session->drain(); !drained) {
        fail_with(drained.error());
        return;
    }
    auto final_state = collect();
    if (!final_state) {
        return;
    }
    if (!forced_pts.empty()) {
        fail_with(make_error(Errc::plugin, "encode", where,
                             "the encoder never returned the forced keyframe frames"));
        return;
    }
    if (auto ended = run.packager->end_video(outcome_.end_pts); !ended) {
        fail_with(ended.error());
        return;
    }
    run.finished = true;
}

void Pipeline::audio_main() {
    auto deliver = [&](AudioBitrateGroup &group,
                       const std::vector<std::shared_ptr<const AVPacket>> &packets) -> bool {
        for (const auto &packet : packets) {
            for (RenditionPackager *packager : group.packagers) {
                if (auto pushed = packager->push_audio(packet); !pushed) {
                    control_.fail(pushed.error());
                    return false;
                }
            }
        }
        return true;
    };
    while (auto frame = audio_queue_->pop()) {
        if (control_.stopped()) {
            return;
        }
        for (auto &group : audio_groups_) {
            auto packets = group.encoder->encode(frame->get());
            if (!packets) {
                control_.fail(packets.error());
                return;
            }
            if (!deliver(group, *packets)) {
                return;
            }
        }
    }
    if (control_.stopped()) {
        return;
    }
    for (auto &group : audio_groups_) {
        auto packets = group.encoder->encode(nullptr);
        if (!packets) {
            control_.fail(packets.error());
            return;
        }
        if (!deliver(group, *packets)) {
            return;
        }
        for (RenditionPackager *packager : group.packagers) {
            if (auto ended = packager->end_audio(); !ended) {
                control_.fail(ended.error());
                return;
            }
        }
    }
}

void Pipeline::start_threads() {
    for (auto &run : renditions_) {
        RenditionRun *r = run.get();
        control_.add_abort([r] { r->queue.abort(); });
    }
    if (audio_queue_) {
        BoundedQueue<FramePtr> *q = audio_queue_.get();
        control_.add_abort([q] { q->abort(); });
    }
    auto launch = [&](auto body) {
        control_.thread_started();
        threads_.emplace_back([this, body] {
            body();
            control_.thread_finished();
        });
    };
    for (auto &run : renditions_) {
        RenditionRun *r = run.get();
        launch([this, r] { rendition_main(*r); });
    }
    if (audio_queue_) {
        launch([this] { audio_main(); });
    }
    launch([this] { source_main(); });
}

void Pipeline::report_progress(const ProgressCallback &progress, const std::string &stage) {
    if (!progress) {
        return;
    }
    Progress p;
    p.stage = stage;
    const double duration = source_.info.duration_seconds;
    const double fps = source_.info.frame_rate;
    const auto frames_total = static_cast<int64_t>(fps > 0 ? std::lround(duration * fps) : 0);
    const Clock::time_point now = Clock::now();
    double fraction_sum = 0;
    for (auto &run : renditions_) {
        RenditionProgress rp;
        rp.name = run->rung.name;
        rp.frames_encoded = run->frames_encoded;
        rp.frames_total = frames_total;
        rp.finished = run->finished;
        if (run->fps_time != Clock::time_point{}) {
            const double seconds = std::chrono::duration<double>(now - run->fps_time).count();
            if (seconds >= 0.5) {
                const double instant =
                    static_cast<double>(rp.frames_encoded - run->fps_frames_seen) / seconds;
                run->fps = run->fps <= 0 ? instant : 0.7 * run->fps + 0.3 * instant;
                run->fps_frames_seen = rp.frames_encoded;
                run->fps_time = now;
            }
        } else {
            run->fps_time = now;
            run->fps_frames_seen = rp.frames_encoded;
        }
        rp.fps = run->fps;
        double fraction = 0;
        if (rp.finished) {
            fraction = 1;
        } else if (const int64_t pts = run->last_encoded_pts;
                   pts != AV_NOPTS_VALUE && duration > 0) {
            fraction = std::clamp(static_cast<double>(pts - anchor_pts_) *
                                      av_q2d(video_time_base_) / duration,
                                  0.0, 0.999);
        }
        fraction_sum += fraction;
        p.renditions.push_back(std::move(rp));
    }
    const size_t count = renditions_.size();
    p.percent = count > 0 ? 100.0 * fraction_sum / static_cast<double>(count) : 0;
    if (stage == "done") {
        p.percent = 100;
    }
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    if (p.percent > 1 && p.percent < 100) {
        p.eta_seconds = elapsed * (100 - p.percent) / p.percent;
    } else if (p.percent >= 100) {
        p.eta_seconds = 0;
    }
    progress(p);
}

Result<RenditionResult>
Pipeline::write_rendition_playlist(const std::string &name, const SegmentedMuxer &muxer,
                                   const std::vector<SegmentTiming> &timings,
                                   AVRational time_base) {
    const bool is_ts = job_.format == OutputFormat::hls_ts;
    const auto &files = muxer.segments();
    if (files.size() != timings.size() || files.empty()) {
        return fail(
            Errc::internal, "package", name,
            fmt::format("{} segment files but {} segment timings", files.size(), timings.size()));
    }
    MediaPlaylist playlist;
    playlist.container = is_ts ? HlsContainer::mpeg_ts : HlsContainer::fmp4;
    RenditionResult result;
    result.name = name;
    const std::filesystem::path playlist_path =
        is_ts ? std::filesystem::path(name + ".m3u8") : std::filesystem::path(name) / "stream.m3u8";
    result.files.push_back(playlist_path);
    if (!is_ts) {
        result.files.push_back(muxer.init_segment());
    }
    for (size_t i = 0; i < files.size(); ++i) {
        const double seconds = static_cast<double>(timings[i].duration) * av_q2d(time_base);
        playlist.segments.push_back(
            {files[i].relative_path.filename().string(), seconds, files[i].size_bytes});
        result.segment_durations_seconds.push_back(seconds);
        result.files.push_back(files[i].relative_path);
    }
    auto text = render_media_playlist(playlist);
    if (!text) {
        return Unexpected(std::move(text).error());
    }
    if (auto written = write_file_atomically(job_.output_dir / playlist_path, *text); !written) {
        return Unexpected(std::move(written).error());
    }
    auto bandwidth = bandwidth_from_segments(playlist.segments);
    if (!bandwidth) {
        return Unexpected(std::move(bandwidth).error());
    }
    result.peak_bitrate_bps = static_cast<int64_t>(bandwidth->peak_bps);
    result.average_bitrate_bps = static_cast<int64_t>(bandwidth->average_bps);
    return result;
}

Result<TranscodeResult> Pipeline::finish_outputs() {
    TranscodeResult result;
    result.source = source_.info;
    const bool is_ts = job_.format == OutputFormat::hls_ts;
    const HlsContainer container = is_ts ? HlsContainer::mpeg_ts : HlsContainer::fmp4;
    const std::string audio_codecs = audio_groups_.empty() ? "" : "mp4a.40.2";
    std::vector<VariantStream> variants;
    std::vector<DashRepresentation> dash;
    const double frame_rate = source_.info.frame_rate;

    if (original_ && !original_failed_) {
        auto written = write_rendition_playlist("original", original_->muxer(),
                                                original_->timings(), original_->video_time_base());
        if (written) {
            RenditionResult &r = *written;
            const AVStream &video = *source_.format->streams[source_.video_stream];
            // The copy keeps the coded picture (and, in CMAF, the rotation flag):
            // RESOLUTION states what the stream holds.
            r.width = source_.info.width;
            r.height = source_.info.height;
            r.frame_rate = frame_rate;
            r.has_audio = original_->has_audio();
            auto video_codecs = video_codec_string(
                video.codecpar->codec_id == AV_CODEC_ID_H264   ? VTC_CODEC_H264
                : video.codecpar->codec_id == AV_CODEC_ID_HEVC ? VTC_CODEC_HEVC
                : video.codecpar->codec_id == AV_CODEC_ID_AV1  ? VTC_CODEC_AV1
                                                               : VTC_CODEC_UNSET,
                std::span<const uint8_t>(
                    video.codecpar->extradata,
                    static_cast<size_t>(std::max(0, video.codecpar->extradata_size))));
            std::string original_audio;
            if (r.has_audio) {
                const AVCodecParameters *apar =
                    source_.format->streams[source_.audio_stream]->codecpar;
                auto audio = audio_codec_string(
                    avcodec_get_name(apar->codec_id),
                    std::span<const uint8_t>(
                        apar->extradata, static_cast<size_t>(std::max(0, apar->extradata_size))));
                if (audio) {
                    original_audio = *audio;
                }
            }
            if (video_codecs) {
                r.codecs = *video_codecs + (original_audio.empty() ? "" : "," + original_audio);
            } else {
                // An honest omission beats a guessed CODECS value (VLog labels
                // every original "avc1").
                log(LogLevel::info,
                    "original: no CODECS attribute: " + video_codecs.error().to_string());
            }
            VariantStream v;
            v.uri = is_ts ? "original.m3u8" : "original/stream.m3u8";
            v.bandwidth = {static_cast<uint64_t>(r.peak_bitrate_bps),
                           static_cast<uint64_t>(r.average_bitrate_bps)};
            v.width = r.width;
            v.height = r.height;
            v.frame_rate = frame_rate;
            v.video_codecs = video_codecs ? *video_codecs : "";
            v.audio_codecs = original_audio;
            variants.push_back(v);
            result.renditions.push_back(std::move(r));
        } else {
            log(LogLevel::warning, "original: skipped: " + written.error().to_string());
        }
    }

    std::string produced_codecs;
    std::vector<DashSegment> reference_segments;
    uint32_t reference_timescale = 0;
    uint64_t reference_offset = 0;
    for (auto &run : renditions_) {
        auto written = write_rendition_playlist(run->rung.name, run->packager->muxer(),
                                                run->packager->timings(), video_time_base_);
        if (!written) {
            return Unexpected(std::move(written).error());
        }
        RenditionResult &r = *written;
        r.encoder_id = run->encoder_id;
        r.width = run->size.width;
        r.height = run->size.height;
        r.frame_rate = frame_rate;
        r.has_audio = !audio_groups_.empty();
        auto video_codecs = video_codec_string(codec_.vtc_codec, run->extradata);
        if (!video_codecs) {
            return fail(Errc::plugin, "package", run->encoder_id,
                        "cannot read the encoder's stream headers: " +
                            video_codecs.error().message);
        }
        r.codecs = *video_codecs + (audio_codecs.empty() ? "" : "," + audio_codecs);
        if (produced_codecs.empty()) {
            produced_codecs = *video_codecs;
        }
        VariantStream v;
        v.uri = is_ts ? run->rung.name + ".m3u8" : run->rung.name + "/stream.m3u8";
        v.bandwidth = {static_cast<uint64_t>(r.peak_bitrate_bps),
                       static_cast<uint64_t>(r.average_bitrate_bps)};
        v.width = r.width;
        v.height = r.height;
        v.frame_rate = frame_rate;
        v.video_codecs = *video_codecs;
        v.audio_codecs = audio_codecs;
        variants.push_back(v);

        if (!is_ts) {
            const AVRational track = run->packager->muxer().stream_time_base(0);
            DashRepresentation rep;
            rep.id = run->rung.name;
            rep.bandwidth_bps = static_cast<uint64_t>(r.peak_bitrate_bps);
            rep.width = r.width;
            rep.height = r.height;
            const AVStream &video = *source_.format->streams[source_.video_stream];
            if (video.avg_frame_rate.num > 0 && video.avg_frame_rate.den > 0) {
                rep.frame_rate_num = static_cast<uint32_t>(video.avg_frame_rate.num);
                rep.frame_rate_den = static_cast<uint32_t>(video.avg_frame_rate.den);
            }
            rep.codecs = r.codecs;
            rep.timescale = static_cast<uint32_t>(track.den / std::max(1, track.num));
            for (const SegmentTiming &timing : run->packager->timings()) {
                rep.segments.push_back(
                    {static_cast<uint64_t>(av_rescale_q(timing.start_pts, video_time_base_, track)),
                     static_cast<uint64_t>(
                         av_rescale_q(timing.duration, video_time_base_, track))});
            }
            if (!rep.segments.empty()) {
                rep.presentation_time_offset = rep.segments.front().start;
            }
            if (reference_segments.empty()) {
                reference_segments = rep.segments;
                reference_timescale = rep.timescale;
                reference_offset = rep.presentation_time_offset;
            }
            dash.push_back(std::move(rep));
        }
        result.renditions.push_back(std::move(r));
    }

    // Renditions that already exist on the server: listed with what is known
    // (the same boundaries, since they are chosen from the source alone).
    std::vector<Rendition> all_rungs = job_.ladder.empty() ? default_ladder() : job_.ladder;
    for (const Rendition &rung : all_rungs) {
        if (job_.skip_qualities.count(rung.name) == 0 ||
            rung.height > source_.info.display_height) {
            continue;
        }
        result.skipped.push_back(rung.name);
        const FrameSize size =
            rendition_size(source_.info.display_width, source_.info.display_height, rung.height);
        const uint64_t estimate_bps =
            static_cast<uint64_t>(rung.video_bitrate_kbps + rung.audio_bitrate_kbps) * 1000;
        if (produced_codecs.empty()) {
            continue; // nothing honest to say about its codec
        }
        VariantStream v;
        v.uri = is_ts ? rung.name + ".m3u8" : rung.name + "/stream.m3u8";
        v.bandwidth = {estimate_bps, estimate_bps};
        v.width = size.width;
        v.height = size.height;
        v.frame_rate = frame_rate;
        v.video_codecs = produced_codecs;
        v.audio_codecs = audio_codecs;
        variants.push_back(v);
        if (!is_ts && !reference_segments.empty()) {
            DashRepresentation rep;
            rep.id = rung.name;
            rep.bandwidth_bps = estimate_bps;
            rep.width = size.width;
            rep.height = size.height;
            rep.frame_rate_num = dash.front().frame_rate_num;
            rep.frame_rate_den = dash.front().frame_rate_den;
            rep.codecs = produced_codecs + (audio_codecs.empty() ? "" : "," + audio_codecs);
            rep.timescale = reference_timescale;
            rep.presentation_time_offset = reference_offset;
            rep.segments = reference_segments;
            dash.push_back(std::move(rep));
        }
    }

    if (!is_ts && job_.write_dash && !dash.empty()) {
        auto manifest = render_dash_manifest(dash);
        if (!manifest) {
            return Unexpected(std::move(manifest).error());
        }
        if (auto written = write_file_atomically(job_.output_dir / "manifest.mpd", *manifest);
            !written) {
            return Unexpected(std::move(written).error());
        }
        result.dash_manifest = job_.output_dir / "manifest.mpd";
    }
    if (outcome_.thumbnail_written) {
        result.thumbnail = job_.output_dir / "thumbnail.jpg";
    }
    if (variants.empty()) {
        return fail(Errc::invalid_argument, "package", job_.output_dir.string(),
                    "nothing to package: every rendition was skipped and there is no original");
    }
    auto master = render_master_playlist(container, variants);
    if (!master) {
        return Unexpected(std::move(master).error());
    }
    // Last, so that master.m3u8 exists only when everything it lists does.
    if (auto written = write_file_atomically(job_.output_dir / "master.m3u8", *master); !written) {
        return Unexpected(std::move(written).error());
    }
    result.master_playlist = job_.output_dir / "master.m3u8";
    return result;
}

Result<TranscodeResult> Pipeline::run(const ProgressCallback &progress,
                                      const CancellationToken *cancel) {
    started_ = Clock::now();
    if (auto valid = validate_job(job_); !valid) {
        return Unexpected(std::move(valid).error());
    }
    if (auto writable = check_output_dir(job_.output_dir); !writable) {
        return Unexpected(std::move(writable).error());
    }
    auto opened = open_source(job_.source);
    if (!opened) {
        return Unexpected(std::move(opened).error());
    }
    source_ = std::move(*opened);
    const AVStream &video = *source_.format->streams[source_.video_stream];
    video_time_base_ = video.time_base;
    anchor_pts_ = video.start_time != AV_NOPTS_VALUE ? video.start_time : 0;
    video_offset_ = av_rescale_q(static_cast<int64_t>(kTimelineOffsetSeconds * 1e6),
                                 AVRational{1, 1000000}, video_time_base_) -
                    anchor_pts_;
    nominal_frame_duration_ = 1;
    if (source_.info.frame_rate > 0) {
        nominal_frame_duration_ = std::max<int64_t>(
            1, std::llround(1.0 / (source_.info.frame_rate * av_q2d(video_time_base_))));
    }

    plan_.dir = job_.output_dir;
    plan_.format = job_.format;
    ladder_ = plan_ladder(job_, source_.info);
    ladder_.erase(
        std::remove_if(ladder_.begin(), ladder_.end(),
                       [&](const Rendition &r) { return job_.skip_qualities.count(r.name) != 0; }),
        ladder_.end());
    for (const Rendition &rung : ladder_) {
        plan_.rendition_names.push_back(rung.name);
    }
    if (job_.include_original) {
        plan_.rendition_names.push_back("original");
    }
    // A master playlist from an earlier run would make this one look complete
    // while it is still being written (or after it failed).
    remove_job_outputs(OutputPlan{job_.output_dir, job_.format, {}});

    auto cleanup_on_error = [&](Error error) -> Result<TranscodeResult> {
        for (auto &thread : threads_) {
            if (thread.joinable()) {
                thread.join();
            }
        }
        renditions_.clear(); // close encoders and muxers before deleting their files
        original_.reset();
        remove_job_outputs(plan_);
        return Unexpected(std::move(error));
    };

    if (auto r = open_renditions(); !r) {
        return cleanup_on_error(std::move(r).error());
    }
    if (auto r = open_audio(); !r) {
        return cleanup_on_error(std::move(r).error());
    }
    if (auto r = open_packagers(); !r) {
        return cleanup_on_error(std::move(r).error());
    }
    if (job_.include_original) {
        open_original();
    }
    report_progress(progress, "transcode");
    start_threads();
    while (!control_.wait_threads(kProgressInterval)) {
        if (cancel != nullptr && cancel->is_cancelled() && !control_.stopped()) {
            control_.fail(
                make_error(Errc::cancelled, "transcode", job_.source.string(), "cancelled"));
        }
        report_progress(progress, "transcode");
    }
    for (auto &thread : threads_) {
        thread.join();
    }
    threads_.clear();
    if (cancel != nullptr && cancel->is_cancelled() && !control_.error()) {
        control_.fail(make_error(Errc::cancelled, "transcode", job_.source.string(), "cancelled"));
    }
    if (auto error = control_.error()) {
        return cleanup_on_error(std::move(*error));
    }
    for (auto &run : renditions_) {
        if (auto finished = run->packager->finish(); !finished) {
            return cleanup_on_error(std::move(finished).error());
        }
    }
    report_progress(progress, "package");
    auto result = finish_outputs();
    if (!result) {
        return cleanup_on_error(std::move(result).error());
    }
    report_progress(progress, "done");
    return result;
}

} // namespace

Result<TranscodeResult> run_transcode(const EncoderRegistry &registry, const Logger &logger,
                                      const TranscodeJob &job, const ProgressCallback &progress,
                                      const CancellationToken *cancel) {
    Pipeline pipeline(registry, logger, job);
    return pipeline.run(progress, cancel);
}

} // namespace vtc::detail
