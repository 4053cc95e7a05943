// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file dispatcher.hpp
/// @brief The claim loop: Redis hints first when configured (the HTTP claim `?job_id=`
///        decides), then a plain HTTP claim; one job at a time; backoff on errors.
#pragma once

#include "api/api_client.hpp"
#include "config/config.hpp"
#include "dispatch/redis.hpp"
#include "runner/encoder_inventory.hpp"
#include "runner/job_runner.hpp"
#include "server/metrics.hpp"

#include <vtranscode/log.hpp>

#include <functional>
#include <random>
#include <stop_token>

namespace vtc::host {

/// Delay after `errors` consecutive claim failures: poll × 2^errors, at most 300 s and at
/// least the poll interval, with ±20 % jitter factor `u` (0.8..1.2). The error count resets
/// after any successful claim call, not only after a job (fixes protocol §12.23).
std::chrono::milliseconds claim_error_delay(std::chrono::seconds poll, int errors, double u);

class Dispatcher {
public:
    /// `redis` may be null (database mode, or no VLOG_REDIS_URL). `after_job` runs after
    /// every job (the heartbeat nudge).
    Dispatcher(const Config &config, ApiClient &api, JobRunner &runner,
               const EncoderInventory &inventory, WorkerState &state, Logger logger,
               RedisQueue *redis, std::function<void()> after_job);

    /// Claims and runs jobs until `stop_claiming` fires (a signal, a stop/restart command,
    /// or a version mismatch) and the job in progress has ended.
    void run(std::stop_token stop_claiming, const ShutdownSignals &signals);

    int jobs_run() const { return jobs_run_; }

private:
    const Config &config_;
    ApiClient &api_;
    JobRunner &runner_;
    const EncoderInventory &inventory_;
    WorkerState &state_;
    Logger logger_;
    RedisQueue *redis_;
    std::function<void()> after_job_;
    std::mt19937_64 rng_{std::random_device{}()};
    int jobs_run_ = 0;
};

} // namespace vtc::host
