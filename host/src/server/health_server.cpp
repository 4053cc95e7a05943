// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/health_server.hpp"

#include "vtc_host_build.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace vtc::host {

std::string ready_body(const Readiness &readiness) {
    nlohmann::ordered_json checks = nlohmann::ordered_json::object();
    for (const auto &[name, passed] : readiness.checks) {
        checks[name] = passed;
    }
    nlohmann::ordered_json body = {{"status", readiness.ready ? "ready" : "not ready"},
                                   {"checks", checks}};
    if (!readiness.ready) {
        body["failing"] = readiness.failing;
    }
    return body.dump();
}

HealthServer::HealthServer(const Config &config, const WorkerState &state, const Metrics &metrics,
                           const EncoderInventory &inventory, Logger logger)
    : config_(config), state_(state), metrics_(metrics), inventory_(inventory),
      logger_(std::move(logger)) {}

HealthServer::~HealthServer() {
    stop();
}

Result<void> HealthServer::start() {
    server_ = std::make_unique<httplib::Server>();
    httplib::Server &s = *server_;
    // One request per connection, as the Python server does (Connection: close).
    s.set_keep_alive_max_count(1);
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);

    const auto json = [](httplib::Response &res, int status, const std::string &body) {
        res.status = status;
        res.set_content(body, "application/json");
    };
    // The Python server matches the raw path, query included: "/ready?x" is a 404.
    const auto exact = [](const httplib::Request &req) {
        return req.params.empty() && req.target.find('?') == std::string::npos;
    };
    auto route = [&](const std::string &path, httplib::Server::Handler handler) {
        s.Get(path, handler);
        s.Post(path, handler); // the method is ignored (§8.1)
    };
    route("/health", [json, exact](const httplib::Request &req, httplib::Response &res) {
        if (!exact(req)) {
            return json(res, 404, R"({"error": "not found"})");
        }
        json(res, 200, R"({"status": "alive"})");
    });
    route("/ready", [this, json, exact](const httplib::Request &req, httplib::Response &res) {
        if (!exact(req)) {
            return json(res, 404, R"({"error": "not found"})");
        }
        const Readiness r = evaluate_readiness(
            state_, metrics_, inventory_.encoders(), config_.hwaccel, config_.codec,
            config_.heartbeat_interval, std::chrono::steady_clock::now());
        json(res, r.ready ? 200 : 503, ready_body(r));
    });
    route("/", [this, json, exact](const httplib::Request &req, httplib::Response &res) {
        if (!exact(req)) {
            return json(res, 404, R"({"error": "not found"})");
        }
        nlohmann::ordered_json body = {{"service", "vlog-worker"},
                                       {"api_url", config_.api_url_display}};
        json(res, 200, body.dump());
    });
    route("/metrics", [this, exact](const httplib::Request &req, httplib::Response &res) {
        if (!exact(req)) {
            res.status = 404;
            res.set_content(R"({"error": "not found"})", "application/json");
            return;
        }
        std::vector<std::pair<std::string, std::string>> build = {{"version", VTC_HOST_VERSION},
                                                                  {"plugin_abi", VTC_HOST_ABI}};
        if (config_.code_version) {
            build.emplace_back("code_version", *config_.code_version);
        }
        if (!config_.build_timestamp.empty()) {
            build.emplace_back("build_timestamp", config_.build_timestamp);
        }
        res.status = 200;
        res.set_content(
            metrics_.render(std::chrono::steady_clock::now(), inventory_.encoders(), build),
            "text/plain; version=0.0.4; charset=utf-8");
    });
    s.set_error_handler([json](const httplib::Request &, httplib::Response &res) {
        if (res.status == 404 || res.status == 405) {
            json(res, 404, R"({"error": "not found"})");
        }
    });
    s.set_exception_handler(
        [json](const httplib::Request &, httplib::Response &res, std::exception_ptr) {
            json(res, 500, R"({"error": "server error"})");
        });
    if (!s.bind_to_port(config_.health_bind, config_.health_port)) {
        server_.reset();
        return fail(Errc::io, "health", "",
                    "cannot listen on " + config_.health_bind + ":" +
                        std::to_string(config_.health_port) +
                        " (VLOG_WORKER_HEALTH_PORT / VLOG_WORKER_HEALTH_BIND)");
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    logger_.log(LogLevel::info, "health",
                "serving /health, /ready, / and /metrics on " + config_.health_bind + ":" +
                    std::to_string(config_.health_port));
    return ok();
}

void HealthServer::stop() {
    if (server_) {
        server_->stop();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    server_.reset();
}

} // namespace vtc::host
