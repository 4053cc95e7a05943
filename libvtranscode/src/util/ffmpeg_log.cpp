// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/ffmpeg_log.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace vtc::detail {
namespace {

std::mutex g_mutex;
std::shared_ptr<const Logger> g_logger;

LogLevel map_level(int av_level) {
    if (av_level <= AV_LOG_ERROR) {
        return LogLevel::warning;
    }
    if (av_level <= AV_LOG_WARNING) {
        return LogLevel::info;
    }
    if (av_level <= AV_LOG_INFO) {
        return LogLevel::debug;
    }
    return LogLevel::trace;
}

void callback(void *avcl, int av_level, const char *format, va_list args) {
    std::shared_ptr<const Logger> logger;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        logger = g_logger;
    }
    const LogLevel level = map_level(av_level);
    if (!logger || !logger->enabled(level)) {
        return;
    }
    // FFmpeg may build one line from several calls; keep the pieces per thread
    // until the newline arrives.
    thread_local std::string pending;
    thread_local int print_prefix = 1;
    char text[1024];
    av_log_format_line2(avcl, av_level, format, args, text, sizeof text, &print_prefix);
    pending += text;
    if (!pending.empty() && pending.back() == '\n') {
        pending.pop_back();
        logger->log(level, "ffmpeg", pending);
        pending.clear();
    }
}

} // namespace

void route_ffmpeg_log(const Logger &logger) {
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_logger = std::make_shared<const Logger>(logger);
    }
    av_log_set_callback(&callback);
}

} // namespace vtc::detail
