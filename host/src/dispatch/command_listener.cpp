// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatch/command_listener.hpp"

#include "util/time.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace vtc::host {

namespace {

/// Fields of /proc/self/stat after the command name.
std::vector<std::string> proc_stat_fields() {
    std::ifstream in("/proc/self/stat");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const std::size_t close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) {
        return fields;
    }
    std::istringstream rest(text.substr(close + 2));
    std::string f;
    while (rest >> f) {
        fields.push_back(f);
    }
    return fields;
}

std::map<std::string, double> meminfo_kib() {
    std::map<std::string, double> out;
    std::ifstream in("/proc/meminfo");
    std::string key;
    double value = 0;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (!key.empty() && key.back() == ':') {
            key.pop_back();
        }
        out[key] = value;
    }
    return out;
}

/// Busy fraction of all CPUs over a 100 ms window.
double system_cpu_percent() {
    auto sample = [](double &idle, double &total) {
        std::ifstream in("/proc/stat");
        std::string cpu;
        in >> cpu;
        double v = 0;
        idle = total = 0;
        for (int i = 0; i < 8 && in >> v; ++i) {
            total += v;
            if (i == 3 || i == 4) {
                idle += v;
            }
        }
    };
    double i0, t0, i1, t1;
    sample(i0, t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sample(i1, t1);
    const double dt = t1 - t0;
    return dt <= 0 ? 0.0 : 100.0 * (1.0 - (i1 - i0) / dt);
}

double round2(double v) {
    return static_cast<double>(static_cast<long long>(v * 100.0 + 0.5)) / 100.0;
}

} // namespace

Json collect_process_metrics(const std::filesystem::path &work_dir) {
    const long page = ::sysconf(_SC_PAGESIZE);
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const std::vector<std::string> stat = proc_stat_fields();
    std::map<std::string, double> mem = meminfo_kib();
    double rss_mb = 0, cpu_percent = 0;
    long threads = 0;
    if (stat.size() > 21) {
        // Fields (from 3): utime 14, stime 15, num_threads 20, starttime 22, rss 24.
        const double cpu_s =
            (std::stod(stat[11]) + std::stod(stat[12])) / static_cast<double>(ticks);
        threads = std::stol(stat[17]);
        const double start_s = std::stod(stat[19]) / static_cast<double>(ticks);
        double uptime_s = 0;
        std::ifstream("/proc/uptime") >> uptime_s;
        const double alive = uptime_s - start_s;
        cpu_percent = alive > 0 ? 100.0 * cpu_s / alive : 0.0;
        rss_mb = std::stod(stat[21]) * static_cast<double>(page) / (1024.0 * 1024.0);
    }
    long open_files = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         it != std::filesystem::directory_iterator(); ++it) {
        ++open_files;
    }
    const double total_kib = mem["MemTotal"];
    const double avail_kib = mem["MemAvailable"];
    Json process = {
        {"pid", static_cast<long>(::getpid())},
        {"cpu_percent", round2(cpu_percent)},
        {"memory_rss_mb", round2(rss_mb)},
        {"memory_percent", total_kib > 0 ? round2(100.0 * rss_mb * 1024.0 / total_kib) : 0.0},
        {"threads", threads},
        {"open_files", open_files}};
    Json system = {
        {"cpu_percent", round2(system_cpu_percent())},
        {"memory_total_gb", round2(total_kib / (1024.0 * 1024.0))},
        {"memory_available_gb", round2(avail_kib / (1024.0 * 1024.0))},
        {"memory_percent", total_kib > 0 ? round2(100.0 * (1.0 - avail_kib / total_kib)) : 0.0}};
    Json disk = nullptr;
    struct statvfs vfs {};
    if (::statvfs(work_dir.c_str(), &vfs) == 0) {
        const double gib = 1024.0 * 1024.0 * 1024.0;
        const double total =
            static_cast<double>(vfs.f_blocks) * static_cast<double>(vfs.f_frsize) / gib;
        const double free_gb =
            static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize) / gib;
        disk = {{"total_gb", round2(total)},
                {"used_gb", round2(total - free_gb)},
                {"free_gb", round2(free_gb)},
                {"percent", total > 0 ? round2(100.0 * (total - free_gb) / total) : 0.0}};
    }
    return {{"process", process}, {"system", system}, {"disk", disk}, {"gpu", nullptr}};
}

CommandListener::CommandListener(const Config &config, const LogHub &logs,
                                 std::function<void(const std::string &)> on_lifecycle)
    : config_(config), logs_(logs), logger_(logs.logger()), on_lifecycle_(std::move(on_lifecycle)) {
}

CommandListener::~CommandListener() {
    stop();
}

std::string CommandListener::targeted_channel() const {
    return config_.redis.prefix + ":worker:" + config_.worker_id + ":commands";
}

std::string CommandListener::broadcast_channel() const {
    return config_.redis.prefix + ":workers:commands";
}

void CommandListener::start() {
    thread_ = std::thread([this] { loop(); });
}

void CommandListener::stop() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void CommandListener::loop() {
    using std::chrono::milliseconds;
    int failures = 0;
    bool announced = false;
    while (!stopping_) {
        Result<std::unique_ptr<RedisConnection>> conn = RedisConnection::open(
            config_.redis.endpoint, config_.redis.connect_timeout, config_.redis.socket_timeout);
        Result<void> subscribed =
            conn ? (*conn)->send({"SUBSCRIBE", targeted_channel(), broadcast_channel()})
                 : Result<void>(Unexpected(conn.error()));
        if (!subscribed) {
            if (failures++ == 0) {
                logger_.log(LogLevel::warning, "commands",
                            "command channel unavailable: " + subscribed.error().message);
            }
            const auto delay = milliseconds(std::min(30000, 1000 * (1 << std::min(failures, 5))));
            for (auto waited = milliseconds(0); waited < delay && !stopping_;
                 waited += milliseconds(200)) {
                std::this_thread::sleep_for(milliseconds(200));
            }
            continue;
        }
        if (!announced || failures > 0) {
            logger_.log(LogLevel::info, "commands",
                        "listening on " + targeted_channel() + " and " + broadcast_channel());
            announced = true;
        }
        failures = 0;
        auto last_traffic = std::chrono::steady_clock::now();
        while (!stopping_) {
            Result<std::optional<RedisValue>> msg = (*conn)->read(milliseconds(250));
            if (!msg) {
                logger_.log(LogLevel::warning, "commands",
                            "command channel dropped: " + msg.error().message);
                ++failures;
                break;
            }
            const auto now = std::chrono::steady_clock::now();
            if (!*msg) {
                // Idle: PING (allowed while subscribed) finds a dead connection early.
                if (now - last_traffic > config_.redis.health_check_interval) {
                    if (!(*conn)->send({"PING"})) {
                        ++failures;
                        break;
                    }
                    last_traffic = now;
                }
                continue;
            }
            last_traffic = now;
            const RedisValue &v = **msg;
            if (v.type == RedisValue::Type::array && v.elements.size() == 3 &&
                v.elements[0].str == "message") {
                handle(v.elements[1].str, v.elements[2].str);
            }
        }
    }
}

void CommandListener::handle(const std::string &channel, const std::string &payload) {
    Result<Json> parsed = parse_json_object(payload, "command message");
    if (!parsed) {
        logger_.log(LogLevel::warning, "commands",
                    "ignoring a message on " + channel + ": " + parsed.error().message);
        return;
    }
    const Json &msg = *parsed;
    const std::string command = msg.value("command", "");
    std::string request_id;
    if (auto it = msg.find("request_id"); it != msg.end() && it->is_string()) {
        request_id = it->get<std::string>();
    }
    logger_.log(LogLevel::info, "commands",
                fmt::format("received '{}' on {}", printable(command, 40), channel));
    if (command == "stop" || command == "restart" || command == "update") {
        if (command == "update") {
            logger_.log(LogLevel::info, "commands",
                        "update: this worker cannot update itself; it exits so the orchestrator "
                        "starts the current image");
        }
        if (on_lifecycle_) {
            on_lifecycle_(command);
        }
        return;
    }
    Json response = {{"worker_id", config_.worker_id},
                     {"request_id", request_id.empty() ? Json(nullptr) : Json(request_id)},
                     {"timestamp", format_datetime(std::chrono::system_clock::now())}};
    if (command == "get_logs") {
        std::int64_t lines = 100;
        if (auto params = msg.find("params"); params != msg.end() && params->is_object()) {
            if (auto n = params->find("lines"); n != params->end() && n->is_number_integer()) {
                lines = std::clamp<std::int64_t>(n->get<std::int64_t>(), 1, 1000);
            }
        }
        std::string text;
        for (const std::string &line : logs_.recent_lines(static_cast<std::size_t>(lines))) {
            text += line;
            text += '\n';
        }
        response["type"] = "logs_response";
        response["success"] = true;
        response["logs"] = text;
        response["deployment_type"] = std::string(to_string(config_.deployment));
    } else if (command == "get_metrics") {
        response["type"] = "metrics_response";
        response["success"] = true;
        response["metrics"] = collect_process_metrics(config_.work_dir);
    } else {
        logger_.log(LogLevel::warning, "commands",
                    "unknown command '" + printable(command, 40) + "'");
        return;
    }
    respond(request_id, std::move(response));
}

void CommandListener::respond(const std::string &request_id, Json body) {
    // A subscribed connection cannot PUBLISH: replies use a short-lived one. The "vlog:"
    // prefix is what the admin API listens on, whatever the configured prefix (§7.2).
    const std::string channel = "vlog:worker:" + config_.worker_id +
                                ":response:" + (request_id.empty() ? "default" : request_id);
    Result<std::unique_ptr<RedisConnection>> conn = RedisConnection::open(
        config_.redis.endpoint, config_.redis.connect_timeout, config_.redis.socket_timeout);
    if (!conn) {
        logger_.log(LogLevel::warning, "commands", "cannot send a reply: " + conn.error().message);
        return;
    }
    Result<RedisValue> r = (*conn)->command({"PUBLISH", channel, body.dump()});
    if (!r || r->type == RedisValue::Type::error) {
        logger_.log(LogLevel::warning, "commands", "cannot publish the reply on " + channel);
    }
}

} // namespace vtc::host
