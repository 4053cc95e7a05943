// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file command_listener.hpp
/// @brief The admin command channel of protocol §7.2, under the registered worker id:
///        `{P}:worker:{id}:commands` and the broadcast `{P}:workers:commands`.
///
/// stop, restart and update ask the process to stop claiming and exit after the current
/// job (the orchestrator restarts it; "update" means a new image, not a git pull).
/// get_logs and get_metrics are answered at once on `vlog:worker:{id}:response:{request}`
/// (the server hard-codes the `vlog:` prefix there).
#pragma once

#include "config/config.hpp"
#include "dispatch/redis.hpp"
#include "util/json.hpp"
#include "util/logging.hpp"

#include <atomic>
#include <functional>
#include <thread>

namespace vtc::host {

/// Process, system and work-directory figures for get_metrics (§7.2).
Json collect_process_metrics(const std::filesystem::path &work_dir);

class CommandListener {
public:
    /// `on_lifecycle` gets "stop", "restart" or "update", from the listener thread.
    CommandListener(const Config &config, const LogHub &logs,
                    std::function<void(const std::string &command)> on_lifecycle);
    ~CommandListener();
    CommandListener(const CommandListener &) = delete;
    CommandListener &operator=(const CommandListener &) = delete;

    void start();
    void stop();

    std::string targeted_channel() const;
    std::string broadcast_channel() const;

private:
    void loop();
    void handle(const std::string &channel, const std::string &payload);
    void respond(const std::string &request_id, Json body);

    const Config &config_;
    const LogHub &logs_;
    Logger logger_;
    std::function<void(const std::string &)> on_lifecycle_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace vtc::host
