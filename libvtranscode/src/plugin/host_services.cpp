// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/host_services.hpp"

#include <cstring>
#include <string_view>

namespace vtc::detail {

HostServices::HostServices(Logger logger, std::string component,
                           std::shared_ptr<const CancellationToken> cancellation,
                           ServiceMap services)
    : logger_(std::move(logger)), component_(std::move(component)),
      cancellation_(std::move(cancellation)), services_(std::move(services)) {
    host_.struct_size = sizeof(host_);
    // A plugin may skip formatting what would be dropped anyway.
    host_.log_level = logger_.enabled(LogLevel::error) ? static_cast<int32_t>(logger_.max_level())
                                                       : static_cast<int32_t>(VTC_LOG_ERROR);
    host_.ctx = this;
    host_.log = &HostServices::log;
    host_.is_cancelled = &HostServices::is_cancelled;
    host_.get_service = &HostServices::get_service;
}

void HostServices::log(void *ctx, int32_t level, const char *message) noexcept {
    if (ctx == nullptr || message == nullptr) {
        return;
    }
    const auto &self = *static_cast<const HostServices *>(ctx);
    // Out-of-range levels are clamped rather than dropped: a plugin's message
    // is worth more than its bookkeeping.
    const int32_t clamped = level < VTC_LOG_ERROR   ? VTC_LOG_ERROR
                            : level > VTC_LOG_TRACE ? VTC_LOG_TRACE
                                                    : level;
    const auto log_level = static_cast<LogLevel>(clamped);
    if (!self.logger_.enabled(log_level)) {
        return;
    }
    try {
        // The sink takes one line; a plugin's embedded newlines would break it.
        std::string line(message, strnlen(message, 4096));
        for (char &c : line) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
        self.logger_.log(log_level, self.component_, line);
    } catch (...) {
        // Called from plugin threads through a C function pointer: nothing may
        // escape, and a lost log line is the only sensible outcome.
    }
}

int32_t HostServices::is_cancelled(void *ctx) noexcept {
    if (ctx == nullptr) {
        return 0;
    }
    const auto &self = *static_cast<const HostServices *>(ctx);
    return self.cancellation_ != nullptr && self.cancellation_->is_cancelled() ? 1 : 0;
}

const void *HostServices::get_service(void *ctx, const char *type) noexcept {
    if (ctx == nullptr || type == nullptr) {
        return nullptr;
    }
    const auto &self = *static_cast<const HostServices *>(ctx);
    const auto it = self.services_.find(std::string_view(type, strnlen(type, 256)));
    return it == self.services_.end() ? nullptr : it->second;
}

} // namespace vtc::detail
