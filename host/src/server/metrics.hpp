// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file metrics.hpp
/// @brief The worker's Prometheus metrics and the shared state behind /ready.
#pragma once

#include "runner/encoder_inventory.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vtc::host {

/// Counters and gauges. Thread-safe; every method is cheap.
class Metrics {
public:
    void job_claimed() { ++claimed_; }
    void job_completed() { ++completed_; }
    void job_failed() { ++failed_; }
    void job_lost() { ++lost_; }
    void job_handed_back() { ++handed_back_; }
    void set_current_job(std::int64_t job_id) { current_job_ = job_id; }
    void add_downloaded(std::uint64_t bytes) { downloaded_ += bytes; }
    void add_uploaded(std::uint64_t bytes) { uploaded_ += bytes; }

    /// Encode speed of one rendition of the running job.
    void set_rendition_fps(const std::string &rendition, double fps);
    /// Forgets the renditions of the previous job.
    void clear_renditions();

    /// One failed API exchange (`code`: HTTP status, "network" or "timeout").
    void api_error(const std::string &endpoint, const std::string &code);

    /// A heartbeat succeeded now.
    void heartbeat_ok(std::chrono::steady_clock::time_point at);
    /// Seconds since the last successful heartbeat; nullopt when there was none.
    std::optional<double> heartbeat_age_seconds(std::chrono::steady_clock::time_point now) const;

    std::int64_t current_job() const { return current_job_.load(); }
    std::uint64_t jobs_claimed() const { return claimed_.load(); }
    std::uint64_t jobs_completed() const { return completed_.load(); }
    std::uint64_t jobs_failed() const { return failed_.load(); }
    std::uint64_t jobs_lost() const { return lost_.load(); }
    std::uint64_t jobs_handed_back() const { return handed_back_.load(); }
    std::uint64_t bytes_downloaded() const { return downloaded_.load(); }
    std::uint64_t bytes_uploaded() const { return uploaded_.load(); }

    /// Prometheus text exposition format 0.0.4, in a fixed order.
    /// `encoders` gives the per-backend sessions in use; `build` the build_info labels.
    std::string render(std::chrono::steady_clock::time_point now,
                       const std::vector<EncoderStatus> &encoders,
                       const std::vector<std::pair<std::string, std::string>> &build) const;

private:
    std::atomic<std::uint64_t> claimed_{0}, completed_{0}, failed_{0}, lost_{0}, handed_back_{0};
    std::atomic<std::int64_t> current_job_{0};
    std::atomic<std::uint64_t> downloaded_{0}, uploaded_{0};
    std::atomic<std::int64_t> last_heartbeat_ns_{-1};
    mutable std::mutex mutex_;
    std::map<std::string, double> fps_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> api_errors_;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
std::string prometheus_label(const std::string &value);

/// What /ready reports. Written by the heartbeat loop and main; read by the health server.
struct WorkerState {
    std::atomic<bool> api_connected{false};
    std::atomic<bool> version_ok{true};
    std::atomic<bool> shutting_down{false};
    std::atomic<bool> busy{false};
};

/// The checks behind /ready and `vtranscode-worker check`.
struct Readiness {
    bool ready = false;
    std::vector<std::pair<std::string, bool>> checks; ///< name, passed (fixed order)
    std::vector<std::string> failing;                 ///< names of failed checks
};

/// api_connected (last API exchange succeeded), heartbeat_recent (a heartbeat within
/// 3 × the interval), encoder_available (an allowed encoder for the configured codec is
/// usable) and version_ok.
Readiness evaluate_readiness(const WorkerState &state, const Metrics &metrics,
                             const std::vector<EncoderStatus> &encoders, HwaccelType hwaccel,
                             StreamingCodec codec, std::chrono::seconds heartbeat_interval,
                             std::chrono::steady_clock::time_point now);

} // namespace vtc::host
