// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file cancel.hpp
/// @brief vtc::CancellationToken: how a caller asks running work to stop.
#pragma once

#include <atomic>

namespace vtc {

/// A one-way flag: once cancelled, it stays cancelled.
///
/// Whoever starts the work owns the token and shares it by reference or
/// `std::shared_ptr`; every stage (and every encoder plugin, through
/// vtc_host::is_cancelled) polls it. Not copyable: copies would not see a
/// later cancel().
///
/// Threading: every member is thread-safe and lock-free.
class CancellationToken {
public:
    CancellationToken() = default;
    CancellationToken(const CancellationToken &) = delete;
    CancellationToken &operator=(const CancellationToken &) = delete;

    /// Asks the work to stop. Idempotent.
    void cancel() noexcept { cancelled_.store(true, std::memory_order_release); }

    /// True once cancel() has been called. Cheap enough to poll per frame.
    bool is_cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

private:
    std::atomic<bool> cancelled_{false};
};

} // namespace vtc
