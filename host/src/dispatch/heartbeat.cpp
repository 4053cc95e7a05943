// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatch/heartbeat.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace vtc::host {

Json build_capabilities(const std::vector<EncoderStatus> &encoders, const Config &config) {
    const std::vector<EncoderStatus> allowed = allowed_encoders(encoders, config.hwaccel);
    Json caps = Json::object();
    const EncoderStatus *gpu = nullptr;
    int max_sessions = 1;
    std::vector<std::string> codecs;
    std::map<std::string, std::vector<std::string>> by_codec;
    for (const EncoderStatus &e : allowed) {
        if (!e.usable) {
            continue;
        }
        if (e.hardware && gpu == nullptr) {
            gpu = &e;
        }
        // No limit means "one job at a time" for software (the Python CPU worker says 1)
        // and the schema's ceiling for hardware.
        const int sessions = e.max_sessions > 0 ? e.max_sessions : (e.hardware ? 100 : 1);
        max_sessions = std::max(max_sessions, sessions);
        const std::string codec = e.codec.substr(0, 20);
        if (std::find(codecs.begin(), codecs.end(), codec) == codecs.end() && codecs.size() < 10) {
            codecs.push_back(codec);
        }
        auto &names = by_codec[codec];
        if (names.size() < 20) {
            names.push_back(e.backend.substr(0, 50));
        }
    }
    caps["hwaccel_enabled"] = gpu != nullptr;
    caps["hwaccel_type"] =
        gpu != nullptr && !gpu->vendor.empty() ? gpu->vendor.substr(0, 20) : "none";
    caps["gpu_name"] =
        gpu != nullptr && !gpu->device.empty() ? Json(gpu->device.substr(0, 200)) : Json(nullptr);
    caps["supported_codecs"] = codecs;
    Json enc = Json::object();
    for (const auto &[codec, names] : by_codec) {
        enc[codec] = names;
    }
    caps["encoders"] = enc;
    // The schema allows 1..100; the Python worker's 999 for datacenter GPUs got 422 (§6.1).
    caps["max_concurrent_encode_sessions"] = std::clamp(max_sessions, 1, 100);
    caps["code_version"] = config.code_version ? Json(*config.code_version) : Json(nullptr);
    caps["ffmpeg_version"] = nullptr; // no ffmpeg: the engine links its libraries
    if (gpu != nullptr && gpu->vendor == "intel") {
        caps["vaapi_device"] = config.vaapi_device.string(); // at most 200 bytes (config)
    }
    return caps;
}

Json build_heartbeat(bool busy, const std::vector<EncoderStatus> &encoders, const Config &config) {
    Json body = {{"status", busy ? "busy" : "idle"},
                 {"metadata",
                  {{"capabilities", build_capabilities(encoders, config)},
                   {"deployment_type", std::string(to_string(config.deployment))}}}};
    if (config.code_version) {
        body["code_version"] = *config.code_version;
    }
    return body;
}

Heartbeat::Heartbeat(const Config &config, ApiClient &api, const EncoderInventory &inventory,
                     WorkerState &state, Metrics &metrics, Logger logger,
                     std::function<void(const std::string &)> on_version_mismatch)
    : config_(config), api_(api), inventory_(inventory), state_(state), metrics_(metrics),
      logger_(std::move(logger)), on_version_mismatch_(std::move(on_version_mismatch)) {}

Heartbeat::~Heartbeat() {
    stop();
}

bool Heartbeat::send_once() {
    const Json body = build_heartbeat(state_.busy.load(), inventory_.encoders(), config_);
    Result<HeartbeatReply> reply = api_.heartbeat(body);
    if (!reply) {
        state_.api_connected = false;
        logger_.log(was_connected_ ? LogLevel::warning : LogLevel::debug, "heartbeat",
                    "heartbeat failed: " + reply.error().message);
        was_connected_ = false;
        return false;
    }
    if (!was_connected_) {
        logger_.log(LogLevel::info, "heartbeat",
                    "connected to the Worker API at " + config_.api_url_display);
    }
    was_connected_ = true;
    state_.api_connected = true;
    metrics_.heartbeat_ok(std::chrono::steady_clock::now());
    const std::int64_t local_job = metrics_.current_job();
    if (reply->current_job_id && local_job != 0 && *reply->current_job_id != local_job) {
        logger_.log(LogLevel::warning, "heartbeat",
                    fmt::format("server thinks this worker runs job {}, it runs {}",
                                *reply->current_job_id, local_job));
    }
    if (!reply->version_ok) {
        state_.version_ok = false;
        if (!mismatch_reported_) {
            mismatch_reported_ = true;
            logger_.log(
                LogLevel::error, "heartbeat",
                fmt::format("the server requires code version '{}' (this worker sends '{}'): "
                            "no more claims; exiting after the current job",
                            printable(reply->required_version, 40),
                            config_.code_version.value_or("(none)")));
            if (on_version_mismatch_) {
                on_version_mismatch_(reply->required_version);
            }
        }
    }
    return true;
}

void Heartbeat::start() {
    thread_ = std::thread([this] { loop(); });
}

void Heartbeat::nudge() {
    std::lock_guard<std::mutex> lock(mutex_);
    nudged_ = true;
    cv_.notify_all();
}

void Heartbeat::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Heartbeat::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        const bool ok = send_once();
        lock.lock();
        // While the API is unreachable, retry sooner than the interval (at most every 5 s),
        // so /ready recovers promptly once it is back.
        const auto wait =
            ok ? std::chrono::duration_cast<std::chrono::milliseconds>(config_.heartbeat_interval)
               : std::min<std::chrono::milliseconds>(config_.heartbeat_interval,
                                                     std::chrono::milliseconds(5000));
        cv_.wait_for(lock, wait, [this] { return stopping_ || nudged_; });
        nudged_ = false;
    }
}

} // namespace vtc::host
