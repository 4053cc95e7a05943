// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cli/commands.hpp"

#include "api/api_client.hpp"
#include "dispatch/command_listener.hpp"
#include "dispatch/dispatcher.hpp"
#include "dispatch/heartbeat.hpp"
#include "dispatch/redis.hpp"
#include "runner/job_runner.hpp"
#include "runner/workdir.hpp"
#include "server/health_server.hpp"
#include "util/cancellation.hpp"

#include "vtc_host_build.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace vtc::host {

namespace {

ApiClientOptions api_options(const Config &config) {
    ApiClientOptions o;
    o.base_url = config.api_url;
    o.api_key = config.api_key;
    o.ca_file = config.ca_file;
    o.connect_timeout = config.connect_timeout;
    o.user_agent = std::string("vtranscode-worker/") + VTC_HOST_VERSION;
    return o;
}

/// Waits for SIGTERM/SIGINT (blocked everywhere) until `done` fires. The first signal stops
/// claiming and starts the grace period; the second hands a running job back at once.
void signal_loop(std::stop_token done, std::stop_source &stop_claiming, std::stop_source &graceful,
                 std::stop_source &immediate, const Logger &log, std::chrono::seconds grace) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int received = 0;
    while (!done.stop_requested()) {
        timespec wait{0, 200 * 1000 * 1000};
        const int sig = sigtimedwait(&set, nullptr, &wait);
        if (sig < 0) {
            continue;
        }
        const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
        if (++received == 1) {
            log.log(LogLevel::info, "worker",
                    fmt::format("{}: no more claims; a running job has {} s to finish, then it is "
                                "handed back; heartbeats continue until exit",
                                name, grace.count()));
            stop_claiming.request_stop();
            graceful.request_stop();
        } else {
            log.log(LogLevel::warning, "worker",
                    fmt::format("{} again: handing a running job back now", name));
            immediate.request_stop();
        }
    }
}

} // namespace

int run_worker(const Config &config, const LogHub &logs, Transcoder &transcoder,
               const EncoderInventory &inventory) {
    const Logger log = logs.logger();
    log.log(LogLevel::info, "worker",
            fmt::format("vtranscode-worker {} starting: API {}, work dir {}, {} / {}, DASH {}, "
                        "segments {} s, upload {}, hwaccel {}, queue {}, worker id {}",
                        VTC_HOST_VERSION, config.api_url_display, config.work_dir.string(),
                        to_string(config.format), to_string(config.codec),
                        config.enable_dash ? "on" : "off", config.segment_seconds,
                        config.streaming_upload ? "streaming" : "tar", to_string(config.hwaccel),
                        to_string(config.queue_mode), config.worker_id));
    for (const std::string &w : config.warnings) {
        log.log(LogLevel::warning, "config", w);
    }
    std::error_code ec;
    std::filesystem::create_directories(config.work_dir, ec);
    if (ec) {
        log.log(LogLevel::error, "worker",
                "cannot create VLOG_WORKER_WORK_DIR " + config.work_dir.string() + ": " +
                    ec.message());
        return 1;
    }
    // Kept outputs of earlier runs are bounded too (the Python worker never cleaned them).
    sweep_work_dir(config.work_dir, config.keep_unverified, config.keep_max_jobs, 0, log);

    Metrics metrics;
    WorkerState state;
    ApiObserver observer;
    observer.on_error = [&metrics](Endpoint e, const std::string &code) {
        metrics.api_error(std::string(endpoint_name(e)), code);
    };
    observer.on_downloaded = [&metrics](std::uint64_t n) { metrics.add_downloaded(n); };
    observer.on_uploaded = [&metrics](std::uint64_t n) { metrics.add_uploaded(n); };
    ApiClient api(api_options(config), log, observer);

    HealthServer health(config, state, metrics, inventory, log);
    if (Result<void> started = health.start(); !started) {
        log.log(LogLevel::error, "worker", started.error().message);
        return 1;
    }

    std::stop_source stop_claiming, graceful, immediate;
    std::jthread signals([&](std::stop_token done) {
        signal_loop(done, stop_claiming, graceful, immediate, log, config.shutdown_grace);
    });

    Heartbeat heartbeat(config, api, inventory, state, metrics, log,
                        [&](const std::string &) { stop_claiming.request_stop(); });
    // The API may be down at start: keep trying (the pod stays unready meanwhile) rather than
    // exiting as the Python worker does.
    for (int attempt = 1; !heartbeat.send_once(); ++attempt) {
        if (attempt == 1) {
            log.log(LogLevel::warning, "worker",
                    "the Worker API is not reachable yet; retrying (/ready answers 503 meanwhile)");
        }
        const auto delay =
            std::chrono::milliseconds(std::min(30000, 1000 * (1 << std::min(attempt - 1, 5))));
        if (!sleep_unless_stopped(stop_claiming.get_token(), delay)) {
            break;
        }
    }
    heartbeat.start();

    std::unique_ptr<RedisQueue> queue;
    std::unique_ptr<CommandListener> commands;
    if (config.redis.enabled) {
        if (config.queue_mode != QueueMode::database) {
            queue = std::make_unique<RedisQueue>(config.redis, config.worker_id, log);
        }
        commands = std::make_unique<CommandListener>(config, logs, [&](const std::string &command) {
            log.log(LogLevel::info, "worker",
                    "'" + command + "' command: no more claims; exiting after the current job");
            stop_claiming.request_stop();
        });
        commands->start();
    }

    JobRunner runner(config, api, transcoder, inventory, metrics, logs);
    Dispatcher dispatcher(config, api, runner, inventory, state, log, queue.get(),
                          [&heartbeat] { heartbeat.nudge(); });
    dispatcher.run(stop_claiming.get_token(),
                   ShutdownSignals{graceful.get_token(), immediate.get_token()});

    state.shutting_down = true;
    if (commands) {
        commands->stop();
    }
    heartbeat.stop(); // last: heartbeats continued while the job finished
    health.stop();
    log.log(
        LogLevel::info, "worker",
        fmt::format("exiting: {} job(s) claimed, {} completed, {} failed, {} lost, {} handed back",
                    metrics.jobs_claimed(), metrics.jobs_completed(), metrics.jobs_failed(),
                    metrics.jobs_lost(), metrics.jobs_handed_back()));
    return 0;
}

int run_check(const Config &config, const LogHub &logs, const EncoderInventory &inventory) {
    const Logger log = logs.logger();
    std::printf("config: ok (API %s, %s/%s, hwaccel %s, queue %s, work dir %s)\n",
                config.api_url_display.c_str(), std::string(to_string(config.format)).c_str(),
                std::string(to_string(config.codec)).c_str(),
                std::string(to_string(config.hwaccel)).c_str(),
                std::string(to_string(config.queue_mode)).c_str(), config.work_dir.c_str());
    ApiClient api(api_options(config), log);
    WorkerState state;
    Metrics metrics;
    bool connected = false;
    if (Result<void> health = api.server_health(); !health) {
        std::printf("api: %s\n", health.error().message.c_str());
    } else if (Result<void> key = api.check_key(); !key) {
        std::printf("api: reachable, but %s\n", key.error().message.c_str());
    } else {
        std::printf("api: reachable, API key accepted\n");
        connected = true;
    }
    state.api_connected = connected;
    if (connected) {
        // A check is one exchange, not a heartbeat loop: a good exchange counts as recent.
        metrics.heartbeat_ok(std::chrono::steady_clock::now());
    }
    const std::vector<EncoderStatus> encoders = inventory.encoders();
    for (const EncoderStatus &e : allowed_encoders(encoders, config.hwaccel)) {
        std::printf("encoder: %s (%s%s): %s\n", e.backend.c_str(), e.codec.c_str(),
                    e.hardware ? ", hardware" : "", e.usable ? "usable" : e.reason.c_str());
    }
    if (encoders.empty()) {
        std::printf("encoder: none found\n");
    }
    const Readiness r =
        evaluate_readiness(state, metrics, encoders, config.hwaccel, config.codec,
                           config.heartbeat_interval, std::chrono::steady_clock::now());
    std::printf("ready: %s\n", ready_body(r).c_str());
    std::fflush(stdout);
    return r.ready ? 0 : 1;
}

int run_register(const Config &config, const LogHub &logs, const EncoderInventory &inventory,
                 const std::string &name) {
    const Logger log = logs.logger();
    if (name.empty() || name.size() > 100) {
        std::fprintf(stderr, "vtranscode-worker: register: --name must have 1 to 100 characters\n");
        return 1;
    }
    ApiClient api(api_options(config), log);
    const Json metadata = {{"deployment_type", std::string(to_string(config.deployment))}};
    Result<RegisterReply> reply = api.register_worker(
        config.admin_secret, name, build_capabilities(inventory.encoders(), config), metadata);
    if (!reply) {
        std::fprintf(stderr, "vtranscode-worker: register failed: %s\n",
                     reply.error().message.c_str());
        return 1;
    }
    // The key goes to stdout once and nowhere else (never through the log sink).
    std::cout << "worker_id: " << reply->worker_id << "\napi_key: " << reply->api_key << std::endl;
    std::fprintf(stderr,
                 "Store the API key now: the server will not show it again. Run the worker with\n"
                 "  VLOG_WORKER_API_KEY=<api_key> VLOG_WORKER_ID=%s\n",
                 reply->worker_id.c_str());
    return 0;
}

} // namespace vtc::host
