// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file config.hpp
/// @brief The worker's configuration: the VLOG_* environment of the Python worker
///        (protocol §9.1) plus a few additions, validated once into an immutable struct.
///
/// Everything downstream takes `const Config &`; nothing else reads the environment.
#pragma once

#include "util/logging.hpp"

#include <vtranscode/log.hpp>
#include <vtranscode/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtc::host {

enum class StreamingFormat { hls_ts, cmaf };
enum class StreamingCodec { h264, hevc, av1 };
enum class QueueMode { database, redis, hybrid };
enum class HwaccelType { auto_detect, nvidia, intel, none };
enum class DeploymentType { kubernetes, docker, systemd, manual };

std::string_view to_string(StreamingFormat format) noexcept; ///< "hls_ts", "cmaf"
std::string_view to_string(StreamingCodec codec) noexcept;   ///< "h264", "hevc", "av1"
std::string_view to_string(QueueMode mode) noexcept;         ///< "database", ...
std::string_view to_string(HwaccelType type) noexcept;       ///< "auto", "nvidia", ...
std::string_view to_string(DeploymentType type) noexcept;    ///< "kubernetes", ...

/// A parsed `redis://[[user]:password@]host[:port][/db]` URL.
struct RedisEndpoint {
    std::string host;
    int port = 6379;
    std::string username; ///< empty: plain AUTH with the password only
    std::string password; ///< a secret; empty when none
    int db = 0;
    /// The URL without the password, for logs.
    std::string display() const;
};

/// Parses a Redis URL. @return the endpoint, or Errc::invalid_argument saying why
/// (unsupported scheme such as rediss://, bad port, bad database number).
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisSettings {
    bool enabled = false; ///< a URL was given and the queue mode uses Redis
    RedisEndpoint endpoint;
    std::chrono::milliseconds socket_timeout{5000};
    std::chrono::milliseconds connect_timeout{5000};
    std::string consumer_group = "vlog-workers";
    std::chrono::milliseconds block{5000};
    std::chrono::milliseconds pending_timeout{300000};
    std::chrono::seconds health_check_interval{30};
    std::string prefix = "vlog";
};

/// The validated configuration. Immutable after load_config().
struct Config {
    // --- Worker API ---
    std::string api_url = "http://localhost:9002"; ///< without trailing '/'
    std::string api_url_display;                   ///< api_url without user:password@
    std::string api_url_password; ///< password in the URL, if any (redacted in logs)
    std::string api_key;          ///< secret: never logged
    std::string admin_secret;     ///< secret; only `register` needs it
    std::string ca_file;          ///< PEM bundle for https; empty: system
    std::chrono::milliseconds connect_timeout{10000};

    // --- Loop timing ---
    std::chrono::seconds heartbeat_interval{30};
    std::chrono::seconds poll_interval{10};
    std::chrono::seconds lease_renew_interval{60};
    std::chrono::seconds shutdown_grace{270};
    std::chrono::seconds stall_timeout{600};

    // --- Work directory and retention ---
    std::filesystem::path work_dir = "/tmp/vlog-worker";
    std::chrono::hours keep_unverified{24};
    int keep_max_jobs = 5;

    // --- Health server ---
    std::string health_bind = "0.0.0.0";
    int health_port = 8080;

    // --- Transcoding (the worker decides these, protocol §5.1) ---
    StreamingFormat format = StreamingFormat::cmaf;
    StreamingCodec codec = StreamingCodec::h264;
    bool enable_dash = true;
    int segment_seconds = 6;
    bool streaming_upload = false;
    HwaccelType hwaccel = HwaccelType::auto_detect;
    /// The DRM render node the VA-API and QSV plugins open (VLOG_HWACCEL_VAAPI_DEVICE);
    /// sent to VLog as `vaapi_device` when an Intel encoder is usable.
    std::filesystem::path vaapi_device = "/dev/dri/renderD128";
    std::size_t error_detail_max_chars = 500;

    // --- Dispatch ---
    QueueMode queue_mode = QueueMode::database;
    RedisSettings redis;
    std::string worker_id;             ///< registered id (VLOG_WORKER_ID) or "worker-<8 hex>"
    bool worker_id_registered = false; ///< true when worker_id came from VLOG_WORKER_ID

    // --- Identity and logs ---
    std::optional<std::string> code_version; ///< sent in heartbeats only when configured
    std::string build_timestamp;
    DeploymentType deployment = DeploymentType::manual;
    LogFormat log_format = LogFormat::text;
    LogLevel log_level = LogLevel::info;

    /// Non-fatal findings to log once at start ("redis mode without VLOG_REDIS_URL").
    std::vector<std::string> warnings;
};

/// What a subcommand needs: `register` needs the admin secret but no worker key.
enum class ConfigPurpose { run, check, register_worker };

/// Where configuration comes from; tests supply tables instead of the process state.
struct ConfigSource {
    /// Value of an environment variable, or nullopt when unset.
    std::function<std::optional<std::string>(std::string_view name)> env;
    /// Whole content of a file (for *_FILE secrets), or an error.
    std::function<Result<std::string>(const std::filesystem::path &path)> read_file;
    /// Whether a path exists (deployment detection: /.dockerenv, /run/.containerenv).
    std::function<bool(const std::filesystem::path &path)> exists;
};

/// The real process environment and file system.
ConfigSource process_config_source();

/// Reads and validates everything once.
/// @return the Config, or Errc::invalid_argument with a one-line message that names the
///         offending variable ("VLOG_WORKER_POLL_INTERVAL: expected an integer >= 1, got 'x'").
Result<Config> load_config(const ConfigSource &source, ConfigPurpose purpose);

/// One documented environment variable (the README's table is checked against this list).
struct EnvVarDoc {
    std::string_view name;
    std::string_view default_value;
    std::string_view meaning;
};

/// Every variable load_config() reads, in documentation order.
const std::vector<EnvVarDoc> &documented_variables();

} // namespace vtc::host
