// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "server/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace vtc::host {

std::string prometheus_label(const std::string &value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

void Metrics::set_rendition_fps(const std::string &rendition, double fps) {
    std::lock_guard<std::mutex> lock(mutex_);
    fps_[rendition] = fps;
}

void Metrics::clear_renditions() {
    std::lock_guard<std::mutex> lock(mutex_);
    fps_.clear();
}

void Metrics::api_error(const std::string &endpoint, const std::string &code) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++api_errors_[{endpoint, code}];
}

void Metrics::heartbeat_ok(std::chrono::steady_clock::time_point at) {
    last_heartbeat_ns_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

std::optional<double>
Metrics::heartbeat_age_seconds(std::chrono::steady_clock::time_point now) const {
    const std::int64_t last = last_heartbeat_ns_.load();
    if (last < 0) {
        return std::nullopt;
    }
    const std::int64_t now_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    return std::max(0.0, static_cast<double>(now_ns - last) / 1e9);
}

namespace {

std::string number(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    if (std::isnan(v)) {
        return "NaN";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

void family(std::string &out, const char *name, const char *type, const char *help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string &out, const char *name, const std::string &labels,
            const std::string &value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += value;
    out += '\n';
}

} // namespace

std::string Metrics::render(std::chrono::steady_clock::time_point now,
                            const std::vector<EncoderStatus> &encoders,
                            const std::vector<std::pair<std::string, std::string>> &build) const {
    std::string out;
    out.reserve(4096);
    family(out, "vtranscode_worker_build_info", "gauge",
           "Build of this worker (value is always 1).");
    std::string labels;
    for (const auto &[k, v] : build) {
        if (!labels.empty()) {
            labels += ',';
        }
        labels += k + "=\"" + prometheus_label(v) + "\"";
    }
    sample(out, "vtranscode_worker_build_info", labels, "1");

    struct Counter {
        const char *name;
        const char *help;
        std::uint64_t value;
    };
    const Counter counters[] = {
        {"vtranscode_worker_jobs_claimed_total", "Jobs claimed from the Worker API.",
         claimed_.load()},
        {"vtranscode_worker_jobs_completed_total", "Jobs completed (complete call accepted).",
         completed_.load()},
        {"vtranscode_worker_jobs_failed_total", "Jobs reported as failed to the Worker API.",
         failed_.load()},
        {"vtranscode_worker_jobs_lost_total",
         "Jobs the server took back (409, or 403/404 on a job call).", lost_.load()},
        {"vtranscode_worker_jobs_handed_back_total",
         "Jobs handed back at shutdown without a fail call.", handed_back_.load()},
        {"vtranscode_worker_downloaded_bytes_total", "Source bytes downloaded.",
         downloaded_.load()},
        {"vtranscode_worker_uploaded_bytes_total", "Output bytes uploaded (archives and segments).",
         uploaded_.load()},
    };
    for (const Counter &c : counters) {
        family(out, c.name, "counter", c.help);
        sample(out, c.name, "", std::to_string(c.value));
    }

    family(out, "vtranscode_worker_current_job_id", "gauge",
           "Id of the job being processed; 0 when idle.");
    sample(out, "vtranscode_worker_current_job_id", "", std::to_string(current_job_.load()));
    family(out, "vtranscode_worker_busy", "gauge", "1 while a job is being processed.");
    sample(out, "vtranscode_worker_busy", "", current_job_.load() != 0 ? "1" : "0");

    family(out, "vtranscode_worker_heartbeat_age_seconds", "gauge",
           "Seconds since the last successful heartbeat (+Inf before the first).");
    const std::optional<double> age = heartbeat_age_seconds(now);
    sample(out, "vtranscode_worker_heartbeat_age_seconds", "",
           number(age ? *age : std::numeric_limits<double>::infinity()));

    std::map<std::string, double> fps;
    std::map<std::pair<std::string, std::string>, std::uint64_t> errors;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        fps = fps_;
        errors = api_errors_;
    }
    family(out, "vtranscode_worker_rendition_encode_fps", "gauge",
           "Encode speed of each rendition of the current job, in frames per second.");
    for (const auto &[rendition, value] : fps) {
        sample(out, "vtranscode_worker_rendition_encode_fps",
               "rendition=\"" + prometheus_label(rendition) + "\"", number(value));
    }
    family(out, "vtranscode_worker_api_errors_total", "counter",
           "Failed Worker API exchanges by endpoint and HTTP status (or network/timeout).");
    for (const auto &[key, value] : errors) {
        sample(out, "vtranscode_worker_api_errors_total",
               "endpoint=\"" + prometheus_label(key.first) + "\",code=\"" +
                   prometheus_label(key.second) + "\"",
               std::to_string(value));
    }
    auto per_backend = [&](const char *name, const char *help, auto value_of) {
        family(out, name, "gauge", help);
        std::set<std::string> seen;
        for (const EncoderStatus &e : encoders) {
            if (!seen.insert(e.backend).second) {
                continue;
            }
            sample(out, name,
                   "backend=\"" + prometheus_label(e.backend) + "\",codec=\"" +
                       prometheus_label(e.codec) + "\"",
                   value_of(e));
        }
    };
    per_backend("vtranscode_worker_encoder_sessions_in_use", "Encoder sessions in use per backend.",
                [](const EncoderStatus &e) { return std::to_string(e.sessions_in_use); });
    per_backend("vtranscode_worker_encoder_sessions_max",
                "Concurrent sessions each backend allows.",
                [](const EncoderStatus &e) { return std::to_string(e.max_sessions); });
    per_backend("vtranscode_worker_encoder_usable", "1 when the backend is usable.",
                [](const EncoderStatus &e) { return std::string(e.usable ? "1" : "0"); });
    return out;
}

Readiness evaluate_readiness(const WorkerState &state, const Metrics &metrics,
                             const std::vector<EncoderStatus> &encoders, HwaccelType hwaccel,
                             StreamingCodec codec, std::chrono::seconds heartbeat_interval,
                             std::chrono::steady_clock::time_point now) {
    Readiness r;
    const std::optional<double> age = metrics.heartbeat_age_seconds(now);
    const double limit = 3.0 * static_cast<double>(heartbeat_interval.count());
    r.checks = {
        {"api_connected", state.api_connected.load()},
        {"heartbeat_recent", age.has_value() && *age <= limit},
        {"encoder_available", has_usable_encoder(encoders, hwaccel, codec)},
        {"version_ok", state.version_ok.load()},
    };
    r.ready = true;
    for (const auto &[name, passed] : r.checks) {
        if (!passed) {
            r.ready = false;
            r.failing.push_back(name);
        }
    }
    return r;
}

} // namespace vtc::host
