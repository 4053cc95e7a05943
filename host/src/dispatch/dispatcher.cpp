// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatch/dispatcher.hpp"

#include "util/cancellation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vtc::host {

using std::chrono::milliseconds;

std::chrono::milliseconds claim_error_delay(std::chrono::seconds poll, int errors, double u) {
    const double poll_ms =
        static_cast<double>(std::chrono::duration_cast<milliseconds>(poll).count());
    const double raw = std::min(300000.0, poll_ms * std::ldexp(1.0, std::clamp(errors, 0, 10)));
    const double jittered = raw * std::clamp(u, 0.8, 1.2);
    return milliseconds(static_cast<std::int64_t>(std::max(poll_ms, jittered)));
}

Dispatcher::Dispatcher(const Config &config, ApiClient &api, JobRunner &runner,
                       const EncoderInventory &inventory, WorkerState &state, Logger logger,
                       RedisQueue *redis, std::function<void()> after_job)
    : config_(config), api_(api), runner_(runner), inventory_(inventory), state_(state),
      logger_(std::move(logger)), redis_(redis), after_job_(std::move(after_job)) {}

void Dispatcher::run(std::stop_token stop_claiming, const ShutdownSignals &signals) {
    int errors = 0;
    std::string last_message;
    bool no_encoder_logged = false;
    const milliseconds poll = std::chrono::duration_cast<milliseconds>(config_.poll_interval);
    while (!stop_claiming.stop_requested()) {
        if (!state_.version_ok) {
            return; // the heartbeat said version_ok: false; exit gracefully
        }
        // Without an encoder for the configured codec every job would fail and burn one of
        // its three attempts: wait instead (and /ready says why).
        if (!has_usable_encoder(inventory_.encoders(), config_.hwaccel, config_.codec)) {
            if (!no_encoder_logged) {
                logger_.log(
                    LogLevel::error, "dispatch",
                    fmt::format("no usable {} encoder (VLOG_HWACCEL_TYPE={}): not claiming jobs",
                                to_string(config_.codec), to_string(config_.hwaccel)));
                no_encoder_logged = true;
            }
            sleep_unless_stopped(stop_claiming, poll);
            continue;
        }
        no_encoder_logged = false;

        std::optional<StreamMessage> hint;
        bool waited_on_redis = false;
        if (redis_ != nullptr) {
            hint = redis_->next();
            waited_on_redis = redis_->available();
            if (stop_claiming.stop_requested()) {
                return; // the hint stays pending: another worker reclaims it
            }
        }
        std::optional<ClaimedJob> job;
        bool claim_failed = false;
        if (hint) {
            Result<ClaimReply> reply = api_.claim(hint->job_id);
            if (!reply) {
                claim_failed = true;
                logger_.log(LogLevel::warning, "dispatch",
                            fmt::format("targeted claim of job {} failed: {}", hint->job_id,
                                        reply.error().message));
            } else if (reply->job) {
                job = std::move(reply->job);
            } else {
                // Someone else has it, or it is done: the hint is spent.
                logger_.log(
                    LogLevel::debug, "dispatch",
                    fmt::format("stream hint for job {}: {}", hint->job_id, reply->message));
                redis_->ack(*hint);
                hint.reset();
            }
        }
        if (!job && !claim_failed) {
            // The database stays authoritative: always poll after an empty read.
            Result<ClaimReply> reply = api_.claim();
            if (!reply) {
                claim_failed = true;
                const milliseconds delay =
                    claim_error_delay(config_.poll_interval, ++errors,
                                      std::uniform_real_distribution<double>(0.8, 1.2)(rng_));
                logger_.log(LogLevel::warning, "dispatch",
                            fmt::format("claim failed: {}; next try in {} ms",
                                        reply.error().message, delay.count()));
                sleep_unless_stopped(stop_claiming, delay);
                continue;
            }
            errors = 0;
            if (reply->job) {
                job = std::move(reply->job);
            } else if (reply->message != last_message) {
                // "No jobs available", "Waiting for GPU workers", version messages: log changes.
                logger_.log(reply->message == "No jobs available" ? LogLevel::debug
                                                                  : LogLevel::info,
                            "dispatch", "no job: " + reply->message);
                last_message = reply->message;
            }
        }
        if (claim_failed && !job) {
            sleep_unless_stopped(stop_claiming, poll);
            continue;
        }
        if (!job) {
            // A blocking stream read already waited; otherwise sleep the poll interval.
            if (!waited_on_redis) {
                sleep_unless_stopped(stop_claiming, poll);
            }
            continue;
        }
        last_message.clear();
        state_.busy = true;
        const JobOutcome outcome = runner_.run(*job, signals);
        state_.busy = false;
        ++jobs_run_;
        if (hint) {
            redis_->ack(*hint);
        }
        logger_.log(LogLevel::info, "dispatch",
                    fmt::format("job {} ended: {}", job->job_id, to_string(outcome)));
        if (after_job_) {
            after_job_();
        }
    }
}

} // namespace vtc::host
