// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file loopback_server.hpp
/// @brief A cpp-httplib server on 127.0.0.1 running in its own thread, for tests.
#pragma once

#include <httplib.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace vtc::host::test {

class LoopbackServer {
public:
    /// `port` 0 picks a free one. Register handlers on server() before start().
    LoopbackServer() : server_(std::make_unique<httplib::Server>()) {}
    ~LoopbackServer() { stop(); }
    LoopbackServer(const LoopbackServer &) = delete;
    LoopbackServer &operator=(const LoopbackServer &) = delete;

    httplib::Server &server() { return *server_; }

    /// Binds (to `port`, or any free port when 0) and serves in a thread.
    void start(int port = 0) {
        if (port == 0) {
            port_ = server_->bind_to_any_port("127.0.0.1");
        } else if (server_->bind_to_port("127.0.0.1", port)) {
            port_ = port;
        } else {
            port_ = -1;
        }
        if (port_ <= 0) {
            throw std::runtime_error("cannot bind a loopback port");
        }
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        while (!server_->is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    void stop() {
        if (thread_.joinable()) {
            server_->stop();
            thread_.join();
        }
    }

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = -1;
};

} // namespace vtc::host::test
