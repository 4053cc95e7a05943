// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file log.hpp
/// @brief vtc::Logger: the one logging sink, passed in by whoever embeds the library.
#pragma once

#include "export.hpp"

#include <functional>
#include <string_view>

namespace vtc {

/// Severity; the numbers equal the plugin ABI's VTC_LOG_* values.
enum class LogLevel : int { error = 1, warning = 2, info = 3, debug = 4, trace = 5 };

/// "error", "warning", "info", "debug", "trace".
VTC_API std::string_view log_level_name(LogLevel level) noexcept;

/// Parses a level name as above (case-insensitive); false when unknown.
VTC_API bool parse_log_level(std::string_view text, LogLevel &out) noexcept;

/// Receives one complete line (no trailing newline). `component` names the
/// source ("registry", "plugin x264", "engine"). Must be thread-safe: it is
/// called from encoder and plugin threads.
using LogSink =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

/// A sink plus a level filter. Cheap to copy; copies share the sink.
class VTC_API Logger {
public:
    /// Discards everything.
    Logger() = default;
    Logger(LogSink sink, LogLevel max_level) : sink_(std::move(sink)), max_level_(max_level) {}

    /// Writes "level component: message" lines to stderr, one write per line.
    static Logger to_stderr(LogLevel max_level);

    bool enabled(LogLevel level) const noexcept {
        return sink_ && static_cast<int>(level) <= static_cast<int>(max_level_);
    }
    LogLevel max_level() const noexcept { return max_level_; }

    void log(LogLevel level, std::string_view component, std::string_view message) const {
        if (enabled(level)) {
            sink_(level, component, message);
        }
    }

private:
    LogSink sink_;
    LogLevel max_level_ = LogLevel::error;
};

} // namespace vtc
