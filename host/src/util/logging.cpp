// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/logging.hpp"

#include "util/time.hpp"

#include <chrono>
#include <cstdio>

namespace vtc::host {

namespace {
constexpr std::size_t ring_capacity = 1000;
} // namespace

struct LogHub::State {
    LogFormat format;
    LogLevel max_level;
    std::FILE *out;
    mutable std::mutex mutex;
    std::vector<std::string> secrets;
    std::deque<std::string> ring;
};

LogContext &thread_log_context() {
    thread_local LogContext context;
    return context;
}

ScopedLogJob::ScopedLogJob(std::int64_t job_id) : previous_(thread_log_context().job_id) {
    thread_log_context().job_id = job_id;
}
ScopedLogJob::~ScopedLogJob() {
    thread_log_context().job_id = previous_;
}

ScopedRequestId::ScopedRequestId(std::string request_id)
    : previous_(std::move(thread_log_context().request_id)) {
    thread_log_context().request_id = std::move(request_id);
}
ScopedRequestId::~ScopedRequestId() {
    thread_log_context().request_id = std::move(previous_);
}

std::string redact(std::string text, const std::vector<std::string> &secrets) {
    for (const std::string &secret : secrets) {
        if (secret.empty()) {
            continue;
        }
        std::size_t pos = 0;
        while ((pos = text.find(secret, pos)) != std::string::npos) {
            text.replace(pos, secret.size(), "[redacted]");
            pos += 10;
        }
    }
    return text;
}

void append_json_escaped(std::string &out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
}

LogHub::LogHub(LogFormat format, LogLevel max_level, std::FILE *out)
    : state_(std::make_shared<State>()) {
    state_->format = format;
    state_->max_level = max_level;
    state_->out = out;
}

void LogHub::add_secret(std::string secret) {
    if (secret.empty()) {
        return;
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->secrets.push_back(std::move(secret));
}

std::string LogHub::format_line(LogLevel level, std::string_view component,
                                std::string_view message, const LogContext &context) const {
    std::vector<std::string> secrets;
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        secrets = state_->secrets;
    }
    // Redact before flattening: a secret split by a newline replacement would slip through.
    std::string clean = redact(std::string(message), secrets);
    const std::string ts = format_datetime(std::chrono::system_clock::now());
    std::string line;
    line.reserve(clean.size() + 96);
    if (state_->format == LogFormat::json) {
        line += "{\"ts\":\"";
        line += ts;
        line += "\",\"level\":\"";
        line += log_level_name(level);
        line += "\",\"component\":\"";
        append_json_escaped(line, component);
        line += "\",\"msg\":\"";
        append_json_escaped(line, clean);
        line += '"';
        if (context.job_id != 0) {
            line += ",\"job_id\":";
            line += std::to_string(context.job_id);
        }
        if (!context.request_id.empty()) {
            line += ",\"request_id\":\"";
            append_json_escaped(line, context.request_id);
            line += '"';
        }
        line += '}';
    } else {
        for (char &c : clean) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
        line += ts;
        line += ' ';
        line += log_level_name(level);
        line += ' ';
        line += component;
        line += ": ";
        line += clean;
        if (context.job_id != 0) {
            line += " job_id=";
            line += std::to_string(context.job_id);
        }
        if (!context.request_id.empty()) {
            line += " request_id=";
            line += context.request_id;
        }
    }
    return line;
}

Logger LogHub::logger() const {
    LogHub self = *this;
    return Logger(
        [self](LogLevel level, std::string_view component, std::string_view message) {
            std::string line = self.format_line(level, component, message, thread_log_context());
            std::lock_guard<std::mutex> lock(self.state_->mutex);
            self.state_->ring.push_back(line);
            if (self.state_->ring.size() > ring_capacity) {
                self.state_->ring.pop_front();
            }
            line += '\n';
            std::fwrite(line.data(), 1, line.size(), self.state_->out);
            std::fflush(self.state_->out);
        },
        state_->max_level);
}

Logger LogHub::job_logger(std::int64_t job_id) const {
    Logger base = logger();
    return Logger(
        [base, job_id](LogLevel level, std::string_view component, std::string_view message) {
            ScopedLogJob scope(job_id);
            base.log(level, component, message);
        },
        base.max_level());
}

std::vector<std::string> LogHub::recent_lines(std::size_t count) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const std::size_t n = std::min(count, state_->ring.size());
    return {state_->ring.end() - static_cast<std::ptrdiff_t>(n), state_->ring.end()};
}

} // namespace vtc::host
