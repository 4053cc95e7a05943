// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file health_server.hpp
/// @brief /health, /ready, / (protocol §8.1) and /metrics on VLOG_WORKER_HEALTH_PORT.
///
/// Paths match exactly (a query string gives 404), every reply is JSON with
/// `Connection: close` except /metrics (Prometheus text). /ready answers 503 with the
/// failing checks unless the API is connected, a heartbeat is recent, an encoder for the
/// configured codec is usable and the server accepted our version.
#pragma once

#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "server/metrics.hpp"

#include <vtranscode/log.hpp>
#include <vtranscode/result.hpp>

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace vtc::host {

/// Body of /ready for a readiness verdict (also printed by `vtranscode-worker check`).
std::string ready_body(const Readiness &readiness);

class HealthServer {
public:
    HealthServer(const Config &config, const WorkerState &state, const Metrics &metrics,
                 const EncoderInventory &inventory, Logger logger);
    ~HealthServer();
    HealthServer(const HealthServer &) = delete;
    HealthServer &operator=(const HealthServer &) = delete;

    /// Binds VLOG_WORKER_HEALTH_BIND:VLOG_WORKER_HEALTH_PORT and serves in a thread.
    /// @return ok, or Errc::io when the port cannot be bound.
    Result<void> start();
    void stop();

private:
    const Config &config_;
    const WorkerState &state_;
    const Metrics &metrics_;
    const EncoderInventory &inventory_;
    Logger logger_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

} // namespace vtc::host
