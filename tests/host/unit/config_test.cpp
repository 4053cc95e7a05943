// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "config/config.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

using namespace vtc;
using namespace vtc::host;

namespace {

constexpr const char *good_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

ConfigSource table(std::map<std::string, std::string> env,
                   std::map<std::string, std::string> files = {}) {
    ConfigSource source;
    source.env = [env](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) {
            return std::nullopt;
        }
        return it->second;
    };
    source.read_file = [files](const std::filesystem::path &path) -> Result<std::string> {
        auto it = files.find(path.string());
        if (it == files.end()) {
            return fail(Errc::io, "config", path.string(), "No such file or directory");
        }
        return it->second;
    };
    source.exists = [files](const std::filesystem::path &path) {
        return files.count(path.string()) > 0;
    };
    return source;
}

} // namespace

TEST_CASE("defaults follow the Python worker where the protocol says so") {
    auto c = load_config(table({{"VLOG_WORKER_API_KEY", good_key}}), ConfigPurpose::run);
    REQUIRE(c);
    CHECK(c->api_url == "http://localhost:9002");
    CHECK(c->heartbeat_interval == std::chrono::seconds(30));
    CHECK(c->poll_interval == std::chrono::seconds(10));
    CHECK(c->work_dir == "/tmp/vlog-worker");
    CHECK(c->health_port == 8080);
    CHECK(c->format == StreamingFormat::cmaf);
    CHECK(c->codec == StreamingCodec::h264);
    CHECK(c->enable_dash);
    CHECK(c->segment_seconds == 6);
    CHECK_FALSE(c->streaming_upload);
    CHECK(c->queue_mode == QueueMode::database);
    CHECK_FALSE(c->redis.enabled);
    CHECK(c->shutdown_grace == std::chrono::seconds(270));
    CHECK(c->lease_renew_interval <= std::chrono::seconds(300));
    CHECK_FALSE(c->code_version.has_value());
    CHECK(c->deployment == DeploymentType::manual);
    CHECK(c->worker_id.rfind("worker-", 0) == 0);
    CHECK_FALSE(c->worker_id_registered);
}

TEST_CASE("bad values fail start-up with a message naming the variable") {
    struct Row {
        const char *name;
        const char *value;
    };
    const Row rows[] = {
        {"VLOG_WORKER_API_URL", "ftp://x"},
        {"VLOG_WORKER_API_URL", "http://"},
        {"VLOG_WORKER_HEARTBEAT_INTERVAL", "0"},
        {"VLOG_WORKER_HEARTBEAT_INTERVAL", "ten"},
        {"VLOG_WORKER_POLL_INTERVAL", "-3"},
        {"VLOG_POLL_INTERVAL", "1.5"},
        {"VLOG_WORKER_HEALTH_PORT", "70000"},
        {"VLOG_WORKER_STREAMING_UPLOAD", "maybe"},
        {"VLOG_STREAMING_FORMAT", "dash"},
        {"VLOG_STREAMING_CODEC", "vp9"},
        {"VLOG_STREAMING_ENABLE_DASH", "sometimes"},
        {"VLOG_HLS_SEGMENT_DURATION", "0"},
        {"VLOG_HWACCEL_TYPE", "amd"},
        {"VLOG_HWACCEL_VAAPI_DEVICE", "renderD128"},
        {"VLOG_JOB_QUEUE_MODE", "kafka"},
        {"VLOG_REDIS_URL", "rediss://host:6380"},
        {"VLOG_REDIS_URL", "redis://host:notaport"},
        {"VLOG_REDIS_CONSUMER_BLOCK_MS", "0"},
        {"VLOG_WORKER_ID", "not-a-uuid"},
        {"VLOG_CODE_VERSION", "0123456789012345678901234567890123456789x"},
        {"VLOG_LOG_FORMAT", "xml"},
        {"VLOG_LOG_LEVEL", "loud"},
        {"VLOG_WORKER_WORK_DIR", "relative/dir"},
        {"VLOG_WORKER_LEASE_RENEW_INTERVAL", "301"},
        {"VLOG_WORKER_SHUTDOWN_GRACE", "-1"},
        {"VLOG_WORKER_CONNECT_TIMEOUT", "0"},
        {"VLOG_WORKER_CA_FILE", "/nonexistent/ca.pem"},
    };
    for (const Row &row : rows) {
        CAPTURE(row.name);
        CAPTURE(row.value);
        auto c = load_config(table({{"VLOG_WORKER_API_KEY", good_key}, {row.name, row.value}}),
                             ConfigPurpose::run);
        REQUIRE_FALSE(c);
        CHECK(c.error().code == Errc::invalid_argument);
        CHECK(c.error().message.find(row.name) != std::string::npos);
        CHECK(c.error().message.find('\n') == std::string::npos);
    }
}

TEST_CASE("values are parsed, not just accepted") {
    auto c = load_config(table({{"VLOG_WORKER_API_KEY", good_key},
                                {"VLOG_WORKER_API_URL", "https://user:pw@api.example:9443/"},
                                {"VLOG_WORKER_POLL_INTERVAL", "7"},
                                {"VLOG_POLL_INTERVAL", "3"},
                                {"VLOG_STREAMING_FORMAT", "HLS_TS"},
                                {"VLOG_STREAMING_CODEC", "hevc"},
                                {"VLOG_STREAMING_ENABLE_DASH", "false"},
                                {"VLOG_WORKER_STREAMING_UPLOAD", "1"},
                                {"VLOG_HLS_SEGMENT_DURATION", "4"},
                                {"VLOG_JOB_QUEUE_MODE", "hybrid"},
                                {"VLOG_REDIS_URL", "redis://:p%40ss@redis.local:6390/2"},
                                {"VLOG_REDIS_CONSUMER_BLOCK_MS", "2000"},
                                {"VLOG_WORKER_ID", "3F0B8C1E-5A7D-4C2B-9E1F-0A1B2C3D4E5F"},
                                {"VLOG_CODE_VERSION", "c2ffad0"},
                                {"VLOG_ERROR_DETAIL_MAX_LENGTH", "2000"},
                                {"VLOG_LOG_FORMAT", "json"},
                                {"KUBERNETES_SERVICE_HOST", "10.0.0.1"}}),
                         ConfigPurpose::run);
    REQUIRE(c);
    CHECK(c->api_url == "https://user:pw@api.example:9443");
    CHECK(c->api_url_display == "https://api.example:9443");
    CHECK(c->api_url_password == "pw");
    CHECK(c->poll_interval == std::chrono::seconds(3)); // VLOG_POLL_INTERVAL wins
    CHECK(c->format == StreamingFormat::hls_ts);
    CHECK(c->codec == StreamingCodec::hevc);
    CHECK_FALSE(c->enable_dash); // the Python worker mis-parses "false" as true (§5.1)
    CHECK(c->streaming_upload);
    CHECK(c->segment_seconds == 4);
    CHECK(c->queue_mode == QueueMode::hybrid);
    CHECK(c->redis.enabled);
    CHECK(c->redis.endpoint.host == "redis.local");
    CHECK(c->redis.endpoint.port == 6390);
    CHECK(c->redis.endpoint.db == 2);
    CHECK(c->redis.endpoint.password == "p@ss");
    CHECK(c->redis.endpoint.display().find("p@ss") == std::string::npos);
    CHECK(c->redis.block == std::chrono::milliseconds(2000));
    CHECK(c->worker_id == "3f0b8c1e-5a7d-4c2b-9e1f-0a1b2c3d4e5f");
    CHECK(c->worker_id_registered);
    REQUIRE(c->code_version);
    CHECK(*c->code_version == "c2ffad0");
    CHECK(c->error_detail_max_chars == 500);
    CHECK(c->log_format == LogFormat::json);
    CHECK(c->deployment == DeploymentType::kubernetes);
}

TEST_CASE("the API key comes from the environment or a file, never both, never echoed") {
    SUBCASE("missing key") {
        auto c = load_config(table({}), ConfigPurpose::run);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("VLOG_WORKER_API_KEY") != std::string::npos);
    }
    SUBCASE("key from a mounted secret, trailing newline trimmed") {
        auto c = load_config(table({{"VLOG_WORKER_API_KEY_FILE", "/run/secrets/key"}},
                                   {{"/run/secrets/key", std::string(good_key) + "\n"}}),
                             ConfigPurpose::run);
        REQUIRE(c);
        CHECK(c->api_key == good_key);
    }
    SUBCASE("both set") {
        auto c = load_config(table({{"VLOG_WORKER_API_KEY", good_key},
                                    {"VLOG_WORKER_API_KEY_FILE", "/run/secrets/key"}},
                                   {{"/run/secrets/key", good_key}}),
                             ConfigPurpose::run);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find(good_key) == std::string::npos);
    }
    SUBCASE("unreadable file") {
        auto c = load_config(table({{"VLOG_WORKER_API_KEY_FILE", "/nope"}}), ConfigPurpose::run);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("VLOG_WORKER_API_KEY_FILE") != std::string::npos);
    }
    SUBCASE("a short key is refused without being echoed") {
        auto c = load_config(table({{"VLOG_WORKER_API_KEY", "short"}}), ConfigPurpose::run);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("short") == std::string::npos);
    }
    SUBCASE("register needs the admin secret but no key") {
        auto c = load_config(table({}), ConfigPurpose::register_worker);
        REQUIRE_FALSE(c);
        CHECK(c.error().message.find("VLOG_WORKER_ADMIN_SECRET") != std::string::npos);
        auto ok = load_config(table({{"VLOG_WORKER_ADMIN_SECRET", "s3cret"}}),
                              ConfigPurpose::register_worker);
        CHECK(ok);
    }
}

TEST_CASE("empty values count as unset, as ConfigMaps often carry them") {
    auto c = load_config(table({{"VLOG_WORKER_API_KEY", good_key},
                                {"VLOG_WORKER_POLL_INTERVAL", ""},
                                {"VLOG_REDIS_URL", "  "}}),
                         ConfigPurpose::run);
    REQUIRE(c);
    CHECK(c->poll_interval == std::chrono::seconds(10));
    CHECK_FALSE(c->redis.enabled);
}

TEST_CASE("redis queue mode without a URL polls and says so") {
    auto c =
        load_config(table({{"VLOG_WORKER_API_KEY", good_key}, {"VLOG_JOB_QUEUE_MODE", "redis"}}),
                    ConfigPurpose::run);
    REQUIRE(c);
    CHECK_FALSE(c->redis.enabled);
    REQUIRE_FALSE(c->warnings.empty());
    CHECK(c->warnings[0].find("VLOG_REDIS_URL") != std::string::npos);
}

TEST_CASE("redis URLs") {
    auto plain = parse_redis_url("redis://localhost");
    REQUIRE(plain);
    CHECK(plain->host == "localhost");
    CHECK(plain->port == 6379);
    CHECK(plain->password.empty());
    auto acl = parse_redis_url("redis://worker:pw@10.0.0.5:6380/1");
    REQUIRE(acl);
    CHECK(acl->username == "worker");
    CHECK(acl->password == "pw");
    CHECK(acl->port == 6380);
    CHECK(acl->db == 1);
    auto v6 = parse_redis_url("redis://[::1]:7000");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 7000);
    CHECK_FALSE(parse_redis_url("http://localhost"));
    CHECK_FALSE(parse_redis_url("redis://:pw@"));
}

TEST_CASE("deployment type detection follows the Python worker's order") {
    auto docker = load_config(
        table({{"VLOG_WORKER_API_KEY", good_key}, {"INVOCATION_ID", "x"}}, {{"/.dockerenv", ""}}),
        ConfigPurpose::run);
    REQUIRE(docker);
    CHECK(docker->deployment == DeploymentType::docker);
    auto systemd = load_config(table({{"VLOG_WORKER_API_KEY", good_key}, {"INVOCATION_ID", "x"}}),
                               ConfigPurpose::run);
    REQUIRE(systemd);
    CHECK(systemd->deployment == DeploymentType::systemd);
}

TEST_CASE("every documented variable has a default and a meaning") {
    for (const EnvVarDoc &doc : documented_variables()) {
        CAPTURE(doc.name);
        CHECK_FALSE(doc.default_value.empty());
        CHECK_FALSE(doc.meaning.empty());
    }
}

TEST_CASE("host/README.md documents every variable with its default") {
    const char *path = std::getenv("VTC_HOST_README");
    REQUIRE_MESSAGE(path != nullptr, "VTC_HOST_README is not set (run through meson test)");
    std::ifstream in(path);
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    for (const EnvVarDoc &doc : documented_variables()) {
        CAPTURE(doc.name);
        const std::string row =
            "| `" + std::string(doc.name) + "` | `" + std::string(doc.default_value) + "` |";
        CHECK(readme.find(row) != std::string::npos);
    }
}
