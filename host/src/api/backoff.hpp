// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file backoff.hpp
/// @brief Jittered exponential backoff and the server's rate-limit hints.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace vtc::host {

/// How often and how patiently one API call is retried.
struct RetryPolicy {
    int max_attempts = 4;                       ///< including the first one
    std::chrono::milliseconds base_delay{1000}; ///< delay before the 2nd attempt
    std::chrono::milliseconds max_delay{30000}; ///< cap of one delay
    double jitter = 0.25;                       ///< each delay is scaled by U(1-j, 1+j)
    bool retry_500 = true;                      ///< false where 500 is a known bug mode
};

/// Delay before attempt `attempt + 1` (attempt counts from 1):
/// base × 2^(attempt-1), capped at max_delay, then scaled by the jitter factor `u`
/// in [1 - jitter, 1 + jitter]. Pure function so tests can pin it.
std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt, double u);

/// Same, drawing the jitter factor from `rng`.
std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt,
                                        std::mt19937_64 &rng);

/// A rate limit as slowapi reports it in the 429 body's "error" field
/// ("300 per 1 minute", "5 per 1 hour", "600/minute").
struct RateLimit {
    long requests = 0;
    std::chrono::seconds period{0};
};

/// Parses slowapi's limit text. @return nullopt when the text is not understood.
std::optional<RateLimit> parse_rate_limit(std::string_view text);

/// Parses a Retry-After header given in seconds (HTTP-dates are not used by slowapi).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

/// How long to wait after a 429: the server's Retry-After when present; otherwise the
/// spacing the limit allows (period / requests), raised to the exponential delay and
/// capped at the whole period, which is when a fixed window surely resets.
std::chrono::milliseconds rate_limit_delay(std::optional<std::chrono::seconds> retry_after,
                                           std::optional<RateLimit> limit,
                                           std::chrono::milliseconds exponential);

} // namespace vtc::host
