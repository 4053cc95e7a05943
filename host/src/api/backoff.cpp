// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/backoff.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace vtc::host {

std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt, double u) {
    const int exponent = std::clamp(attempt - 1, 0, 30);
    const double raw = static_cast<double>(policy.base_delay.count()) * std::ldexp(1.0, exponent);
    const double capped = std::min(raw, static_cast<double>(policy.max_delay.count()));
    const double lo = 1.0 - policy.jitter;
    const double hi = 1.0 + policy.jitter;
    const double factor = std::clamp(u, lo, hi);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(capped * factor)));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy &policy, int attempt,
                                        std::mt19937_64 &rng) {
    std::uniform_real_distribution<double> dist(1.0 - policy.jitter, 1.0 + policy.jitter);
    return backoff_delay(policy, attempt, dist(rng));
}

namespace {

std::optional<std::chrono::seconds> unit_seconds(std::string word) {
    for (char &c : word) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!word.empty() && word.back() == 's') {
        word.pop_back();
    }
    if (word == "second") {
        return std::chrono::seconds(1);
    }
    if (word == "minute") {
        return std::chrono::seconds(60);
    }
    if (word == "hour") {
        return std::chrono::seconds(3600);
    }
    if (word == "day") {
        return std::chrono::seconds(86400);
    }
    return std::nullopt;
}

} // namespace

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
    // Tokens: a number, then "per" or "/", then an optional count, then the unit.
    std::string normalized;
    for (char c : text) {
        normalized += (c == '/') ? ' ' : c;
    }
    std::vector<std::string> words;
    std::string current;
    for (char c : normalized) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty()) {
                words.push_back(current);
                current.clear();
            }
        } else {
            current += c;
        }
    }
    if (!current.empty()) {
        words.push_back(current);
    }
    std::size_t i = 0;
    auto number = [&](long &out) {
        if (i >= words.size()) {
            return false;
        }
        const std::string &w = words[i];
        auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
        if (ec != std::errc() || ptr != w.data() + w.size() || out <= 0) {
            return false;
        }
        ++i;
        return true;
    };
    RateLimit limit;
    if (!number(limit.requests)) {
        return std::nullopt;
    }
    if (i < words.size() && words[i] == "per") {
        ++i;
    }
    long multiplier = 1;
    const std::size_t before = i;
    if (!number(multiplier)) {
        i = before;
        multiplier = 1;
    }
    if (i >= words.size()) {
        return std::nullopt;
    }
    const std::optional<std::chrono::seconds> unit = unit_seconds(words[i]);
    if (!unit) {
        return std::nullopt;
    }
    limit.period = *unit * multiplier;
    return limit;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    long seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || seconds < 0) {
        return std::nullopt;
    }
    return std::chrono::seconds(std::min<long>(seconds, 3600));
}

std::chrono::milliseconds rate_limit_delay(std::optional<std::chrono::seconds> retry_after,
                                           std::optional<RateLimit> limit,
                                           std::chrono::milliseconds exponential) {
    using std::chrono::milliseconds;
    if (retry_after) {
        return std::max<milliseconds>(*retry_after, milliseconds(100));
    }
    if (limit && limit->requests > 0) {
        const milliseconds period = limit->period;
        const milliseconds spacing = period / limit->requests;
        return std::min(std::max(spacing, exponential), period);
    }
    return exponential;
}

} // namespace vtc::host
