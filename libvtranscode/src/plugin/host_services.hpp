// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The vtc_host a plugin receives: logging into the vtc::Logger, cancellation
// from a CancellationToken, and a map of named services.
#pragma once

#include <vtranscode/cancel.hpp>
#include <vtranscode/log.hpp>
#include <vtranscode/plugin/vtc_host.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vtc::detail {

using ServiceMap = std::map<std::string, const void *, std::less<>>;

/// Owns the object vtc_host::ctx points at. Neither copyable nor movable,
/// because the vtc_host it hands out points back at it.
///
/// Threading: host() and the callbacks behind it are thread-safe; the object
/// is immutable after construction (the logger's sink must be thread-safe, as
/// vtc::LogSink requires).
class HostServices {
public:
    /// @param component  the log component for the plugin's lines ("plugin x264").
    /// @param cancellation  may be null: never cancelled.
    HostServices(Logger logger, std::string component,
                 std::shared_ptr<const CancellationToken> cancellation, ServiceMap services);
    HostServices(const HostServices &) = delete;
    HostServices &operator=(const HostServices &) = delete;

    /// Valid for this object's lifetime.
    const vtc_host *host() const noexcept { return &host_; }

private:
    static void log(void *ctx, int32_t level, const char *message) noexcept;
    static int32_t is_cancelled(void *ctx) noexcept;
    static const void *get_service(void *ctx, const char *type) noexcept;

    Logger logger_;
    std::string component_;
    std::shared_ptr<const CancellationToken> cancellation_;
    ServiceMap services_;
    vtc_host host_{};
};

} // namespace vtc::detail
