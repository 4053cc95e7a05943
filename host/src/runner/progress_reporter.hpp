// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file progress_reporter.hpp
/// @brief Posts a job's progress, and by doing so renews its lease, in every phase.
///
/// The runner only records state (step, percent, qualities, source facts); a thread posts
/// it when it changed (at most every `min_spacing`) and at least every `renew_interval`
/// even when nothing changed, so a long download, encode or upload never lets the 30-minute
/// lease lapse. The first job-lost answer (409, 403, 404) stops the reporter and calls
/// `on_lost` once.
#pragma once

#include "api/api_client.hpp"

#include <vtranscode/log.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace vtc::host {

class ProgressReporter {
public:
    struct Options {
        std::chrono::milliseconds min_spacing{2000};
        std::chrono::milliseconds renew_interval{60000};
    };

    /// Starts the posting thread. `api` must outlive the reporter.
    ProgressReporter(ApiClient &api, std::int64_t job_id, Options options, Logger logger,
                     std::function<void(const Error &)> on_lost);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter &) = delete;
    ProgressReporter &operator=(const ProgressReporter &) = delete;

    /// Records the step and overall percent (kept monotonic within the job). Thread-safe.
    void update(const std::string &step, int percent);
    /// Records the per-quality list sent with the next post. Thread-safe.
    void set_qualities(std::vector<QualityProgress> qualities);
    /// Records the probed duration and size; the server stores them only via progress.
    void set_source_info(double duration_seconds, int width, int height);

    /// Posts the current state now, from the calling thread, serialised with the thread.
    /// @return the API result (job lost: Errc::invalid_state, see is_job_lost()).
    Result<void> send_now();

    /// Stops posting for good (before *complete*: a progress call after it would set a lease
    /// on a finished job). Idempotent; waits for an in-flight post to end.
    void stop();

    bool lost() const;
    /// Last time a post succeeded (steady clock); nullopt before the first.
    std::optional<std::chrono::steady_clock::time_point> last_success() const;
    int posts() const;
    /// The lease expiry the server gave in its last progress reply.
    std::optional<SystemTime> claim_expires_at() const;

private:
    void loop();
    Result<void> post_locked_snapshot(std::unique_lock<std::mutex> &lock);

    ApiClient &api_;
    std::int64_t job_id_;
    Options options_;
    Logger logger_;
    std::function<void(const Error &)> on_lost_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::mutex send_mutex_;
    ProgressUpdate state_;
    std::uint64_t version_ = 0;
    std::uint64_t sent_version_ = 0;
    bool stopped_ = false;
    bool lost_ = false;
    int posts_ = 0;
    std::chrono::steady_clock::time_point last_attempt_;
    std::optional<std::chrono::steady_clock::time_point> last_success_;
    std::optional<SystemTime> claim_expires_at_;
    std::stop_source cancel_;
    std::thread thread_;
};

} // namespace vtc::host
