// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The job runner against the fake Worker API, in-process, with the test-only transcoder.
// The end-to-end tests repeat the important cases through the real binary.
#include "runner/job_runner.hpp"

#include "../fake_api/fake_api.hpp"
#include "../fake_api/fault_proxy.hpp"
#include "../support/test_transcoder.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>
#include <unistd.h>

using namespace vtc;
using namespace vtc::host;
using namespace vtc::host::test;
namespace fs = std::filesystem;

namespace {

std::string media_bytes(std::size_t n) {
    std::string s = std::string("\0\0\0\x18", 4) + "ftypisom";
    while (s.size() < n) {
        s += static_cast<char>(s.size() * 31);
    }
    return s;
}

using Env = std::map<std::string, std::string>;

struct Harness {
    Harness(const Harness &) = delete;
    Harness &operator=(const Harness &) = delete;

    fs::path root;
    std::unique_ptr<FakeVlogApi> api;
    std::unique_ptr<FaultProxy> proxy;
    std::string key;
    Config config;
    std::FILE *log_file = nullptr;
    std::unique_ptr<LogHub> hub;
    Metrics metrics;
    TestInventory inventory;
    std::unique_ptr<TestTranscoder> transcoder;
    std::unique_ptr<ApiClient> client;
    std::unique_ptr<JobRunner> runner;

    explicit Harness(std::map<std::string, std::string> env = {}, TestTranscoderOptions tx = {},
                     FakeVlogApi::Options fake = {}, bool with_proxy = false) {
        static int counter = 0;
        root = fs::temp_directory_path() /
               ("vtc-runner-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        fs::remove_all(root);
        fs::create_directories(root / "work");
        if (env.count("VLOG_STREAMING_FORMAT") && env["VLOG_STREAMING_FORMAT"] == "hls_ts") {
            fake.server_streaming_format = "hls_ts";
        }
        api = std::make_unique<FakeVlogApi>(root / "server", fake);
        key = api->add_worker("runner-test");
        api->start();
        std::string url = api->url();
        if (with_proxy) {
            proxy = std::make_unique<FaultProxy>(api->port());
            url = proxy->url();
        }
        env.emplace("VLOG_WORKER_API_URL", url);
        env.emplace("VLOG_WORKER_API_KEY", key);
        env.emplace("VLOG_WORKER_WORK_DIR", (root / "work").string());
        env.emplace("VLOG_WORKER_LEASE_RENEW_INTERVAL", "1");
        ConfigSource source = process_config_source();
        source.env = [env](std::string_view name) -> std::optional<std::string> {
            auto it = env.find(std::string(name));
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        auto loaded = load_config(source, ConfigPurpose::run);
        REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
        config = *loaded;
        log_file = std::fopen((root / "worker.log").c_str(), "w+");
        hub = std::make_unique<LogHub>(LogFormat::text, LogLevel::debug, log_file);
        hub->add_secret(key);
        transcoder = std::make_unique<TestTranscoder>(tx);
        ApiClientOptions o;
        o.base_url = config.api_url;
        o.api_key = config.api_key;
        o.connect_timeout = std::chrono::milliseconds(2000);
        o.backoff_scale = 0.05;
        ApiObserver observer;
        observer.on_error = [this](Endpoint e, const std::string &code) {
            metrics.api_error(std::string(endpoint_name(e)), code);
        };
        client = std::make_unique<ApiClient>(o, hub->logger(), observer);
        runner =
            std::make_unique<JobRunner>(config, *client, *transcoder, inventory, metrics, *hub);
    }
    ~Harness() {
        runner.reset();
        proxy.reset();
        api->stop(false);
        if (log_file) {
            std::fclose(log_file);
        }
        fs::remove_all(root);
    }

    std::int64_t add_job(const std::string &source_bytes, std::vector<std::string> existing = {}) {
        const fs::path src = root / "source.mp4";
        std::ofstream(src, std::ios::binary) << source_bytes;
        return api->add_job(15, "my-video", src, ".mp4", std::move(existing));
    }

    ClaimedJob claim() {
        auto reply = client->claim();
        REQUIRE(reply);
        REQUIRE(reply->job);
        return *reply->job;
    }

    std::string log_text() const {
        std::fflush(log_file);
        std::ifstream in(root / "worker.log");
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    fs::path video(const std::string &name) const { return api->video_dir("my-video") / name; }
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

TEST_CASE("runner: HLS-TS job, tar uploads, complete and verify") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    const auto id = h.add_job(media_bytes(50000));
    const ClaimedJob job = h.claim();
    const JobOutcome outcome = h.runner->run(job, {});
    INFO(h.log_text());
    CHECK(outcome == JobOutcome::completed);
    const FakeJob server = h.api->job(id);
    CHECK(server.video_status == "ready");
    CHECK(server.fail_calls == 0);
    CHECK(server.duration == doctest::Approx(4.0)); // delivered through progress
    CHECK(server.source_height == 480);
    const std::set<std::string> files = tree(h.api->video_dir("my-video"));
    for (const char *f :
         {"master.m3u8", "thumbnail.jpg", "original.m3u8", "original_0000.ts", "480p.m3u8",
          "480p_0000.ts", "480p_0001.ts", "360p.m3u8", "360p_0001.ts"}) {
        CAPTURE(f);
        CHECK(files.count(f) == 1);
    }
    CHECK(files.count("manifest.mpd") == 0);
    REQUIRE(server.video_qualities.size() == 3);
    CHECK(server.video_qualities[0]["name"] == "original");
    CHECK(server.video_qualities[1]["bitrate"] == 1000);
    CHECK(h.api->count("upload_quality", 200) == 3);
    CHECK(h.api->count("upload_finalize", 200) == 1);
    CHECK(h.api->count("verify_complete", 200) == 1);
    CHECK_FALSE(fs::exists(h.root / "work" / std::to_string(id))); // verified: deleted
    // Every progress call used an allowed step and a valid quality name (the fake checks).
    CHECK(h.api->count("progress", 422) == 0);
    CHECK(h.api->count("progress", 500) == 0);
    const auto complete = h.api->calls("complete");
    REQUIRE(complete.size() == 1);
    CHECK(complete[0].body["completion_token"].get<std::string>().rfind(std::to_string(id) + "-",
                                                                        0) == 0);
    CHECK(h.metrics.jobs_completed() == 1);
    CHECK(h.log_text().find(h.key) == std::string::npos);
}

TEST_CASE("runner: CMAF with streaming upload, resumable state, DASH manifest") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "cmaf"}, {"VLOG_WORKER_STREAMING_UPLOAD", "true"}});
    const auto id = h.add_job(media_bytes(20000));
    const JobOutcome outcome = h.runner->run(h.claim(), {});
    INFO(h.log_text());
    CHECK(outcome == JobOutcome::completed);
    const std::set<std::string> files = tree(h.api->video_dir("my-video"));
    for (const char *f :
         {"master.m3u8", "manifest.mpd", "thumbnail.jpg", "original.m3u8", "480p/init.mp4",
          "480p/seg_0000.m4s", "480p/stream.m3u8", "360p/seg_0001.m4s"}) {
        CAPTURE(f);
        CHECK(files.count(f) == 1);
    }
    // 2 ladder renditions × (init + 2 segments + playlist); "original" is TS: always a tar.
    CHECK(h.api->count("upload_segment", 200) == 8);
    CHECK(h.api->count("upload_quality", 200) == 1);
    CHECK(h.api->count("segment_finalize", 200) == 2);
    for (const RecordedCall &c : h.api->calls("segment_finalize")) {
        CHECK(c.body["segment_count"] == 3); // init + 2 media segments, counted locally
        CHECK(c.body["manifest_checksum"].get<std::string>().rfind("sha256:", 0) == 0);
    }
    for (const RecordedCall &c : h.api->calls("upload_segment")) {
        const std::string sum = c.body["sha256"];
        CHECK(sum.size() == 64);
        CHECK(sum.find_first_not_of("0123456789abcdef") == std::string::npos);
    }
    CHECK(h.api->job(id).video_status == "ready");
}

TEST_CASE("runner: streaming mode sends segments while the encode still runs") {
    FakeVlogApi *api = nullptr;
    int sent_before_encode_ended = -1;
    TestTranscoderOptions tx;
    tx.duration = std::chrono::milliseconds(1500);
    tx.segments = 3;
    // 480p source: 480p and 360p, each init.mp4 + 3 segments, all written by now.
    constexpr int media_files = 2 * (1 + 3);
    tx.before_return = [&] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (api->count("upload_segment", 200) < media_files &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        sent_before_encode_ended = api->count("upload_segment", 200);
    };
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "cmaf"}, {"VLOG_WORKER_STREAMING_UPLOAD", "true"}}, tx);
    api = h.api.get();
    const auto id = h.add_job(media_bytes(20000));
    const JobOutcome outcome = h.runner->run(h.claim(), {});
    INFO(h.log_text());
    CHECK(outcome == JobOutcome::completed);
    CHECK(sent_before_encode_ended == media_files);
    // Nothing twice: the upload step added only the two playlists.
    CHECK(h.api->count("upload_segment", 200) == media_files + 2);
    CHECK(h.api->count("segment_finalize", 200) == 2);
    for (const RecordedCall &c : h.api->calls("segment_finalize")) {
        CHECK(c.body["segment_count"] == 4);
    }
    CHECK(h.log_text().find("8 segment file(s) sent during the encode") != std::string::npos);
    CHECK(h.api->job(id).video_status == "ready");
}

TEST_CASE("runner: a lost job seen by a segment upload during the encode stops it") {
    TestTranscoderOptions tx;
    tx.duration = std::chrono::milliseconds(20000);
    tx.segments = 40;
    // Progress posts renew far apart, so the segment upload is what notices the loss.
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "cmaf"},
                  {"VLOG_WORKER_STREAMING_UPLOAD", "true"},
                  {"VLOG_WORKER_LEASE_RENEW_INTERVAL", "60"}},
              tx);
    h.api->inject("upload_segment", 409, 1000, R"({"detail":"Claim expired"})");
    const auto id = h.add_job(media_bytes(20000));
    const auto started = std::chrono::steady_clock::now();
    const JobOutcome outcome = h.runner->run(h.claim(), {});
    INFO(h.log_text());
    CHECK(outcome == JobOutcome::lost);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    CHECK(h.log_text().find("segment upload during the encode: the job is no longer ours") !=
          std::string::npos);
    CHECK(h.api->job(id).fail_calls == 0);
}

TEST_CASE("runner: existing_qualities are skipped and not reported") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    const auto id = h.add_job(media_bytes(20000), {"480p"});
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
    const FakeJob server = h.api->job(id);
    std::set<std::string> reported;
    for (const Json &q : server.video_qualities) {
        reported.insert(q["name"]);
    }
    CHECK(reported == std::set<std::string>{"original", "360p"});
    CHECK(server.quality_progress.at("480p") == "skipped");
    CHECK_FALSE(fs::exists(h.video("480p.m3u8")));
}

TEST_CASE("runner: a lease taken back mid-encode stops within seconds, without a fail call") {
    TestTranscoderOptions tx;
    tx.duration = std::chrono::seconds(20);
    for (bool by_expiry : {false, true}) {
        CAPTURE(by_expiry);
        Harness h(Env{}, tx);
        const auto id = h.add_job(media_bytes(20000));
        const ClaimedJob job = h.claim();
        std::chrono::steady_clock::time_point taken;
        std::thread server_side([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(800));
            taken = std::chrono::steady_clock::now();
            if (by_expiry) {
                h.api->expire_lease(id); // next job-scoped call: 409
            } else {
                h.api->release(id); // as after another worker's claim: 403
            }
        });
        const JobOutcome outcome = h.runner->run(job, {});
        const auto stopped = std::chrono::steady_clock::now();
        server_side.join();
        INFO(h.log_text());
        CHECK(outcome == JobOutcome::lost);
        CHECK(stopped - taken < std::chrono::seconds(5));
        CHECK(h.api->count("fail") == 0);
        CHECK(h.api->count("complete") == 0);
        CHECK_FALSE(fs::exists(h.root / "work" / std::to_string(id) / "output"));
        CHECK(h.metrics.jobs_lost() == 1);
    }
}

TEST_CASE("runner: shutdown hands the job back when it cannot finish in the grace period") {
    TestTranscoderOptions tx;
    tx.duration = std::chrono::seconds(30);
    Harness h(Env{{"VLOG_WORKER_SHUTDOWN_GRACE", "2"}}, tx);
    const auto id = h.add_job(media_bytes(20000));
    std::stop_source graceful;
    std::thread signaller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        graceful.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    const JobOutcome outcome = h.runner->run(h.claim(), {graceful.get_token(), {}});
    signaller.join();
    INFO(h.log_text());
    CHECK(outcome == JobOutcome::handed_back);
    // The ETA (30 s) exceeds the grace (2 s): handed back at once, not after the grace.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    CHECK(h.api->count("fail") == 0);
    const FakeJob server = h.api->job(id);
    CHECK(server.attempt_number == 1); // no attempt used
    CHECK(h.metrics.jobs_handed_back() == 1);
    CHECK(h.log_text().find("handed back without a fail call") != std::string::npos);
}

TEST_CASE("runner: a job that fits in the grace period finishes after SIGTERM") {
    TestTranscoderOptions tx;
    tx.duration = std::chrono::milliseconds(600);
    Harness h(Env{{"VLOG_WORKER_SHUTDOWN_GRACE", "30"}}, tx);
    const auto id = h.add_job(media_bytes(20000));
    std::stop_source graceful;
    graceful.request_stop();
    CHECK(h.runner->run(h.claim(), {graceful.get_token(), {}}) == JobOutcome::completed);
    CHECK(h.api->job(id).video_status == "ready");
}

TEST_CASE("runner: a corrupt source fails with a clear cause and no retry") {
    Harness h;
    const auto id = h.add_job(std::string(5000, 'z'));
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::failed);
    const auto fails = h.api->calls("fail");
    REQUIRE(fails.size() == 1);
    const std::string cause = fails[0].body["error_message"];
    CHECK(cause.find("Invalid data found when processing input") != std::string::npos);
    CHECK(cause.size() <= 500);
    CHECK(fails[0].body["retry"] == false);
    CHECK(h.api->job(id).video_status == "failed");
    CHECK(h.metrics.jobs_failed() == 1);
}

TEST_CASE("runner: a server-supplied source name cannot write outside the work directory") {
    for (const char *evil : {"../../evil.mp4", "/etc/passwd", "..", "a/b.mp4", "x\n.mp4"}) {
        CAPTURE(evil);
        Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
        h.api->set_source_filename_override(std::string(evil));
        const auto id = h.add_job(media_bytes(20000));
        h.api->set_verify_bug(true); // keep the job directory to look at it
        CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
        const std::set<std::string> work = tree(h.root / "work");
        CHECK(work.count(std::to_string(id) + "/source.bin") == 1);
        // Nothing was written next to the work directory or above it.
        CHECK_FALSE(fs::exists(h.root / "evil.mp4"));
        CHECK_FALSE(fs::exists(h.root / "work" / ".." / "evil.mp4"));
        CHECK(h.log_text().find("rejected") != std::string::npos);
    }
}

TEST_CASE("runner: a download cut mid-transfer resumes with Range") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    h.add_job(media_bytes(400000));
    h.api->cut_source_after(100000, 2);
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
    CHECK(h.api->count("source") == 3);
    CHECK(h.log_text().find("resuming with Range") != std::string::npos);
}

TEST_CASE("runner: an upload cut mid-transfer retries that rendition only") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}}, {}, {}, true);
    h.add_job(media_bytes(20000));
    h.proxy->cut_request_after("POST /api/worker/upload/15/quality/360p", 3000, 1);
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
    CHECK(h.proxy->cuts() == 1);
    std::map<std::string, int> per_quality;
    for (const RecordedCall &c : h.api->calls("upload_quality")) {
        ++per_quality[c.body["quality"].get<std::string>()];
    }
    CHECK(per_quality["original"] == 1);
    CHECK(per_quality["480p"] == 1);
    // The cut request never reached the handler; the retry did, once.
    CHECK(per_quality["360p"] == 1);
    CHECK(h.metrics.jobs_completed() == 1);
}

TEST_CASE("runner: 500s, 503s and 429s are ridden out and the job completes") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    const auto id = h.add_job(media_bytes(20000));
    h.api->inject("progress", 500, 2);
    h.api->inject("source", 503, 1);
    h.api->inject("upload_quality", 429, 2, "", 0);
    h.api->inject("complete", 502, 2);
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
    CHECK(h.api->job(id).video_status == "ready");
    CHECK(h.api->count("complete", 200) == 1);
    // All complete attempts carried the same token.
    std::set<std::string> tokens;
    for (const RecordedCall &c : h.api->calls("complete")) {
        tokens.insert(c.body["completion_token"].get<std::string>());
    }
    CHECK(tokens.size() == 1);
}

TEST_CASE("runner: verify-complete's 500 keeps the output instead of failing the job") {
    Harness h(Env{{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    const auto id = h.add_job(media_bytes(20000));
    h.api->set_verify_bug(true);
    CHECK(h.runner->run(h.claim(), {}) == JobOutcome::completed);
    CHECK(h.api->count("fail") == 0);
    CHECK(h.api->count("verify_complete", 500) == 1);
    CHECK(fs::exists(h.root / "work" / std::to_string(id) / "output" / "master.m3u8"));
    CHECK(h.log_text().find("known bug") != std::string::npos);
}
