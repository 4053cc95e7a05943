// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "runner/engine_transcoder.hpp"

#include <vtranscode/engine.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace vtc::host {

namespace {

/// VLog knows two GPU vendors (protocol §5.6); VA-API is Intel's path there.
std::string vendor_of(const std::string &plugin) {
    if (plugin == "nvenc") {
        return "nvidia";
    }
    if (plugin == "vaapi" || plugin == "qsv") {
        return "intel";
    }
    return "";
}

class EngineInventory final : public EncoderInventory {
public:
    explicit EngineInventory(std::shared_ptr<const Engine> engine) : engine_(std::move(engine)) {}

    std::vector<EncoderStatus> encoders() const override {
        std::vector<EncoderStatus> out;
        if (!engine_) {
            return out;
        }
        const EncoderRegistry &registry = engine_->registry();
        const std::map<std::string, uint32_t> in_use = registry.sessions_in_use();
        for (const EncoderInfo &e : registry.encoders()) {
            EncoderStatus s;
            if (e.codec != VTC_CODEC_H264 && e.codec != VTC_CODEC_HEVC &&
                e.codec != VTC_CODEC_AV1) {
                continue;
            }
            s.codec = std::string(vtc::codec_name(e.codec));
            s.backend = e.id;
            s.hardware = e.is_hardware();
            s.vendor = s.hardware ? vendor_of(e.plugin) : "";
            s.device = e.device_name();
            s.usable = e.available && e.rank > 0;
            s.reason = !e.available  ? e.unavailable_reason
                       : e.rank <= 0 ? "rank 0: only used when named (VTC_ENCODER_RANKS)"
                                     : "";
            s.max_sessions = static_cast<int>(e.caps.max_sessions);
            auto it = in_use.find(e.id);
            s.sessions_in_use = it == in_use.end() ? 0 : static_cast<int>(it->second);
            out.push_back(std::move(s));
        }
        return out;
    }

private:
    std::shared_ptr<const Engine> engine_;
};

class EngineTranscoder final : public Transcoder {
public:
    explicit EngineTranscoder(std::shared_ptr<const Engine> engine) : engine_(std::move(engine)) {}

    Result<TranscodeOutcome> transcode(const TranscodeRequest &request,
                                       const TranscodeProgressFn &progress,
                                       std::stop_token cancel) override {
        if (!engine_) {
            return fail(Errc::unsupported, "transcode", "",
                        "the transcoding engine could not start");
        }
        // Probe first: a source that is not media fails here with the engine's own words,
        // and the duration and size reach the server before the long encode starts.
        Result<SourceInfo> source = engine_->probe(request.source);
        if (!source) {
            return Unexpected(std::move(source).error());
        }
        const int width = source->display_width > 0 ? source->display_width : source->width;
        const int height = source->display_height > 0 ? source->display_height : source->height;
        if (progress) {
            TranscodeProgress p;
            p.stage = "probe";
            p.duration_seconds = source->duration_seconds;
            p.source_width = width;
            p.source_height = height;
            progress(p);
        }

        TranscodeJob job;
        job.source = request.source;
        job.output_dir = request.output_dir;
        job.format =
            request.format == StreamingFormat::hls_ts ? OutputFormat::hls_ts : OutputFormat::cmaf;
        job.codec = request.codec == StreamingCodec::hevc  ? VideoCodec::hevc
                    : request.codec == StreamingCodec::av1 ? VideoCodec::av1
                                                           : VideoCodec::h264;
        job.segment_seconds = request.segment_seconds;
        job.backend_preference = request.backend_preference;
        job.thread_budget = available_cpus();
        job.skip_qualities = request.skip_qualities;
        job.skip_qualities.erase("original");
        job.include_original = request.include_original;
        job.write_dash = request.write_dash;
        job.write_thumbnail = true;
        if (request.on_file_ready) {
            job.on_file_ready = [&request](const FileReady &ready) {
                request.on_file_ready(ready.rendition, ready.file);
            };
        }

        CancellationToken token;
        std::stop_callback bridge(cancel, [&token] { token.cancel(); });
        const ProgressCallback on_progress = [&](const Progress &p) {
            if (!progress) {
                return;
            }
            TranscodeProgress out;
            out.stage = p.stage;
            out.percent = p.percent;
            out.eta_seconds = p.eta_seconds;
            out.duration_seconds = source->duration_seconds;
            out.source_width = width;
            out.source_height = height;
            for (const vtc::RenditionProgress &r : p.renditions) {
                double pct = r.finished ? 100.0 : 0.0;
                if (!r.finished && r.frames_total > 0) {
                    pct = std::min(99.0, 100.0 * static_cast<double>(r.frames_encoded) /
                                             static_cast<double>(r.frames_total));
                }
                out.renditions.push_back({r.name, pct, r.fps});
            }
            progress(out);
        };
        Result<TranscodeResult> result = engine_->transcode(job, on_progress, &token);
        if (!result) {
            return Unexpected(std::move(result).error());
        }
        TranscodeOutcome outcome;
        outcome.duration_seconds = result->source.duration_seconds;
        outcome.source_width = width;
        outcome.source_height = height;
        for (const RenditionResult &r : result->renditions) {
            ProducedRendition p;
            p.name = r.name;
            p.width = r.width;
            p.height = r.height;
            // Measured, not the preset's nominal value (§12.18).
            p.bitrate_kbps =
                static_cast<int>(std::llround(static_cast<double>(r.average_bitrate_bps) / 1000.0));
            p.codecs = r.codecs;
            p.files = r.files;
            outcome.renditions.push_back(std::move(p));
        }
        outcome.master = result->master_playlist;
        outcome.manifest = result->dash_manifest;
        outcome.thumbnail = result->thumbnail;
        return outcome;
    }

private:
    std::shared_ptr<const Engine> engine_;
};

} // namespace

unsigned available_cpus() {
    const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
    double quota_cpus = 0;
    if (std::ifstream v2("/sys/fs/cgroup/cpu.max"); v2) {
        std::string quota;
        double period = 0;
        if (v2 >> quota >> period && quota != "max" && period > 0) {
            quota_cpus = std::stod(quota) / period;
        }
    } else if (std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
               p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
               q && p) {
        double quota = 0, period = 0;
        if (q >> quota && p >> period && quota > 0 && period > 0) {
            quota_cpus = quota / period;
        }
    }
    if (quota_cpus > 0) {
        return std::clamp(static_cast<unsigned>(std::ceil(quota_cpus)), 1u, hardware);
    }
    return hardware;
}

EngineServices make_engine_services(const Config &config, Logger logger) {
    // The Intel plugins take their default render node from the environment (their
    // query_caps has no config, and runs in the probe child, which inherits it). An
    // operator's explicit VTC_* setting wins over VLog's variable.
    ::setenv("VTC_VAAPI_DEVICE", config.vaapi_device.c_str(), 0);
    ::setenv("VTC_QSV_DEVICE", config.vaapi_device.c_str(), 0);
    EngineOptions options;
    options.registry.logger = logger;
    options.logger = logger;
    Result<std::unique_ptr<Engine>> engine = Engine::create(std::move(options));
    EngineServices services;
    if (!engine) {
        logger.log(LogLevel::error, "engine",
                   "the transcoding engine could not start: " + engine.error().to_string());
        services.transcoder = std::make_unique<EngineTranscoder>(nullptr);
        services.inventory = std::make_unique<EngineInventory>(nullptr);
        return services;
    }
    std::shared_ptr<const Engine> shared(std::move(*engine));
    int available = 0;
    for (const EncoderInfo &e : shared->registry().encoders()) {
        available += e.available ? 1 : 0;
    }
    logger.log(LogLevel::info, "engine",
               fmt::format("{} encoder(s) found, {} available; {} CPU(s) for encoding",
                           shared->registry().encoders().size(), available, available_cpus()));
    services.transcoder = std::make_unique<EngineTranscoder>(shared);
    services.inventory = std::make_unique<EngineInventory>(shared);
    return services;
}

} // namespace vtc::host
