// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config/config.hpp"

#include "util/ids.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vtc::host {

std::string_view to_string(StreamingFormat format) noexcept {
    return format == StreamingFormat::hls_ts ? "hls_ts" : "cmaf";
}

std::string_view to_string(StreamingCodec codec) noexcept {
    switch (codec) {
    case StreamingCodec::h264:
        return "h264";
    case StreamingCodec::hevc:
        return "hevc";
    case StreamingCodec::av1:
        return "av1";
    }
    return "h264";
}

std::string_view to_string(QueueMode mode) noexcept {
    switch (mode) {
    case QueueMode::database:
        return "database";
    case QueueMode::redis:
        return "redis";
    case QueueMode::hybrid:
        return "hybrid";
    }
    return "database";
}

std::string_view to_string(HwaccelType type) noexcept {
    switch (type) {
    case HwaccelType::auto_detect:
        return "auto";
    case HwaccelType::nvidia:
        return "nvidia";
    case HwaccelType::intel:
        return "intel";
    case HwaccelType::none:
        return "none";
    }
    return "auto";
}

std::string_view to_string(DeploymentType type) noexcept {
    switch (type) {
    case DeploymentType::kubernetes:
        return "kubernetes";
    case DeploymentType::docker:
        return "docker";
    case DeploymentType::systemd:
        return "systemd";
    case DeploymentType::manual:
        return "manual";
    }
    return "manual";
}

const std::vector<EnvVarDoc> &documented_variables() {
    static const std::vector<EnvVarDoc> table = {
        {"VLOG_WORKER_API_URL", "http://localhost:9002", "Worker API base URL (http or https)"},
        {"VLOG_WORKER_API_KEY", "(required)", "the worker's API key (X-Worker-API-Key)"},
        {"VLOG_WORKER_API_KEY_FILE", "(unset)", "file holding the API key (mounted secret)"},
        {"VLOG_WORKER_ADMIN_SECRET", "(unset)", "admin secret; only `register` needs it"},
        {"VLOG_WORKER_ADMIN_SECRET_FILE", "(unset)", "file holding the admin secret"},
        {"VLOG_WORKER_CA_FILE", "(system CAs)", "PEM CA bundle used to verify https"},
        {"VLOG_WORKER_CONNECT_TIMEOUT", "10", "seconds to wait for a TCP/TLS connection"},
        {"VLOG_WORKER_HEARTBEAT_INTERVAL", "30", "seconds between heartbeats"},
        {"VLOG_WORKER_POLL_INTERVAL", "10", "seconds between claims while idle"},
        {"VLOG_POLL_INTERVAL", "(unset)", "overrides VLOG_WORKER_POLL_INTERVAL when set"},
        {"VLOG_WORKER_LEASE_RENEW_INTERVAL", "60",
         "seconds between lease-renewing progress posts (1..300)"},
        {"VLOG_WORKER_SHUTDOWN_GRACE", "270", "seconds a running job may use after SIGTERM"},
        {"VLOG_WORKER_STALL_TIMEOUT", "600",
         "seconds without transcode progress before the job fails (0: off)"},
        {"VLOG_WORKER_WORK_DIR", "/tmp/vlog-worker", "work directory (sources and outputs)"},
        {"VLOG_WORKER_KEEP_UNVERIFIED_HOURS", "24",
         "hours to keep outputs that could not be verified"},
        {"VLOG_WORKER_KEEP_MAX_JOBS", "5", "most job directories kept in the work directory"},
        {"VLOG_WORKER_HEALTH_BIND", "0.0.0.0", "address of the health server"},
        {"VLOG_WORKER_HEALTH_PORT", "8080", "port of the health server"},
        {"VLOG_WORKER_STREAMING_UPLOAD", "false", "upload CMAF renditions segment by segment"},
        {"VLOG_STREAMING_FORMAT", "cmaf", "hls_ts or cmaf; must equal the server's"},
        {"VLOG_STREAMING_CODEC", "h264", "h264, hevc or av1"},
        {"VLOG_STREAMING_ENABLE_DASH", "true", "write manifest.mpd for CMAF"},
        {"VLOG_HLS_SEGMENT_DURATION", "6", "segment duration in seconds (1..60)"},
        {"VLOG_HWACCEL_TYPE", "auto", "auto, nvidia, intel or none: which encoders may be used"},
        {"VLOG_HWACCEL_VAAPI_DEVICE", "/dev/dri/renderD128",
         "render node of the Intel GPU (VA-API and QSV plugins)"},
        {"VLOG_ERROR_DETAIL_MAX_LENGTH", "500",
         "longest failure cause sent to the server (max 500)"},
        {"VLOG_JOB_QUEUE_MODE", "database", "database, redis or hybrid"},
        {"VLOG_REDIS_URL", "(unset)", "redis://[:password@]host[:port][/db]; unset disables Redis"},
        {"VLOG_REDIS_SOCKET_TIMEOUT", "5.0",
         "seconds for Redis replies (raised above the block time)"},
        {"VLOG_REDIS_SOCKET_CONNECT_TIMEOUT", "5.0", "seconds to connect to Redis"},
        {"VLOG_REDIS_HEALTH_CHECK_INTERVAL", "30",
         "seconds between PINGs on the idle command channel"},
        {"VLOG_REDIS_CONSUMER_GROUP", "vlog-workers", "stream consumer group"},
        {"VLOG_REDIS_CONSUMER_BLOCK_MS", "5000", "XREADGROUP block time in ms"},
        {"VLOG_REDIS_PENDING_TIMEOUT_MS", "300000",
         "idle time before another consumer's message is reclaimed"},
        {"VLOG_REDIS_PUBSUB_PREFIX", "vlog", "prefix of stream and channel names"},
        {"VLOG_WORKER_ID", "(unset)",
         "registered worker id (UUID): Redis consumer and command channel"},
        {"VLOG_CODE_VERSION", "(unset)", "heartbeat code_version; omitted when unset"},
        {"VLOG_BUILD_TIMESTAMP", "(unset)", "shown in build info"},
        {"VLOG_LOG_FORMAT", "text", "text or json"},
        {"VLOG_LOG_LEVEL", "info", "error, warning, info, debug or trace"},
        {"KUBERNETES_SERVICE_HOST", "(set by Kubernetes)", "deployment type detection"},
        {"INVOCATION_ID", "(set by systemd)", "deployment type detection"},
    };
    return table;
}

namespace {

std::string trim(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) {
        ++begin;
    }
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) {
        --end;
    }
    return std::string(text.substr(begin, end - begin));
}

std::string lower(std::string text) {
    for (char &c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

Unexpected bad_value(std::string_view name, std::string_view expected, std::string_view got) {
    std::string shown(got.substr(0, 80));
    return fail(Errc::invalid_argument, "config", "",
                std::string(name) + ": expected " + std::string(expected) + ", got '" + shown +
                    "'");
}

/// Reads configuration values; an empty value counts as unset (ConfigMaps often carry "").
class Reader {
public:
    explicit Reader(const ConfigSource &source) : source_(source) {}

    std::optional<std::string> raw(std::string_view name) const {
        std::optional<std::string> value = source_.env(name);
        if (!value) {
            return std::nullopt;
        }
        std::string t = trim(*value);
        if (t.empty()) {
            return std::nullopt;
        }
        return t;
    }

    Result<std::int64_t> integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                                 std::int64_t max) const {
        const std::optional<std::string> value = raw(name);
        if (!value) {
            return fallback;
        }
        std::int64_t parsed = 0;
        const char *first = value->data();
        const char *last = first + value->size();
        auto [ptr, ec] = std::from_chars(first, last, parsed);
        const std::string expected =
            "an integer in " + std::to_string(min) + ".." + std::to_string(max);
        if (ec != std::errc() || ptr != last || parsed < min || parsed > max) {
            return bad_value(name, expected, *value);
        }
        return parsed;
    }

    Result<double> number(std::string_view name, double fallback, double min, double max) const {
        const std::optional<std::string> value = raw(name);
        if (!value) {
            return fallback;
        }
        // strtod, not from_chars: libstdc++ 12 has floating from_chars, but strtod keeps
        // the accepted syntax identical to what operators know from the Python worker.
        char *end = nullptr;
        errno = 0;
        const double parsed = std::strtod(value->c_str(), &end);
        std::ostringstream expected;
        expected << "a number in " << min << ".." << max;
        if (errno != 0 || end != value->c_str() + value->size() || !std::isfinite(parsed) ||
            parsed < min || parsed > max) {
            return bad_value(name, expected.str(), *value);
        }
        return parsed;
    }

    Result<bool> boolean(std::string_view name, bool fallback) const {
        const std::optional<std::string> value = raw(name);
        if (!value) {
            return fallback;
        }
        const std::string v = lower(*value);
        if (v == "1" || v == "true" || v == "yes" || v == "on") {
            return true;
        }
        if (v == "0" || v == "false" || v == "no" || v == "off") {
            return false;
        }
        return bad_value(name, "true or false", *value);
    }

    /// One of `choices` (case-insensitive); returns its index.
    Result<std::size_t> choice(std::string_view name, std::size_t fallback,
                               const std::vector<std::string_view> &choices) const {
        const std::optional<std::string> value = raw(name);
        if (!value) {
            return fallback;
        }
        const std::string v = lower(*value);
        for (std::size_t i = 0; i < choices.size(); ++i) {
            if (v == choices[i]) {
                return i;
            }
        }
        std::string expected = "one of";
        for (std::size_t i = 0; i < choices.size(); ++i) {
            expected += (i == 0 ? " " : ", ");
            expected += choices[i];
        }
        return bad_value(name, expected, *value);
    }

    /// A secret from NAME or NAME_FILE (never both). Error messages never echo the value.
    Result<std::string> secret(const std::string &name) const {
        const std::optional<std::string> direct = raw(name);
        const std::optional<std::string> file = raw(name + "_FILE");
        if (direct && file) {
            return fail(Errc::invalid_argument, "config", "",
                        name + ": set either " + name + " or " + name + "_FILE, not both");
        }
        if (file) {
            Result<std::string> content = source_.read_file(*file);
            if (!content) {
                return fail(Errc::invalid_argument, "config", "",
                            name + "_FILE: cannot read '" + *file +
                                "': " + content.error().message);
            }
            std::string value = trim(*content);
            if (value.empty()) {
                return fail(Errc::invalid_argument, "config", "",
                            name + "_FILE: '" + *file + "' is empty");
            }
            return value;
        }
        return direct.value_or(std::string());
    }

private:
    const ConfigSource &source_;
};

/// Checks the URL shape and splits off user:password@ for display.
struct ApiUrl {
    std::string url;
    std::string display;
    std::string password;
};

Result<ApiUrl> check_api_url(std::string url) {
    constexpr std::string_view name = "VLOG_WORKER_API_URL";
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    const std::string l = lower(url);
    std::size_t scheme_end = 0;
    if (l.rfind("http://", 0) == 0) {
        scheme_end = 7;
    } else if (l.rfind("https://", 0) == 0) {
        scheme_end = 8;
    } else {
        return bad_value(name, "an http:// or https:// URL", url);
    }
    if (url.find_first_of("?# \t") != std::string::npos) {
        return bad_value(name, "a URL without query, fragment or spaces", url);
    }
    const std::size_t path_start = url.find('/', scheme_end);
    std::string authority = url.substr(
        scheme_end, path_start == std::string::npos ? std::string::npos : path_start - scheme_end);
    std::string display = url;
    std::string password;
    const std::size_t at = authority.rfind('@');
    if (at != std::string::npos) {
        display = url.substr(0, scheme_end) + url.substr(scheme_end + at + 1);
        const std::string userinfo = authority.substr(0, at);
        if (const std::size_t colon = userinfo.find(':'); colon != std::string::npos) {
            password = userinfo.substr(colon + 1);
        }
        authority = authority.substr(at + 1);
    }
    if (authority.empty() || authority[0] == ':') {
        return fail(Errc::invalid_argument, "config", "",
                    std::string(name) + ": the URL has no host");
    }
    return ApiUrl{url, display, password};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

} // namespace

std::string RedisEndpoint::display() const {
    std::string out = "redis://";
    if (!username.empty() || !password.empty()) {
        out += username;
        out += ":***@";
    }
    out += host + ":" + std::to_string(port) + "/" + std::to_string(db);
    return out;
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
    constexpr std::string_view name = "VLOG_REDIS_URL";
    RedisEndpoint ep;
    std::string_view rest;
    const std::string l = lower(std::string(url.substr(0, 9)));
    if (l.rfind("redis://", 0) == 0) {
        rest = url.substr(8);
    } else if (l.rfind("rediss://", 0) == 0) {
        return fail(Errc::invalid_argument, "config", "",
                    std::string(name) +
                        ": rediss:// (TLS) is not supported by this build; use redis:// "
                        "inside the cluster network");
    } else {
        return fail(Errc::invalid_argument, "config", "",
                    std::string(name) + ": expected a redis:// URL");
    }
    const std::size_t at = rest.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            // redis-py reads "redis://secret@host" as a password-only URL.
            ep.password = percent_decode(userinfo);
        } else {
            ep.username = percent_decode(userinfo.substr(0, colon));
            ep.password = percent_decode(userinfo.substr(colon + 1));
        }
        rest = rest.substr(at + 1);
    }
    std::string_view hostport = rest;
    const std::size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        std::string_view dbtext = rest.substr(slash + 1);
        if (const std::size_t q = dbtext.find('?'); q != std::string_view::npos) {
            dbtext = dbtext.substr(0, q);
        }
        if (!dbtext.empty()) {
            int db = 0;
            auto [ptr, ec] = std::from_chars(dbtext.data(), dbtext.data() + dbtext.size(), db);
            if (ec != std::errc() || ptr != dbtext.data() + dbtext.size() || db < 0 ||
                db > 1000000) {
                return fail(Errc::invalid_argument, "config", "",
                            std::string(name) + ": the database number '" +
                                std::string(dbtext.substr(0, 20)) + "' is not an integer");
            }
            ep.db = db;
        }
    }
    std::string_view host = hostport;
    if (!hostport.empty() && hostport.front() == '[') {
        const std::size_t close = hostport.find(']');
        if (close == std::string_view::npos) {
            return fail(Errc::invalid_argument, "config", "",
                        std::string(name) + ": unterminated IPv6 address");
        }
        host = hostport.substr(1, close - 1);
        hostport = hostport.substr(close + 1);
        if (!hostport.empty() && hostport.front() != ':') {
            return fail(Errc::invalid_argument, "config", "",
                        std::string(name) + ": unexpected text after the IPv6 address");
        }
        if (!hostport.empty()) {
            hostport.remove_prefix(1);
            int port = 0;
            auto [ptr, ec] =
                std::from_chars(hostport.data(), hostport.data() + hostport.size(), port);
            if (ec != std::errc() || ptr != hostport.data() + hostport.size() || port < 1 ||
                port > 65535) {
                return fail(Errc::invalid_argument, "config", "", std::string(name) + ": bad port");
            }
            ep.port = port;
        }
    } else if (const std::size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
        host = hostport.substr(0, colon);
        const std::string_view porttext = hostport.substr(colon + 1);
        int port = 0;
        auto [ptr, ec] = std::from_chars(porttext.data(), porttext.data() + porttext.size(), port);
        if (ec != std::errc() || ptr != porttext.data() + porttext.size() || port < 1 ||
            port > 65535) {
            return fail(Errc::invalid_argument, "config", "",
                        std::string(name) + ": bad port '" + std::string(porttext.substr(0, 10)) +
                            "'");
        }
        ep.port = port;
    }
    if (host.empty()) {
        return fail(Errc::invalid_argument, "config", "", std::string(name) + ": no host");
    }
    ep.host = std::string(host);
    return ep;
}

ConfigSource process_config_source() {
    ConfigSource source;
    source.env = [](std::string_view name) -> std::optional<std::string> {
        const char *value = std::getenv(std::string(name).c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
    source.read_file = [](const std::filesystem::path &path) -> Result<std::string> {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return fail(Errc::io, "config", path.string(), "cannot open the file");
        }
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    };
    source.exists = [](const std::filesystem::path &path) {
        std::error_code ec;
        return std::filesystem::exists(path, ec);
    };
    return source;
}

Result<Config> load_config(const ConfigSource &source, ConfigPurpose purpose) {
    Reader r(source);
    Config c;

#define VTC_TRY(var, expr)                                                                         \
    auto var = (expr);                                                                             \
    if (!var) {                                                                                    \
        return Unexpected(std::move(var).error());                                                 \
    }

    // --- Worker API ---
    VTC_TRY(url, check_api_url(r.raw("VLOG_WORKER_API_URL").value_or("http://localhost:9002")));
    c.api_url = url->url;
    c.api_url_display = url->display;
    c.api_url_password = url->password;
    VTC_TRY(key, r.secret("VLOG_WORKER_API_KEY"));
    c.api_key = *key;
    if (purpose != ConfigPurpose::register_worker) {
        if (c.api_key.empty()) {
            return fail(Errc::invalid_argument, "config", "",
                        "VLOG_WORKER_API_KEY: required (or VLOG_WORKER_API_KEY_FILE); register a "
                        "worker with `vtranscode-worker register --name NAME`");
        }
        if (c.api_key.size() < 8 || c.api_key.find_first_of(" \t\r\n") != std::string::npos) {
            // The server looks keys up by their first 8 characters (protocol §1.2).
            return fail(Errc::invalid_argument, "config", "",
                        "VLOG_WORKER_API_KEY: not a worker key (at least 8 characters, no "
                        "whitespace)");
        }
    }
    VTC_TRY(admin, r.secret("VLOG_WORKER_ADMIN_SECRET"));
    c.admin_secret = *admin;
    if (purpose == ConfigPurpose::register_worker && c.admin_secret.empty()) {
        return fail(Errc::invalid_argument, "config", "",
                    "VLOG_WORKER_ADMIN_SECRET: required by `register` (or "
                    "VLOG_WORKER_ADMIN_SECRET_FILE)");
    }
    c.ca_file = r.raw("VLOG_WORKER_CA_FILE").value_or("");
    if (!c.ca_file.empty() && !source.exists(c.ca_file)) {
        return fail(Errc::invalid_argument, "config", "",
                    "VLOG_WORKER_CA_FILE: '" + c.ca_file + "' does not exist");
    }
    VTC_TRY(connect_s, r.number("VLOG_WORKER_CONNECT_TIMEOUT", 10.0, 0.1, 300.0));
    c.connect_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*connect_s * 1000.0));

    // --- Loop timing ---
    VTC_TRY(hb, r.integer("VLOG_WORKER_HEARTBEAT_INTERVAL", 30, 1, 3600));
    c.heartbeat_interval = std::chrono::seconds(*hb);
    VTC_TRY(poll, r.integer("VLOG_WORKER_POLL_INTERVAL", 10, 1, 3600));
    c.poll_interval = std::chrono::seconds(*poll);
    // The Python worker's settings fallback reads VLOG_POLL_INTERVAL first (protocol §5.1).
    VTC_TRY(poll_override, r.integer("VLOG_POLL_INTERVAL", *poll, 1, 3600));
    c.poll_interval = std::chrono::seconds(*poll_override);
    VTC_TRY(renew, r.integer("VLOG_WORKER_LEASE_RENEW_INTERVAL", 60, 1, 300));
    c.lease_renew_interval = std::chrono::seconds(*renew);
    VTC_TRY(grace, r.integer("VLOG_WORKER_SHUTDOWN_GRACE", 270, 0, 86400));
    c.shutdown_grace = std::chrono::seconds(*grace);
    VTC_TRY(stall, r.integer("VLOG_WORKER_STALL_TIMEOUT", 600, 0, 86400));
    c.stall_timeout = std::chrono::seconds(*stall);

    // --- Work directory and retention ---
    c.work_dir = r.raw("VLOG_WORKER_WORK_DIR").value_or("/tmp/vlog-worker");
    if (!c.work_dir.is_absolute()) {
        return bad_value("VLOG_WORKER_WORK_DIR", "an absolute path", c.work_dir.string());
    }
    VTC_TRY(keep_h, r.integer("VLOG_WORKER_KEEP_UNVERIFIED_HOURS", 24, 0, 8760));
    c.keep_unverified = std::chrono::hours(*keep_h);
    VTC_TRY(keep_n, r.integer("VLOG_WORKER_KEEP_MAX_JOBS", 5, 0, 1000));
    c.keep_max_jobs = static_cast<int>(*keep_n);

    // --- Health server ---
    c.health_bind = r.raw("VLOG_WORKER_HEALTH_BIND").value_or("0.0.0.0");
    VTC_TRY(port, r.integer("VLOG_WORKER_HEALTH_PORT", 8080, 1, 65535));
    c.health_port = static_cast<int>(*port);

    // --- Transcoding ---
    VTC_TRY(format, r.choice("VLOG_STREAMING_FORMAT", 1, {"hls_ts", "cmaf"}));
    c.format = *format == 0 ? StreamingFormat::hls_ts : StreamingFormat::cmaf;
    VTC_TRY(codec, r.choice("VLOG_STREAMING_CODEC", 0, {"h264", "hevc", "av1"}));
    c.codec = static_cast<StreamingCodec>(*codec);
    VTC_TRY(dash, r.boolean("VLOG_STREAMING_ENABLE_DASH", true));
    c.enable_dash = *dash;
    VTC_TRY(seg, r.integer("VLOG_HLS_SEGMENT_DURATION", 6, 1, 60));
    c.segment_seconds = static_cast<int>(*seg);
    VTC_TRY(streaming, r.boolean("VLOG_WORKER_STREAMING_UPLOAD", false));
    c.streaming_upload = *streaming;
    if (c.streaming_upload && c.format != StreamingFormat::cmaf) {
        c.warnings.push_back("VLOG_WORKER_STREAMING_UPLOAD applies to CMAF only; hls_ts "
                             "renditions are uploaded as tar archives");
    }
    VTC_TRY(hw, r.choice("VLOG_HWACCEL_TYPE", 0, {"auto", "nvidia", "intel", "none"}));
    c.hwaccel = static_cast<HwaccelType>(*hw);
    c.vaapi_device = r.raw("VLOG_HWACCEL_VAAPI_DEVICE").value_or("/dev/dri/renderD128");
    if (!c.vaapi_device.is_absolute() || c.vaapi_device.string().size() > 200) {
        return bad_value("VLOG_HWACCEL_VAAPI_DEVICE", "an absolute path of at most 200 bytes",
                         c.vaapi_device.string());
    }
    VTC_TRY(detail, r.integer("VLOG_ERROR_DETAIL_MAX_LENGTH", 500, 1, 1000000));
    // The server refuses fail causes over 500 characters with 422 (protocol §2.6).
    c.error_detail_max_chars = static_cast<std::size_t>(std::min<std::int64_t>(*detail, 500));

    // --- Dispatch ---
    VTC_TRY(mode, r.choice("VLOG_JOB_QUEUE_MODE", 0, {"database", "redis", "hybrid"}));
    c.queue_mode = static_cast<QueueMode>(*mode);
    const std::optional<std::string> redis_url = r.raw("VLOG_REDIS_URL");
    if (redis_url) {
        VTC_TRY(ep, parse_redis_url(*redis_url));
        c.redis.endpoint = *ep;
        c.redis.enabled = true;
    } else if (c.queue_mode != QueueMode::database) {
        c.warnings.push_back("VLOG_JOB_QUEUE_MODE=" + std::string(to_string(c.queue_mode)) +
                             " without VLOG_REDIS_URL: polling the API only");
    }
    VTC_TRY(sock_to, r.number("VLOG_REDIS_SOCKET_TIMEOUT", 5.0, 0.1, 600.0));
    c.redis.socket_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*sock_to * 1000));
    VTC_TRY(conn_to, r.number("VLOG_REDIS_SOCKET_CONNECT_TIMEOUT", 5.0, 0.1, 600.0));
    c.redis.connect_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*conn_to * 1000));
    VTC_TRY(hc, r.integer("VLOG_REDIS_HEALTH_CHECK_INTERVAL", 30, 1, 3600));
    c.redis.health_check_interval = std::chrono::seconds(*hc);
    c.redis.consumer_group = r.raw("VLOG_REDIS_CONSUMER_GROUP").value_or("vlog-workers");
    VTC_TRY(block, r.integer("VLOG_REDIS_CONSUMER_BLOCK_MS", 5000, 1, 600000));
    c.redis.block = std::chrono::milliseconds(*block);
    VTC_TRY(pending, r.integer("VLOG_REDIS_PENDING_TIMEOUT_MS", 300000, 1, 86400000));
    c.redis.pending_timeout = std::chrono::milliseconds(*pending);
    c.redis.prefix = r.raw("VLOG_REDIS_PUBSUB_PREFIX").value_or("vlog");
    for (const std::string *name : {&c.redis.consumer_group, &c.redis.prefix}) {
        if (name->find_first_of(" \t\r\n") != std::string::npos) {
            return fail(Errc::invalid_argument, "config", "",
                        "VLOG_REDIS_CONSUMER_GROUP/VLOG_REDIS_PUBSUB_PREFIX: no whitespace "
                        "allowed");
        }
    }
    if (std::optional<std::string> id = r.raw("VLOG_WORKER_ID")) {
        if (!is_uuid(*id)) {
            return bad_value("VLOG_WORKER_ID", "the registered worker id (a UUID)", *id);
        }
        c.worker_id = lower(*id);
        c.worker_id_registered = true;
    } else {
        c.worker_id = "worker-" + random_hex(4);
        if (c.redis.enabled) {
            c.warnings.push_back("VLOG_WORKER_ID is unset: Redis consumer and command channel "
                                 "use " +
                                 c.worker_id +
                                 ", so targeted admin commands cannot reach this worker");
        }
    }

    // --- Identity and logs ---
    if (std::optional<std::string> version = r.raw("VLOG_CODE_VERSION")) {
        if (version->size() > 40) {
            return bad_value("VLOG_CODE_VERSION", "at most 40 characters", *version);
        }
        c.code_version = *version;
    }
    c.build_timestamp = r.raw("VLOG_BUILD_TIMESTAMP").value_or("");
    VTC_TRY(log_format, r.choice("VLOG_LOG_FORMAT", 0, {"text", "json"}));
    c.log_format = *log_format == 0 ? LogFormat::text : LogFormat::json;
    if (std::optional<std::string> level = r.raw("VLOG_LOG_LEVEL")) {
        if (!parse_log_level(*level, c.log_level)) {
            return bad_value("VLOG_LOG_LEVEL", "error, warning, info, debug or trace", *level);
        }
    }
    if (r.raw("KUBERNETES_SERVICE_HOST")) {
        c.deployment = DeploymentType::kubernetes;
    } else if (source.exists("/.dockerenv") || source.exists("/run/.containerenv")) {
        c.deployment = DeploymentType::docker;
    } else if (r.raw("INVOCATION_ID")) {
        c.deployment = DeploymentType::systemd;
    } else {
        c.deployment = DeploymentType::manual;
    }
#undef VTC_TRY
    return c;
}

} // namespace vtc::host
