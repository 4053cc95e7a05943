// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One job, in order: progress "download" (proves we own it), download with Range resume,
// transcode, upload each rendition, finalize, complete, verify. In streaming mode the CMAF
// segments already go up during the transcode (LiveSegmentUploader); the upload step then
// sends what is left, the playlists, and finalizes. A ProgressReporter renews
// the lease throughout. Three things can stop a job early, each through one JobStop token
// that the download, the engine and the uploads all watch:
//   * the server took the job back (409, 403/404 on a job call): clean up, no fail call;
//   * shutdown: finish within VLOG_WORKER_SHUTDOWN_GRACE, else hand back without a fail
//     call (the lease lapses; no attempt is used; protocol §4.8);
//   * the transcode stalled: a real failure.
// Real failures call fail with a cause of at most 500 characters; retry is false only for
// a source that cannot be decoded.
#include "runner/job_runner.hpp"

#include "runner/progress_reporter.hpp"
#include "runner/workdir.hpp"
#include "upload/live_uploader.hpp"
#include "upload/uploader.hpp"
#include "util/cancellation.hpp"
#include "util/ids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <set>
#include <thread>

namespace vtc::host {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string_view to_string(JobOutcome outcome) noexcept {
    switch (outcome) {
    case JobOutcome::completed:
        return "completed";
    case JobOutcome::failed:
        return "failed";
    case JobOutcome::lost:
        return "lost";
    case JobOutcome::handed_back:
        return "handed_back";
    case JobOutcome::unknown:
        return "unknown";
    }
    return "unknown";
}

namespace {

enum class Phase : int { download, transcode, upload, completing, done };

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               SteadyClock::now().time_since_epoch())
        .count();
}

std::string join(const std::vector<std::string> &items) {
    std::string out;
    for (const std::string &s : items) {
        out += (out.empty() ? "" : ", ") + s;
    }
    return out.empty() ? "none" : out;
}

} // namespace

JobRunner::JobRunner(const Config &config, ApiClient &api, Transcoder &transcoder,
                     const EncoderInventory &inventory, Metrics &metrics, const LogHub &logs)
    : config_(config), api_(api), transcoder_(transcoder), inventory_(inventory), metrics_(metrics),
      logs_(logs) {}

JobOutcome JobRunner::run(const ClaimedJob &job, const ShutdownSignals &signals) {
    ScopedLogJob log_scope(job.job_id);
    const Logger log = logs_.logger();
    metrics_.job_claimed();
    metrics_.set_current_job(job.job_id);
    metrics_.clear_renditions();
    struct ClearCurrent {
        Metrics &m;
        ~ClearCurrent() { m.set_current_job(0); }
    } clear_current{metrics_};

    log.log(LogLevel::info, "runner",
            fmt::format("claimed job {}: video {} '{}', existing qualities: {}", job.job_id,
                        job.video_id, printable(job.video_slug, 100),
                        join(job.existing_qualities)));
    if (!job.ignored_qualities.empty()) {
        std::vector<std::string> shown;
        for (const std::string &q : job.ignored_qualities) {
            shown.push_back(printable(q, 40));
        }
        log.log(LogLevel::warning, "runner",
                "ignoring unknown existing_qualities from the server: " + join(shown));
    }

    const fs::path dir = job_dir(config_.work_dir, job.job_id);
    const fs::path output = dir / "output";
    std::error_code ec;
    // The same job id comes back on retries; an old output would mix two encodes.
    remove_job_output(dir);
    fs::create_directories(output, ec);
    if (ec) {
        // Without a work directory nothing can run; say why, and let another worker try.
        const std::string cause =
            "cannot create work directory " + output.string() + ": " + ec.message();
        log.log(LogLevel::error, "runner", cause);
        if (Result<FailReply> r =
                api_.fail(job.job_id, cause, true, config_.error_detail_max_chars);
            !r) {
            log.log(LogLevel::error, "runner", "fail call not delivered: " + r.error().message);
        }
        metrics_.job_failed();
        return JobOutcome::failed;
    }
    fs::last_write_time(dir, fs::file_time_type::clock::now(), ec);

    JobStop stop;
    std::atomic<int> phase{static_cast<int>(Phase::download)};
    std::atomic<double> eta_seconds{-1.0};
    std::atomic<std::int64_t> last_progress_ms{steady_ms()};

    ProgressReporter::Options ropts;
    ropts.renew_interval = config_.lease_renew_interval;
    ropts.min_spacing = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(2000),
                                                            config_.lease_renew_interval);
    ProgressReporter reporter(api_, job.job_id, ropts, log, [&](const Error &e) {
        if (stop.request(StopReason::lost)) {
            log.log(LogLevel::warning, "runner", "the server took the job back: " + e.message);
        }
    });

    // Watches shutdown, the grace deadline and stalls; fires `stop` with the reason.
    std::jthread watchdog([&](std::stop_token done) {
        std::optional<SteadyClock::time_point> deadline;
        while (sleep_unless_stopped(done, std::chrono::milliseconds(200))) {
            const Phase p = static_cast<Phase>(phase.load());
            if (p >= Phase::completing || stop.stop_requested()) {
                continue; // complete is seconds away: never interrupt it
            }
            const auto now = SteadyClock::now();
            if (signals.immediate.stop_requested()) {
                stop.request(StopReason::handed_back);
                continue;
            }
            if (signals.graceful.stop_requested()) {
                if (!deadline) {
                    deadline = now + config_.shutdown_grace;
                    log.log(LogLevel::info, "runner",
                            fmt::format("shutdown requested: the job has up to {} s to finish",
                                        config_.shutdown_grace.count()));
                }
                const double remaining = std::chrono::duration<double>(*deadline - now).count();
                const double eta = eta_seconds.load();
                if (remaining <= 0) {
                    stop.request(StopReason::handed_back);
                    continue;
                }
                // Handing back early lets the lease lapse sooner, so the job restarts sooner.
                if (p == Phase::transcode && eta > remaining) {
                    log.log(LogLevel::info, "runner",
                            fmt::format("the encode needs about {:.0f} s more, the grace period "
                                        "has {:.0f} s left: handing the job back now",
                                        eta, remaining));
                    stop.request(StopReason::handed_back);
                    continue;
                }
            }
            if (p == Phase::transcode && config_.stall_timeout.count() > 0 &&
                steady_ms() - last_progress_ms.load() >
                    std::chrono::duration_cast<std::chrono::milliseconds>(config_.stall_timeout)
                        .count()) {
                stop.request(StopReason::stalled);
            }
        }
    });

    auto conclude = [&](const Error &error) -> JobOutcome {
        reporter.stop();
        const StopReason reason = stop.reason();
        if (reason == StopReason::lost || is_job_lost(error)) {
            metrics_.job_lost();
            log.log(LogLevel::warning, "runner",
                    fmt::format("job {} lost ({}); stopped without a fail call", job.job_id,
                                reason == StopReason::lost ? "lease taken back" : error.message));
            remove_job_output(dir);
            return JobOutcome::lost;
        }
        if (reason == StopReason::handed_back) {
            metrics_.job_handed_back();
            std::string lapse = "when its lease lapses";
            if (std::optional<SystemTime> expires = reporter.claim_expires_at()) {
                lapse = "when its lease lapses at " + format_datetime(*expires);
            } else if (job.claim_expires_at) {
                lapse = "when its lease lapses (claimed until " +
                        format_datetime(*job.claim_expires_at) + ")";
            }
            log.log(LogLevel::warning, "runner",
                    fmt::format("shutdown: job {} handed back without a fail call, so none of its "
                                "attempts is used; the server re-queues it {}",
                                job.job_id, lapse));
            remove_job_output(dir);
            return JobOutcome::handed_back;
        }
        const bool stalled = reason == StopReason::stalled;
        const std::string cause = stalled ? fmt::format("transcode stalled: no progress for {} s",
                                                        config_.stall_timeout.count())
                                          : error.to_string();
        const bool retry = stalled || error.code != Errc::corrupt_input;
        log.log(
            LogLevel::error, "runner",
            fmt::format("job {} failed: {} (retry: {})", job.job_id, cause, retry ? "yes" : "no"));
        Result<FailReply> reply =
            api_.fail(job.job_id, cause, retry, config_.error_detail_max_chars);
        if (!reply) {
            if (is_job_lost(reply.error())) {
                metrics_.job_lost();
                log.log(LogLevel::warning, "runner",
                        "fail call found the job gone: " + reply.error().message);
                remove_job_output(dir);
                return JobOutcome::lost;
            }
            log.log(LogLevel::error, "runner", "fail call not delivered: " + reply.error().message);
        } else {
            log.log(LogLevel::info, "runner",
                    fmt::format("server: will retry: {}, attempt {}",
                                reply->will_retry ? "yes" : "no", reply->attempt_number));
        }
        metrics_.job_failed();
        if (retry) {
            remove_job_output(dir); // keep the source: a retry here resumes from it
        } else {
            remove_job_dir(dir);
        }
        return JobOutcome::failed;
    };

    // 1. The first progress call proves the job is ours before any work.
    reporter.update("download", 0);
    if (Result<void> first = reporter.send_now(); !first && is_job_lost(first.error())) {
        return conclude(first.error());
    }

    // 2. Download.
    bool rejected = false;
    const std::string source_name = local_source_name(job.source_filename, rejected);
    if (rejected) {
        log.log(LogLevel::warning, "runner",
                fmt::format("source_filename '{}' from the server rejected (not a plain file "
                            "name); saving the source as {}",
                            printable(*job.source_filename, 80), source_name));
    }
    const fs::path source = dir / source_name;
    Result<DownloadReport> download = api_.download_source(job.video_id, source, stop.token());
    if (!download) {
        return conclude(download.error());
    }
    log.log(LogLevel::info, "runner",
            download->resumed_from > 0
                ? fmt::format("source downloaded: {} bytes (resumed from {})", download->size_bytes,
                              download->resumed_from)
                : fmt::format("source downloaded: {} bytes", download->size_bytes));
    reporter.update("probe", 5);

    // 3. Transcode.
    phase = static_cast<int>(Phase::transcode);
    last_progress_ms = steady_ms();
    const std::set<std::string> existing(job.existing_qualities.begin(),
                                         job.existing_qualities.end());
    TranscodeRequest request;
    request.source = source;
    request.output_dir = output;
    request.format = config_.format;
    request.codec = config_.codec;
    request.segment_seconds = config_.segment_seconds;
    request.write_dash = config_.enable_dash;
    request.include_original = existing.count("original") == 0;
    request.skip_qualities = existing;
    request.backend_preference = backend_preference(inventory_.encoders(), config_.hwaccel);
    request.logger = logs_.job_logger(job.job_id);
    std::atomic<double> best_percent{-1.0};
    const TranscodeProgressFn on_progress = [&](const TranscodeProgress &p) {
        const std::string step = p.stage == "probe"       ? "probe"
                                 : p.stage == "thumbnail" ? "thumbnail"
                                                          : "transcode";
        const double pct = std::clamp(p.percent, 0.0, 100.0);
        reporter.update(step, 5 + static_cast<int>(std::floor(pct * 0.80)));
        std::vector<QualityProgress> qualities;
        for (const std::string &q : existing) {
            qualities.push_back({q, "skipped", 100});
        }
        for (const RenditionProgress &r : p.renditions) {
            if (!is_vlog_quality(r.name)) {
                continue;
            }
            const int rp = static_cast<int>(std::clamp(r.percent, 0.0, 100.0));
            qualities.push_back({r.name, rp >= 100 ? "completed" : "in_progress", rp});
            metrics_.set_rendition_fps(r.name, r.fps);
        }
        reporter.set_qualities(std::move(qualities));
        if (p.duration_seconds) {
            reporter.set_source_info(*p.duration_seconds, p.source_width.value_or(0),
                                     p.source_height.value_or(0));
        }
        eta_seconds = p.eta_seconds;
        double best = best_percent.load();
        while (pct > best && !best_percent.compare_exchange_weak(best, pct)) {
        }
        if (pct > best) {
            last_progress_ms = steady_ms();
        }
    };
    // Streaming mode: each CMAF file goes up as soon as the engine has closed it, so the
    // upload overlaps the encode instead of following it (and renews the lease as it goes).
    Uploader uploader(api_, job.video_id, output, dir / "upload", log);
    std::optional<LiveSegmentUploader> live;
    if (config_.streaming_upload && config_.format == StreamingFormat::cmaf) {
        live.emplace(uploader, log, [&stop, &log] {
            if (stop.request(StopReason::lost)) {
                log.log(LogLevel::warning, "runner", "the server took the job back");
            }
        });
        request.on_file_ready = [&live, &existing](const std::string &rendition,
                                                   const fs::path &file) {
            // Only ladder renditions in the CMAF layout; "original" always goes as a tar.
            if (rendition != "original" && is_vlog_quality(rendition) &&
                existing.count(rendition) == 0 && file.has_parent_path()) {
                live->offer(rendition, file);
            }
        };
    }
    Result<TranscodeOutcome> transcoded = transcoder_.transcode(request, on_progress, stop.token());
    if (!transcoded || stop.stop_requested()) {
        if (live) {
            live->abort();
        }
        return conclude(transcoded ? make_error(Errc::cancelled, "transcode", "", "stopped")
                                   : transcoded.error());
    }
    TranscodeOutcome &outcome = *transcoded;
    std::vector<ProducedRendition> renditions;
    for (ProducedRendition &r : outcome.renditions) {
        if (!is_vlog_quality(r.name) || existing.count(r.name)) {
            log.log(LogLevel::warning, "runner",
                    "engine produced rendition '" + printable(r.name, 40) +
                        "' that is not uploaded");
            continue;
        }
        renditions.push_back(std::move(r));
    }
    if (renditions.empty() && existing.empty()) {
        return conclude(make_error(Errc::internal, "transcode", "", "no rendition was produced"));
    }
    reporter.set_source_info(outcome.duration_seconds, outcome.source_width, outcome.source_height);
    reporter.update("transcode", 85);
    // The server stores duration and size only from progress (complete leaves them at the
    // admin's zeros, §2.5), so make sure this post lands before complete.
    if (Result<void> r = reporter.send_now(); !r && is_job_lost(r.error())) {
        return conclude(r.error());
    }
    log.log(LogLevel::info, "runner",
            fmt::format("transcoded {:.1f} s of {}x{} into {} rendition(s)",
                        outcome.duration_seconds, outcome.source_width, outcome.source_height,
                        renditions.size()));

    // 4. Upload, rendition by rendition, then finalize.
    phase = static_cast<int>(Phase::upload);
    if (live) {
        live->finish(stop.token());
        if (stop.stop_requested()) {
            return conclude(make_error(Errc::cancelled, "upload", "", "stopped"));
        }
        log.log(LogLevel::info, "runner",
                fmt::format("{} segment file(s) sent during the encode{}", live->files_sent(),
                            live->files_deferred() > 0 ? fmt::format(", {} left to the upload step",
                                                                     live->files_deferred())
                                                       : std::string()));
    }
    std::vector<QualityProgress> statuses;
    for (const std::string &q : existing) {
        statuses.push_back({q, "skipped", 100});
    }
    for (const ProducedRendition &r : renditions) {
        statuses.push_back({r.name, "completed", 100});
    }
    for (std::size_t i = 0; i < renditions.size(); ++i) {
        const ProducedRendition &r = renditions[i];
        auto status = std::find_if(statuses.begin(), statuses.end(),
                                   [&](const QualityProgress &q) { return q.name == r.name; });
        status->status = "uploading";
        status->progress = 0;
        reporter.set_qualities(statuses);
        reporter.update("upload", 85 + static_cast<int>(12 * i / renditions.size()));
        Result<std::vector<TarMember>> members = rendition_members(output, r);
        if (!members) {
            return conclude(members.error());
        }
        const bool streaming = config_.streaming_upload &&
                               config_.format == StreamingFormat::cmaf && r.name != "original" &&
                               members->front().name.find('/') != std::string::npos;
        Result<void> sent =
            streaming ? uploader.upload_streaming(
                            r.name, *members,
                            [&, index = static_cast<std::size_t>(status - statuses.begin())](
                                std::uint64_t done, std::uint64_t total) {
                                statuses[index].progress =
                                    total == 0 ? 100 : static_cast<int>(done * 100 / total);
                                reporter.set_qualities(statuses);
                            },
                            stop.token())
                      : uploader.upload_tar(r.name, *members, stop.token());
        if (!sent) {
            return conclude(sent.error());
        }
        status->status = "uploaded";
        status->progress = 100;
        reporter.set_qualities(statuses);
        log.log(LogLevel::info, "runner",
                fmt::format("uploaded {} ({} files, {})", r.name, members->size(),
                            streaming ? "segment by segment" : "tar"));
    }
    reporter.update("finalize", 98);
    if (Result<void> fin = uploader.upload_finalize(outcome, stop.token()); !fin) {
        return conclude(fin.error());
    }

    // 5. Complete. No progress after this point: it would put a lease on a finished job.
    phase = static_cast<int>(Phase::completing);
    reporter.stop();
    if (stop.stop_requested()) {
        return conclude(make_error(Errc::cancelled, "upload", "", "stopped"));
    }
    CompleteRequest complete;
    for (const ProducedRendition &r : renditions) {
        complete.qualities.push_back({r.name, r.width, r.height, r.bitrate_kbps});
    }
    if (outcome.duration_seconds > 0) {
        complete.duration = outcome.duration_seconds;
    }
    if (outcome.source_width > 0 && outcome.source_height > 0) {
        complete.source_width = outcome.source_width;
        complete.source_height = outcome.source_height;
    }
    complete.streaming_format = std::string(to_string(config_.format));
    complete.streaming_codec = std::string(to_string(config_.codec));
    // One token for every retry of this call (the API client resends the same body).
    complete.completion_token = std::to_string(job.job_id) + "-" + uuid4();
    if (Result<void> done = api_.complete(job.job_id, complete); !done) {
        if (is_job_lost(done.error())) {
            return conclude(done.error());
        }
        if (done.error().code == Errc::protocol) {
            phase = static_cast<int>(Phase::done);
            return conclude(done.error());
        }
        log.log(LogLevel::error, "runner",
                fmt::format("complete could not be delivered ({}); keeping the output; if it never "
                            "reached the server the job is re-queued when its lease lapses",
                            done.error().message));
        return JobOutcome::unknown;
    }
    metrics_.job_completed();
    log.log(LogLevel::info, "runner",
            fmt::format("job {} completed with {} rendition(s)", job.job_id, renditions.size()));

    // 6. Verify before deleting anything.
    phase = static_cast<int>(Phase::done);
    Result<VerifyReport> verified = api_.verify_complete(job.job_id);
    if (verified && verified->all_files_present) {
        remove_job_dir(dir);
        log.log(LogLevel::info, "runner",
                "verified: every file is on the server; local output deleted");
    } else if (verified) {
        std::vector<std::string> missing;
        for (const std::string &m : verified->missing_files) {
            missing.push_back(printable(m, 60));
        }
        log.log(
            LogLevel::warning, "runner",
            fmt::format("verify-complete: the server misses {} (video status '{}'); keeping the "
                        "output for up to {} h",
                        join(missing), printable(verified->video_status, 20),
                        config_.keep_unverified.count()));
    } else {
        log.log(LogLevel::warning, "runner",
                fmt::format("verify-complete gave no answer ({}); treated as unknown (the server "
                            "has a known bug here), the output is kept for up to {} h",
                            verified.error().message, config_.keep_unverified.count()));
    }
    sweep_work_dir(config_.work_dir, config_.keep_unverified, config_.keep_max_jobs, 0, log);
    return JobOutcome::completed;
}

} // namespace vtc::host
