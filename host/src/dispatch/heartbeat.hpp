// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file heartbeat.hpp
/// @brief Heartbeats: at start and every VLOG_WORKER_HEARTBEAT_INTERVAL, with the status
///        (idle/busy) and the full capabilities and deployment type **every time** (the
///        server replaces its stored metadata with each heartbeat's, protocol §2.2).
#pragma once

#include "api/api_client.hpp"
#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "server/metrics.hpp"

#include <vtranscode/log.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace vtc::host {

/// WorkerCapabilities (§6.1) from the encoder inventory: only schema-valid keys, sessions
/// clamped to 1..100, lists cut to the schema's limits.
Json build_capabilities(const std::vector<EncoderStatus> &encoders, const Config &config);

/// The heartbeat body: status, metadata {capabilities, deployment_type}, and code_version
/// only when configured.
Json build_heartbeat(bool busy, const std::vector<EncoderStatus> &encoders, const Config &config);

class Heartbeat {
public:
    /// `on_version_mismatch` runs once (on the heartbeat thread) when the server says
    /// version_ok: false.
    Heartbeat(const Config &config, ApiClient &api, const EncoderInventory &inventory,
              WorkerState &state, Metrics &metrics, Logger logger,
              std::function<void(const std::string &required)> on_version_mismatch);
    ~Heartbeat();
    Heartbeat(const Heartbeat &) = delete;
    Heartbeat &operator=(const Heartbeat &) = delete;

    /// Sends one heartbeat now. @return true on success. Updates WorkerState and metrics.
    bool send_once();

    /// Starts the periodic thread (first send right away).
    void start();
    /// Asks for a heartbeat soon (after a job ends, so the server sees "idle" at once).
    void nudge();
    /// Stops the thread; called last at exit so heartbeats continue while a job finishes.
    void stop();

private:
    void loop();

    const Config &config_;
    ApiClient &api_;
    const EncoderInventory &inventory_;
    WorkerState &state_;
    Metrics &metrics_;
    Logger logger_;
    std::function<void(const std::string &)> on_version_mismatch_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool nudged_ = false;
    bool mismatch_reported_ = false;
    bool was_connected_ = false;
    std::thread thread_;
};

} // namespace vtc::host
