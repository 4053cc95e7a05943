// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file cancellation.hpp
/// @brief Stop tokens for the worker host: interruptible sleeps and a reasoned job stop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace vtc::host {

/// Sleeps for `duration` unless `token` fires first.
/// @return true when the full duration elapsed, false when the token fired.
/// Thread-safe; any number of threads may sleep on the same token.
inline bool sleep_unless_stopped(std::stop_token token, std::chrono::milliseconds duration) {
    if (token.stop_requested()) {
        return false;
    }
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, token, duration, [] { return false; });
    return !token.stop_requested();
}

/// Why a running job was stopped before it finished.
enum class StopReason : int {
    none = 0,
    lost,        ///< the server took the job back (409, or 403/404 on a job-scoped call)
    handed_back, ///< shutdown: the job could not finish within the grace period
    stalled      ///< the transcode made no progress for the stall timeout
};

/// A stop source that remembers the first reason it was given.
/// Thread-safe: request() may race from the reporter, the watchdog and the signal thread.
class JobStop {
public:
    /// Requests a stop; the first reason wins. @return true when this call set it.
    bool request(StopReason reason) {
        int expected = static_cast<int>(StopReason::none);
        const bool first = reason_.compare_exchange_strong(expected, static_cast<int>(reason));
        source_.request_stop();
        return first;
    }
    StopReason reason() const { return static_cast<StopReason>(reason_.load()); }
    bool stop_requested() const { return source_.stop_requested(); }
    std::stop_token token() const { return source_.get_token(); }

private:
    std::stop_source source_;
    std::atomic<int> reason_{static_cast<int>(StopReason::none)};
};

} // namespace vtc::host
