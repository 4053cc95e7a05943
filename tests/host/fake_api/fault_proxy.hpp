// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file fault_proxy.hpp
/// @brief A loopback TCP proxy that cuts connections on cue, for "connection cut during
///        upload" faults that an HTTP server library cannot produce from inside a handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vtc::host::test {

class FaultProxy {
public:
    /// Forwards 127.0.0.1:(any free port) to 127.0.0.1:`upstream_port`.
    explicit FaultProxy(int upstream_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy &) = delete;
    FaultProxy &operator=(const FaultProxy &) = delete;

    std::string url() const;

    /// The next `times` client-to-server streams that contain `marker` (a request line such
    /// as "POST /api/worker/upload/15/quality/720p") are cut `after_bytes` bytes after it.
    void cut_request_after(const std::string &marker, std::uint64_t after_bytes, int times);

    /// How many connections were cut so far.
    int cuts() const { return cuts_.load(); }

private:
    struct Rule {
        std::string marker;
        std::uint64_t after_bytes;
        int times;
    };

    void accept_loop();
    void pump(int client);

    int listen_fd_ = -1;
    int port_ = 0;
    int upstream_port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> cuts_{0};
    std::mutex mutex_;
    std::vector<Rule> rules_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

} // namespace vtc::host::test
