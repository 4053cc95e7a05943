// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <vtranscode/log.hpp>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace vtc {

std::string_view log_level_name(LogLevel level) noexcept {
    switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    case LogLevel::trace: return "trace";
    }
    return "unknown";
}

bool parse_log_level(std::string_view text, LogLevel &out) noexcept {
    std::string lower;
    for (char c : text) {
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    for (LogLevel level : {LogLevel::error, LogLevel::warning, LogLevel::info, LogLevel::debug,
                           LogLevel::trace}) {
        if (lower == log_level_name(level)) {
            out = level;
            return true;
        }
    }
    if (lower == "warn") {
        out = LogLevel::warning;
        return true;
    }
    return false;
}

Logger Logger::to_stderr(LogLevel max_level) {
    // One mutex shared by every copy, so lines from encoder threads never interleave.
    auto lock = std::make_shared<std::mutex>();
    return Logger(
        [lock](LogLevel level, std::string_view component, std::string_view message) {
            std::string line;
            line.reserve(component.size() + message.size() + 16);
            line += log_level_name(level);
            line += ' ';
            if (!component.empty()) {
                line += component;
                line += ": ";
            }
            line += message;
            line += '\n';
            std::lock_guard<std::mutex> guard(*lock);
            std::fwrite(line.data(), 1, line.size(), stderr);
        },
        max_level);
}

} // namespace vtc
