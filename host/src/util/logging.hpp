// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file logging.hpp
/// @brief The host's log sink: one line per event, text or JSON, with job and request ids,
///        secrets redacted, and a ring buffer of recent lines for the `get_logs` command.
#pragma once

#include <vtranscode/log.hpp>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vtc::host {

enum class LogFormat { text, json };

/// Per-thread context added to every line written from that thread.
struct LogContext {
    std::int64_t job_id = 0; ///< 0 when no job
    std::string request_id;  ///< X-Request-ID of the API call in progress; empty when none
};

/// The calling thread's context (never null).
LogContext &thread_log_context();

/// Sets the thread's job id for the scope; restores the previous one afterwards.
class ScopedLogJob {
public:
    explicit ScopedLogJob(std::int64_t job_id);
    ~ScopedLogJob();
    ScopedLogJob(const ScopedLogJob &) = delete;
    ScopedLogJob &operator=(const ScopedLogJob &) = delete;

private:
    std::int64_t previous_;
};

/// Sets the thread's request id for the scope; restores the previous one afterwards.
class ScopedRequestId {
public:
    explicit ScopedRequestId(std::string request_id);
    ~ScopedRequestId();
    ScopedRequestId(const ScopedRequestId &) = delete;
    ScopedRequestId &operator=(const ScopedRequestId &) = delete;

private:
    std::string previous_;
};

/// Owns the output stream and formatting. Shared by every Logger it hands out.
/// Thread-safe: lines from any thread are written whole, never interleaved.
class LogHub {
public:
    /// `out` is borrowed and must outlive the hub (stderr in the worker).
    LogHub(LogFormat format, LogLevel max_level, std::FILE *out);

    /// Strings that must never reach the output (API key, admin secret, Redis password).
    /// Every occurrence in a message is replaced by "[redacted]". Empty strings are ignored.
    void add_secret(std::string secret);

    /// A vtc::Logger writing through this hub with the calling thread's context.
    Logger logger() const;

    /// A logger that stamps every line with `job_id`, whatever thread it is called from
    /// (for the engine, whose threads do not carry the host's context).
    Logger job_logger(std::int64_t job_id) const;

    /// Up to `count` most recent formatted lines, oldest first.
    std::vector<std::string> recent_lines(std::size_t count) const;

    /// Formats one line without writing it (exposed for tests).
    std::string format_line(LogLevel level, std::string_view component, std::string_view message,
                            const LogContext &context) const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

/// Replaces every occurrence of each secret in `text` by "[redacted]".
std::string redact(std::string text, const std::vector<std::string> &secrets);

/// Appends `text` to `out` as a JSON string body (no quotes), escaping as RFC 8259 requires.
void append_json_escaped(std::string &out, std::string_view text);

} // namespace vtc::host
