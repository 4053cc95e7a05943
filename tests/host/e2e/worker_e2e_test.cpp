// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// End-to-end: the real vtranscode-worker binary (its test build, which can select the
// test-only transcoder) against the fake Worker API, with faults. Each test starts its own
// fake API, worker process and, for dispatch tests, a real redis-server.
#include "../fake_api/fake_api.hpp"
#include "../fake_api/fault_proxy.hpp"
#include "../support/process.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

using namespace vtc::host::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string binary(const char *var) {
    const char *path = std::getenv(var);
    REQUIRE_MESSAGE(path != nullptr, var << " is not set (run through meson test)");
    return path;
}

std::string media_bytes(std::size_t n) {
    std::string s = std::string("\0\0\0\x18", 4) + "ftypisom";
    while (s.size() < n) {
        s += static_cast<char>((s.size() * 131) & 0xff);
    }
    return s;
}

using Env = std::map<std::string, std::string>;

struct Fixture {
    fs::path root;
    std::unique_ptr<FakeVlogApi> api;
    std::unique_ptr<FaultProxy> proxy;
    std::string key;
    int health_port = 0;
    std::unique_ptr<Child> worker;

    explicit Fixture(FakeVlogApi::Options options = {}) {
        static int counter = 0;
        root = fs::temp_directory_path() /
               ("vtc-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        fs::remove_all(root);
        fs::create_directories(root / "work");
        api = std::make_unique<FakeVlogApi>(root / "server", options);
        key = api->add_worker("e2e-worker");
        health_port = free_port();
    }
    Fixture(const Fixture &) = delete;
    ~Fixture() {
        worker.reset();
        proxy.reset();
        api->stop(false);
        fs::remove_all(root);
    }

    std::int64_t add_job(const std::string &bytes, std::vector<std::string> existing = {},
                         bool targeted_only = false, std::int64_t video_id = 15) {
        const fs::path src = root / ("source-" + std::to_string(video_id) + ".mp4");
        std::ofstream(src, std::ios::binary) << bytes;
        return api->add_job(video_id, "video-" + std::to_string(video_id), src, ".mp4",
                            std::move(existing), targeted_only);
    }

    Env env(const std::string &url) const {
        return {{"PATH", "/usr/bin:/bin"},
                {"VLOG_WORKER_API_URL", url},
                {"VLOG_WORKER_API_KEY", key},
                {"VLOG_WORKER_WORK_DIR", (root / "work").string()},
                {"VLOG_WORKER_HEALTH_BIND", "127.0.0.1"},
                {"VLOG_WORKER_HEALTH_PORT", std::to_string(health_port)},
                {"VLOG_WORKER_HEARTBEAT_INTERVAL", "1"},
                {"VLOG_WORKER_POLL_INTERVAL", "1"},
                {"VLOG_WORKER_LEASE_RENEW_INTERVAL", "1"},
                {"VLOG_WORKER_CONNECT_TIMEOUT", "2"},
                {"VLOG_LOG_LEVEL", "debug"},
                {"VTC_WORKER_TEST_TRANSCODER", "1"},
                {"VTC_TEST_TRANSCODER_MS", "300"}};
    }

    void start(Env extra = {}, std::string url = "") {
        if (url.empty()) {
            url = proxy ? proxy->url() : api->url();
        }
        Env e = env(url);
        for (auto &[k, v] : extra) {
            e[k] = v;
        }
        worker = std::make_unique<Child>(
            std::vector<std::string>{binary("VTC_WORKER_TESTBUILD_BIN"), "run"}, e,
            root / "worker.log");
    }

    httplib::Result get(const std::string &path) const {
        httplib::Client cli("127.0.0.1", health_port);
        cli.set_connection_timeout(1);
        cli.set_read_timeout(3);
        return cli.Get(path.c_str());
    }

    int status(const std::string &path) const {
        auto r = get(path);
        return r ? r->status : -1;
    }

    std::string log() const { return worker ? worker->output() : std::string(); }

    /// Stops the worker with SIGTERM and requires a clean exit.
    void stop_worker() {
        worker->signal(SIGTERM);
        const std::optional<int> code = worker->wait(20s);
        INFO(log());
        REQUIRE(code.has_value());
        CHECK(*code == 0);
    }
};

std::set<std::string> tree(const fs::path &dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_regular_file()) {
            out.insert(fs::relative(it->path(), dir).generic_string());
        }
    }
    return out;
}

} // namespace

TEST_CASE("e2e: tar mode, claim to verify, health and metrics, clean SIGTERM exit") {
    FakeVlogApi::Options o;
    o.server_streaming_format = "hls_ts";
    Fixture f(o);
    const auto id = f.add_job(media_bytes(100000));
    f.api->start();
    f.start({{"VLOG_STREAMING_FORMAT", "hls_ts"}, {"VLOG_LOG_FORMAT", "json"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("verify_complete", 200) == 1; }, 30s),
                    f.log());
    const FakeJob job = f.api->job(id);
    CHECK(job.video_status == "ready");
    CHECK(job.fail_calls == 0);
    const auto files = tree(f.api->video_dir("video-15"));
    for (const char *name :
         {"master.m3u8", "thumbnail.jpg", "original.m3u8", "480p.m3u8", "360p_0000.ts"}) {
        CAPTURE(name);
        CHECK(files.count(name) == 1);
    }
    CHECK(eventually([&] { return !fs::exists(f.root / "work" / std::to_string(id)); }, 5s));

    auto health = f.get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->body == R"({"status": "alive"})");
    CHECK(health->get_header_value("Content-Type") == "application/json");
    CHECK(health->get_header_value("Connection") == "close");
    auto ready = f.get("/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    auto ready_json = Json::parse(ready->body);
    CHECK(ready_json["status"] == "ready");
    CHECK(ready_json["checks"]["api_connected"] == true);
    auto root = f.get("/");
    REQUIRE(root);
    auto root_json = Json::parse(root->body);
    CHECK(root_json["service"] == "vlog-worker");
    CHECK(root_json["api_url"] == f.api->url());
    CHECK(f.status("/ready?verbose=1") == 404);
    CHECK(f.status("/nope") == 404);
    auto metrics = f.get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    for (const char *line :
         {"vtranscode_worker_jobs_claimed_total 1", "vtranscode_worker_jobs_completed_total 1",
          "vtranscode_worker_jobs_failed_total 0", "vtranscode_worker_jobs_lost_total 0",
          "vtranscode_worker_current_job_id 0", "vtranscode_worker_build_info{",
          "vtranscode_worker_rendition_encode_fps{rendition=\"480p\"}",
          "vtranscode_worker_heartbeat_age_seconds ",
          "vtranscode_worker_encoder_sessions_in_use{backend=\"test-h264\"",
          "# TYPE vtranscode_worker_uploaded_bytes_total counter"}) {
        CAPTURE(line);
        CHECK(metrics->body.find(line) != std::string::npos);
    }
    CHECK(metrics->body.find("vtranscode_worker_downloaded_bytes_total 100000") !=
          std::string::npos);

    // Every heartbeat carried the capabilities and the deployment type (§2.2), the status
    // was idle or busy, and no code_version was sent (none configured).
    const auto heartbeats = f.api->calls("heartbeat");
    REQUIRE(heartbeats.size() >= 2);
    for (const RecordedCall &hb : heartbeats) {
        CHECK(hb.status == 200);
        CHECK(hb.body["metadata"]["capabilities"]["max_concurrent_encode_sessions"] == 4);
        CHECK(hb.body["metadata"]["deployment_type"].is_string());
        CHECK(!hb.body.contains("code_version"));
        CHECK(hb.request_id.rfind("vtc-", 0) == 0);
    }
    f.stop_worker();
    const std::string log = f.log();
    CHECK(log.find(f.key) == std::string::npos);
    // JSON lines, each with a level and a message; job lines carry the job id.
    std::istringstream lines(log);
    std::string line;
    bool saw_job_line = false;
    bool saw_request_line = false;
    while (std::getline(lines, line)) {
        const Json j = Json::parse(line, nullptr, false);
        REQUIRE_MESSAGE(j.is_object(), line);
        CHECK(j.contains("level"));
        if (j.contains("job_id") && j["job_id"] == id) {
            saw_job_line = true;
            // A job-scoped API exchange: both ids, and the request id the server saw.
            if (j.contains("request_id")) {
                saw_request_line = true;
                const std::string rid = j["request_id"];
                const auto calls = f.api->calls();
                CHECK(std::any_of(calls.begin(), calls.end(),
                                  [&](const RecordedCall &c) { return c.request_id == rid; }));
            }
        }
    }
    CHECK(saw_job_line);
    CHECK(saw_request_line);
}

TEST_CASE("e2e: CMAF streaming upload") {
    Fixture f;
    const auto id = f.add_job(media_bytes(50000));
    f.api->start();
    f.start({{"VLOG_STREAMING_FORMAT", "cmaf"}, {"VLOG_WORKER_STREAMING_UPLOAD", "true"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("verify_complete", 200) == 1; }, 30s),
                    f.log());
    CHECK(f.api->job(id).video_status == "ready");
    CHECK(f.api->count("upload_segment", 200) == 8);
    CHECK(f.api->count("segment_finalize", 200) == 2);
    const auto files = tree(f.api->video_dir("video-15"));
    CHECK(files.count("manifest.mpd") == 1);
    CHECK(files.count("480p/init.mp4") == 1);
    f.stop_worker();
}

TEST_CASE("e2e: API down at start: keeps retrying, /ready 503, then works") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    const int api_port = free_port();
    f.start({}, "http://127.0.0.1:" + std::to_string(api_port));
    REQUIRE(eventually([&] { return f.status("/health") == 200; }, 10s));
    auto ready = f.get("/ready");
    REQUIRE(ready);
    CHECK(ready->status == 503);
    const Json body = Json::parse(ready->body);
    CHECK(body["checks"]["api_connected"] == false);
    CHECK(std::find(body["failing"].begin(), body["failing"].end(), "api_connected") !=
          body["failing"].end());
    CHECK(f.worker->running());
    f.api->start(api_port);
    REQUIRE_MESSAGE(eventually([&] { return f.status("/ready") == 200; }, 20s), f.log());
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).video_status == "ready"; }, 30s),
                    f.log());
    f.stop_worker();
}

TEST_CASE("e2e: API restart mid-job: the job is lost quietly, reclaimed and finished") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    const int port = f.api->port();
    f.start({{"VTC_TEST_TRANSCODER_MS", "4000"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).current_step == "transcode"; }, 20s),
                    f.log());
    f.api->stop(true); // the real API releases every claimed job on shutdown
    std::this_thread::sleep_for(1500ms);
    f.api->start(port);
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).video_status == "ready"; }, 60s),
                    f.log());
    CHECK(f.api->job(id).fail_calls == 0);
    CHECK(f.api->count("claim", 200) >= 2);
    CHECK(f.log().find("lost") != std::string::npos);
    f.stop_worker();
}

TEST_CASE("e2e: 500s and 429s are ridden out") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->inject("heartbeat", 503, 2);
    f.api->inject("claim", 500, 2);
    f.api->inject("progress", 502, 2);
    f.api->inject("source", 429, 1, "", 1);
    f.api->inject("upload_quality", 500, 1);
    f.api->inject("complete", 503, 1);
    f.api->start();
    f.start();
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).video_status == "ready"; }, 60s),
                    f.log());
    CHECK(f.api->job(id).fail_calls == 0);
    auto metrics = f.get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find(
              "vtranscode_worker_api_errors_total{endpoint=\"claim\",code=\"500\"} 2") !=
          std::string::npos);
    CHECK(metrics->body.find(
              "vtranscode_worker_api_errors_total{endpoint=\"source\",code=\"429\"} 1") !=
          std::string::npos);
    f.stop_worker();
}

TEST_CASE("e2e: connection cut during download (Range resume) and upload (that rendition only)") {
    Fixture f;
    const auto id = f.add_job(media_bytes(600000));
    f.api->start();
    f.proxy = std::make_unique<FaultProxy>(f.api->port());
    f.api->cut_source_after(150000, 1);
    f.proxy->cut_request_after("POST /api/worker/upload/15/quality/480p", 2000, 1);
    f.start({{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).completed_at.has_value(); }, 60s),
                    f.log());
    CHECK(f.api->count("source") == 2);
    CHECK(f.log().find("resuming with Range") != std::string::npos);
    CHECK(f.proxy->cuts() == 1);
    std::map<std::string, int> uploads;
    for (const RecordedCall &c : f.api->calls("upload_quality")) {
        ++uploads[c.body["quality"].get<std::string>()];
    }
    CHECK(uploads["original"] == 1);
    CHECK(uploads["480p"] == 1);
    CHECK(uploads["360p"] == 1);
    f.stop_worker();
}

TEST_CASE("e2e: lease lost mid-encode: stops within 5 s, no fail call") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    f.start({{"VTC_TEST_TRANSCODER_MS", "30000"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).current_step == "transcode"; }, 20s),
                    f.log());
    // Keep the released job from being claimed again so the test sees one loss only.
    f.api->inject("claim", 503, 1000);
    const auto released = std::chrono::steady_clock::now();
    f.api->release(id);
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            auto m = f.get("/metrics");
                            return m && m->body.find("vtranscode_worker_jobs_lost_total 1") !=
                                            std::string::npos;
                        },
                        6s),
                    f.log());
    CHECK(std::chrono::steady_clock::now() - released < 5s);
    CHECK(f.api->count("fail") == 0);
    CHECK_FALSE(fs::exists(f.root / "work" / std::to_string(id) / "output"));
    f.stop_worker();
}

TEST_CASE("e2e: SIGTERM mid-job hands the job back without burning an attempt") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    f.start({{"VTC_TEST_TRANSCODER_MS", "60000"}, {"VLOG_WORKER_SHUTDOWN_GRACE", "3"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).current_step == "transcode"; }, 20s),
                    f.log());
    const int heartbeats_before = f.api->count("heartbeat");
    f.worker->signal(SIGTERM);
    const auto code = f.worker->wait(15s);
    INFO(f.log());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(f.api->count("fail") == 0);
    const FakeJob job = f.api->job(id);
    CHECK(job.attempt_number == 1);
    CHECK_FALSE(job.completed_at.has_value());
    CHECK(f.log().find("handed back without a fail call") != std::string::npos);
    CHECK(f.api->count("heartbeat") >= heartbeats_before); // heartbeats did not stop early
}

TEST_CASE("e2e: a corrupt source fails with a clear cause") {
    Fixture f;
    const auto id = f.add_job(std::string(10000, '#'));
    f.api->start();
    f.start();
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("fail", 200) == 1; }, 30s), f.log());
    const RecordedCall fail = f.api->calls("fail").front();
    CHECK(fail.body["error_message"].get<std::string>().find("Invalid data") != std::string::npos);
    CHECK(fail.body["retry"] == false);
    CHECK(f.api->job(id).video_status == "failed");
    f.stop_worker();
}

TEST_CASE("e2e: server-supplied path traversal names write nothing outside the work dir") {
    Fixture f;
    f.api->set_source_filename_override("../../../escape.mp4");
    const auto id = f.add_job(media_bytes(20000));
    f.api->set_verify_bug(true); // keep the job directory for inspection
    f.api->start();
    f.start({{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).completed_at.has_value(); }, 30s),
                    f.log());
    CHECK(eventually([&] { return f.api->count("verify_complete") == 1; }, 5s));
    CHECK(fs::exists(f.root / "work" / std::to_string(id) / "source.bin"));
    CHECK_FALSE(fs::exists(f.root / "escape.mp4"));
    CHECK_FALSE(fs::exists(fs::temp_directory_path() / "escape.mp4"));
    for (const std::string &file : tree(f.root / "work")) {
        CHECK(file.find("..") == std::string::npos);
    }
    CHECK(f.log().find("rejected") != std::string::npos);
    f.stop_worker();
}

TEST_CASE("e2e: invalid or oversized JSON from the server: clear error, no crash") {
    Fixture f;
    f.api->set_claim_reply_override(std::string("{\"job_id\": 1, \"video_id\": "));
    f.api->start();
    f.start();
    REQUIRE(eventually([&] { return f.log().find("not valid JSON") != std::string::npos; }, 20s));
    f.api->set_claim_reply_override("{\"pad\":\"" + std::string(3u << 20, 'x') + "\"}");
    REQUIRE_MESSAGE(eventually([&] { return f.log().find("exceeds") != std::string::npos; }, 20s),
                    f.log());
    f.api->set_claim_reply_override(std::string(100000, '[') + std::string(100000, ']'));
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            return f.log().find("nests deeper") != std::string::npos ||
                                   f.log().find("not an object") != std::string::npos;
                        },
                        20s),
                    f.log());
    CHECK(f.worker->running());
    CHECK(f.status("/health") == 200);
    // It recovers once the server behaves.
    f.api->set_claim_reply_override(std::nullopt);
    const auto id = f.add_job(media_bytes(20000));
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).video_status == "ready"; }, 60s),
                    f.log());
    f.stop_worker();
}

TEST_CASE("e2e: check against an unreachable or silent API exits 1 within the timeout") {
    const fs::path out =
        fs::temp_directory_path() / ("vtc-check-" + std::to_string(::getpid()) + ".log");
    const Env env = {{"PATH", "/usr/bin:/bin"},
                     {"VLOG_WORKER_API_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
                     {"VLOG_WORKER_CONNECT_TIMEOUT", "1"},
                     {"VLOG_WORKER_API_URL", "http://127.0.0.1:" + std::to_string(free_port())}};
    {
        fs::remove(out);
        Child check({binary("VTC_WORKER_BIN"), "check"}, env, out);
        const auto code = check.wait(5s);
        REQUIRE(code.has_value());
        CHECK(*code == 1);
        CHECK(check.output().find("Couldn't connect") != std::string::npos);
        CHECK(check.output().find("\"api_connected\":false") != std::string::npos);
    }
    // A socket that accepts but never answers: bounded by VLOG_WORKER_CONNECT_TIMEOUT.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    Env silent = env;
    silent["VLOG_WORKER_API_URL"] = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    fs::remove(out);
    const auto start = std::chrono::steady_clock::now();
    Child check({binary("VTC_WORKER_BIN"), "check"}, silent, out);
    const auto code = check.wait(10s);
    ::close(fd);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(check.output().find("imed out") != std::string::npos);
    fs::remove(out);
}

TEST_CASE("e2e: the shipped binary refuses the test transcoder; bad config names the variable") {
    const fs::path out =
        fs::temp_directory_path() / ("vtc-refuse-" + std::to_string(::getpid()) + ".log");
    fs::remove(out);
    Child refused({binary("VTC_WORKER_BIN"), "run"},
                  {{"PATH", "/usr/bin:/bin"},
                   {"VLOG_WORKER_API_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
                   {"VTC_WORKER_TEST_TRANSCODER", "1"}},
                  out);
    REQUIRE(refused.wait(5s) == std::optional<int>(1));
    CHECK(refused.output().find("refusing to start") != std::string::npos);
    fs::remove(out);
    Child bad({binary("VTC_WORKER_BIN"), "run"},
              {{"PATH", "/usr/bin:/bin"},
               {"VLOG_WORKER_API_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
               {"VLOG_WORKER_POLL_INTERVAL", "soon"}},
              out);
    REQUIRE(bad.wait(5s) == std::optional<int>(1));
    CHECK(bad.output().find("VLOG_WORKER_POLL_INTERVAL") != std::string::npos);
    fs::remove(out);
}

TEST_CASE("e2e: register prints the key once and the key works") {
    Fixture f;
    f.api->start();
    const fs::path out = f.root / "register.log";
    Child reg({binary("VTC_WORKER_BIN"), "register", "--name", "e2e-registered"},
              {{"PATH", "/usr/bin:/bin"},
               {"VLOG_WORKER_API_URL", f.api->url()},
               {"VLOG_WORKER_ADMIN_SECRET", "admin-secret-for-tests"}},
              out);
    REQUIRE(reg.wait(10s) == std::optional<int>(0));
    const std::string text = reg.output();
    const auto at = text.find("api_key: ");
    REQUIRE(at != std::string::npos);
    const std::string new_key = text.substr(at + 9, 43);
    CHECK(f.api->worker(new_key).name == "e2e-registered");
    Child wrong({binary("VTC_WORKER_BIN"), "register", "--name", "x"},
                {{"PATH", "/usr/bin:/bin"},
                 {"VLOG_WORKER_API_URL", f.api->url()},
                 {"VLOG_WORKER_ADMIN_SECRET", "not-the-secret"}},
                f.root / "register2.log");
    REQUIRE(wrong.wait(10s) == std::optional<int>(1));
    CHECK(wrong.output().find("Invalid admin secret") != std::string::npos);
    CHECK(wrong.output().find("not-the-secret") == std::string::npos);
}

TEST_CASE("e2e: Redis Streams dispatch, stale-message reclaim and the command channel") {
    Fixture f;
    RedisServer redis(f.root / "redis");
    const std::string worker_id = f.api->worker_id_of(f.key);
    // A message delivered to a consumer that died before acknowledging it.
    const auto stale = f.add_job(media_bytes(20000), {}, true, 21);
    redis.command({"XGROUP", "CREATE", "vlog:jobs:normal", "vlog-workers", "0", "MKSTREAM"});
    redis.command({"XADD",
                   "vlog:jobs:normal",
                   "*",
                   "job_id",
                   std::to_string(stale),
                   "video_id",
                   "21",
                   "video_slug",
                   "video-21",
                   "source_filename",
                   "",
                   "source_width",
                   "0",
                   "source_height",
                   "0",
                   "duration",
                   "0",
                   "priority",
                   "normal",
                   "created_at",
                   "2026-01-04T21:33:56Z"});
    redis.command({"XREADGROUP", "GROUP", "vlog-workers", "dead-worker", "COUNT", "1", "STREAMS",
                   "vlog:jobs:normal", ">"});
    std::this_thread::sleep_for(700ms); // idle longer than the pending timeout below
    f.api->start();
    f.start({{"VLOG_JOB_QUEUE_MODE", "redis"},
             {"VLOG_REDIS_URL", redis.url()},
             {"VLOG_REDIS_CONSUMER_BLOCK_MS", "500"},
             {"VLOG_REDIS_PENDING_TIMEOUT_MS", "500"},
             {"VLOG_WORKER_ID", worker_id}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(stale).video_status == "ready"; }, 30s),
                    f.log());

    // A fresh hint on the high stream: only a targeted claim can take this job.
    const auto hinted = f.add_job(media_bytes(20000), {}, true, 22);
    redis.command({"XADD", "vlog:jobs:high", "*", "job_id", std::to_string(hinted), "video_id",
                   "22", "priority", "high"});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(hinted).video_status == "ready"; }, 30s),
                    f.log());
    bool targeted = false;
    for (const RecordedCall &c : f.api->calls("claim")) {
        targeted = targeted || c.path.find("job_id=" + std::to_string(hinted)) != std::string::npos;
    }
    CHECK(targeted);
    // Everything acknowledged; the consumer is the registered worker id.
    CHECK(eventually(
        [&] {
            return redis.command({"XPENDING", "vlog:jobs:high", "vlog-workers"}).front() == "0" &&
                   redis.command({"XPENDING", "vlog:jobs:normal", "vlog-workers"}).front() == "0";
        },
        5s));
    const auto consumers = redis.command({"XINFO", "CONSUMERS", "vlog:jobs:high", "vlog-workers"});
    CHECK(std::find(consumers.begin(), consumers.end(), worker_id) != consumers.end());

    // Commands on the registered id: get_logs answers on vlog:worker:{id}:response:{req}.
    timeval tv{5, 0};
    redisContext *sub = redisConnectWithTimeout("127.0.0.1", redis.port(), tv);
    REQUIRE(sub != nullptr);
    const std::string reply_channel = "vlog:worker:" + worker_id + ":response:req42";
    freeReplyObject(redisCommand(sub, "SUBSCRIBE %s", reply_channel.c_str()));
    REQUIRE(eventually(
        [&] { return f.log().find("listening on vlog:worker:" + worker_id) != std::string::npos; },
        10s));
    redis.command(
        {"PUBLISH", "vlog:worker:" + worker_id + ":commands",
         R"({"type":"command","command":"get_logs","params":{"lines":20},"request_id":"req42","timestamp":"2026-01-04T21:33:56Z"})"});
    void *raw = nullptr;
    REQUIRE(redisGetReply(sub, &raw) == REDIS_OK);
    auto *msg = static_cast<redisReply *>(raw);
    REQUIRE(msg->type == REDIS_REPLY_ARRAY);
    REQUIRE(msg->elements == 3);
    const Json response = Json::parse(std::string(msg->element[2]->str, msg->element[2]->len));
    freeReplyObject(msg);
    redisFree(sub);
    CHECK(response["type"] == "logs_response");
    CHECK(response["success"] == true);
    CHECK(response["request_id"] == "req42");
    CHECK_FALSE(response["logs"].get<std::string>().empty());
    CHECK(response["logs"].get<std::string>().find(f.key) == std::string::npos);

    // "stop" on the broadcast channel: the worker exits cleanly.
    redis.command(
        {"PUBLISH", "vlog:workers:commands", R"({"type":"command","command":"stop","params":{}})"});
    const auto code = f.worker->wait(20s);
    INFO(f.log());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

TEST_CASE("e2e: hybrid mode with Redis down still polls the API") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    f.start({{"VLOG_JOB_QUEUE_MODE", "hybrid"},
             {"VLOG_REDIS_URL", "redis://127.0.0.1:" + std::to_string(free_port())}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).video_status == "ready"; }, 30s),
                    f.log());
    CHECK(f.log().find("polling the API until Redis is back") != std::string::npos);
    f.stop_worker();
}

TEST_CASE("e2e: version_ok false stops claiming and exits cleanly") {
    Fixture f; // the fake requires code version c2ffad0, as VLog's default setting does
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    f.start({{"VLOG_CODE_VERSION", "deadbee"}});
    const auto code = f.worker->wait(20s);
    INFO(f.log());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(f.api->count("claim") == 0);
    CHECK(f.api->job(id).video_status == "pending");
    const auto heartbeats = f.api->calls("heartbeat");
    REQUIRE_FALSE(heartbeats.empty());
    CHECK(heartbeats.front().body["code_version"] == "deadbee");
    CHECK(f.log().find("requires code version 'c2ffad0'") != std::string::npos);
}

TEST_CASE("e2e: after SIGTERM a job that fits keeps running with heartbeats; a second signal hands "
          "it back") {
    Fixture f;
    const auto id = f.add_job(media_bytes(20000));
    f.api->start();
    f.start({{"VTC_TEST_TRANSCODER_MS", "20000"}, {"VLOG_WORKER_SHUTDOWN_GRACE", "120"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).current_step == "transcode"; }, 20s),
                    f.log());
    f.worker->signal(SIGTERM);
    const int heartbeats = f.api->count("heartbeat");
    std::this_thread::sleep_for(2500ms);
    CHECK(f.worker->running());
    CHECK(f.api->count("heartbeat") > heartbeats); // heartbeats continue during the grace period
    CHECK(f.api->count("claim") == 1);             // but no new claim
    CHECK(f.log().find("handed back without a fail call") == std::string::npos);
    f.worker->signal(SIGTERM);
    const auto code = f.worker->wait(10s);
    INFO(f.log());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(f.api->count("fail") == 0);
    CHECK(f.log().find("handed back without a fail call") != std::string::npos);
}
