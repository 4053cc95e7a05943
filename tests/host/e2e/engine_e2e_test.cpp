// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// End-to-end with the real engine: the shipped vtranscode-worker binary transcodes a clip
// generated with the ffmpeg CLI, using the encoder plugins this build made, against the
// fake Worker API; the server-side result is checked with ffprobe.
#include "../fake_api/fake_api.hpp"
#include "../support/process.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

using namespace vtc::host::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string env_or_fail(const char *var) {
    const char *value = std::getenv(var);
    REQUIRE_MESSAGE(value != nullptr, var << " is not set (run through meson test)");
    return value;
}

std::string run_capture(const std::string &command) {
    std::string out;
    if (std::FILE *p = ::popen(command.c_str(), "r")) {
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
            out.append(buf, n);
        }
        ::pclose(p);
    }
    return out;
}

/// A 640x360, 30 fps H.264 + AAC clip of `seconds`, made once per duration.
fs::path generated_clip(int seconds) {
    const fs::path path =
        fs::temp_directory_path() /
        ("vtc-e2e-clip-" + std::to_string(::getpid()) + "-" + std::to_string(seconds) + ".mp4");
    if (!fs::exists(path)) {
        const std::string cmd =
            "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=s=640x360:r=30:d=" +
            std::to_string(seconds) + " -f lavfi -i sine=f=440:d=" + std::to_string(seconds) +
            " -ac 2 -c:v libx264 -preset ultrafast -g 30 -c:a aac -b:a 96k -shortest " +
            path.string() + " 2>&1";
        const std::string out = run_capture(cmd);
        REQUIRE_MESSAGE(fs::exists(path), "ffmpeg could not generate the clip: " << out);
    }
    return path;
}

/// ffprobe's view of the first video stream of `playlist`: "WIDTHxHEIGHT codec", or "".
std::string probe_video(const fs::path &playlist) {
    return run_capture(
        "ffprobe -v error -select_streams v:0 -show_entries stream=width,height,codec_name "
        "-of csv=p=0 '" +
        playlist.string() + "' 2>&1");
}

struct EngineFixture {
    fs::path root;
    std::unique_ptr<FakeVlogApi> api;
    std::string key;
    int health_port = free_port();
    std::unique_ptr<Child> worker;

    explicit EngineFixture(const std::string &server_format) {
        static int counter = 0;
        root = fs::temp_directory_path() /
               ("vtc-engine-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        fs::remove_all(root);
        fs::create_directories(root / "work");
        FakeVlogApi::Options o;
        o.server_streaming_format = server_format;
        api = std::make_unique<FakeVlogApi>(root / "server", o);
        key = api->add_worker("engine-e2e");
        api->start();
    }
    EngineFixture(const EngineFixture &) = delete;
    ~EngineFixture() {
        worker.reset();
        api->stop(false);
        fs::remove_all(root);
    }

    void start(std::map<std::string, std::string> extra) {
        std::map<std::string, std::string> env = {
            {"PATH", "/usr/bin:/bin"},
            {"VLOG_WORKER_API_URL", api->url()},
            {"VLOG_WORKER_API_KEY", key},
            {"VLOG_WORKER_WORK_DIR", (root / "work").string()},
            {"VLOG_WORKER_HEALTH_BIND", "127.0.0.1"},
            {"VLOG_WORKER_HEALTH_PORT", std::to_string(health_port)},
            {"VLOG_WORKER_HEARTBEAT_INTERVAL", "1"},
            {"VLOG_WORKER_POLL_INTERVAL", "1"},
            {"VLOG_WORKER_LEASE_RENEW_INTERVAL", "1"},
            {"VLOG_STREAMING_CODEC", env_or_fail("VTC_E2E_CODEC")},
            // Only the plugins of this build, probed by this build's vtc-probe.
            {"VTC_PLUGIN_PATH", env_or_fail("VTC_PLUGIN_PATH")},
            {"VTC_PLUGIN_SYSTEM_PATH", ""},
            {"VTC_PROBE_PATH", env_or_fail("VTC_PROBE_PATH")},
        };
        for (auto &[k, v] : extra) {
            env[k] = v;
        }
        worker =
            std::make_unique<Child>(std::vector<std::string>{env_or_fail("VTC_WORKER_BIN"), "run"},
                                    env, root / "worker.log");
    }

    void stop_worker() {
        worker->signal(SIGTERM);
        const auto code = worker->wait(30s);
        INFO(worker->output());
        REQUIRE(code.has_value());
        CHECK(*code == 0);
    }
};

} // namespace

TEST_CASE("engine e2e: HLS-TS tar upload of a real encode, verified, playable") {
    EngineFixture f("hls_ts");
    const auto id = f.api->add_job(15, "clip", generated_clip(4));
    f.start({{"VLOG_STREAMING_FORMAT", "hls_ts"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("verify_complete", 200) == 1; }, 240s),
                    f.worker->output());
    const FakeJob job = f.api->job(id);
    CHECK(job.video_status == "ready");
    CHECK(job.fail_calls == 0);
    CHECK(job.duration == doctest::Approx(4.0).epsilon(0.05));
    CHECK(job.source_width == 640);
    CHECK(job.source_height == 360);
    std::map<std::string, Json> qualities;
    INFO(f.api->calls("complete").front().body.dump());
    INFO(f.worker->output());
    for (const Json &q : job.video_qualities) {
        qualities[q["name"].get<std::string>()] = q;
    }
    REQUIRE(qualities.count("360p") == 1);
    // complete lists exactly what was produced and uploaded: "original" if and only if the
    // engine made it (it is a stream copy the engine may decline).
    const fs::path dir = f.api->video_dir("clip");
    CHECK(qualities.count("original") == (fs::exists(dir / "original.m3u8") ? 1u : 0u));
    CHECK(qualities["360p"]["width"] == 640);
    CHECK(qualities["360p"]["height"] == 360);
    CHECK(qualities["360p"]["bitrate"].get<int>() > 0);
    CHECK(qualities["360p"]["bitrate"].get<int>() <
          2000); // measured, under the 600 kbps cap plus audio
    for (const char *file : {"master.m3u8", "thumbnail.jpg", "360p.m3u8", "360p_0000.ts"}) {
        CAPTURE(file);
        CHECK(fs::exists(dir / file));
    }
    const std::string probed = probe_video(dir / "360p.m3u8");
    CHECK(probed.find("640,360") != std::string::npos);
    // The job directory was deleted only because verify said every file is there.
    CHECK(eventually([&] { return !fs::exists(f.root / "work" / std::to_string(id)); }, 5s));
    f.stop_worker();
}

TEST_CASE("engine e2e: CMAF with streaming segment upload and DASH") {
    EngineFixture f("cmaf");
    const auto id = f.api->add_job(16, "clip-cmaf", generated_clip(4));
    f.start({{"VLOG_STREAMING_FORMAT", "cmaf"}, {"VLOG_WORKER_STREAMING_UPLOAD", "true"}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("verify_complete", 200) == 1; }, 240s),
                    f.worker->output());
    CHECK(f.api->job(id).video_status == "ready");
    CHECK(f.api->count("segment_finalize", 200) == 1);
    CHECK(f.api->count("upload_segment", 200) >= 3); // init, segments, playlist
    const fs::path dir = f.api->video_dir("clip-cmaf");
    // The engine offered init and media segments while it ran; each went up exactly once
    // (the upload step skipped them), and only the playlist was left for it.
    std::size_t media_files = 0;
    for (const auto &entry : fs::directory_iterator(dir / "360p")) {
        media_files += entry.path().extension() != ".m3u8";
    }
    CHECK(f.api->count("upload_segment", 200) == static_cast<int>(media_files) + 1);
    CHECK(f.worker->output().find(std::to_string(media_files) +
                                  " segment file(s) sent during the encode") != std::string::npos);
    for (const char *file : {"master.m3u8", "manifest.mpd", "thumbnail.jpg", "360p/init.mp4",
                             "360p/seg_0000.m4s", "360p/stream.m3u8"}) {
        CAPTURE(file);
        CHECK(fs::exists(dir / file));
    }
    CHECK(probe_video(dir / "360p" / "stream.m3u8").find("640,360") != std::string::npos);
    f.stop_worker();
}

TEST_CASE("engine e2e: an NVIDIA worker (emulated NVENC) reports its GPU and encodes on it") {
    // The emulated driver (tests/emulated/nvenc) is built with -Dgpl=enabled, as in CI.
    const char *fake_driver = std::getenv("VTC_E2E_FAKE_NVENC_DIR");
    if (fake_driver == nullptr || *fake_driver == '\0' ||
        env_or_fail("VTC_E2E_CODEC") != std::string("h264")) {
        MESSAGE("not run: this build has no emulated NVENC driver or no H.264 (needs -Dgpl)");
        return;
    }
    EngineFixture f("cmaf");
    const auto id = f.api->add_job(17, "clip-gpu", generated_clip(3));
    f.start({{"VLOG_STREAMING_FORMAT", "cmaf"},
             {"VLOG_HWACCEL_TYPE", "nvidia"},
             {"LD_LIBRARY_PATH", fake_driver}});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("verify_complete", 200) == 1; }, 240s),
                    f.worker->output());
    CHECK(f.api->job(id).video_status == "ready");
    CHECK(f.api->job(id).fail_calls == 0);
    // What VLog's dashboard and GPU priority read (protocol §6.1), from the heartbeat.
    const auto heartbeats = f.api->calls("heartbeat");
    REQUIRE_FALSE(heartbeats.empty());
    const Json caps = heartbeats.back().body["metadata"]["capabilities"];
    INFO(caps.dump());
    CHECK(caps["hwaccel_enabled"] == true);
    CHECK(caps["hwaccel_type"] == "nvidia");
    CHECK(caps["gpu_name"] == "Emulated NVENC GPU 0"); // cuDeviceGetName, via ABI 1.1
    CHECK_FALSE(caps.contains("vaapi_device"));
    const Json h264 = caps["encoders"]["h264"];
    CHECK(std::find(h264.begin(), h264.end(), Json("nvenc-h264")) != h264.end());
    // VLOG_HWACCEL_TYPE=nvidia puts NVENC first: the rendition was encoded on it.
    CHECK(f.worker->output().find("with nvenc-h264") != std::string::npos);
    const fs::path dir = f.api->video_dir("clip-gpu");
    CHECK(probe_video(dir / "360p" / "stream.m3u8").find("h264,640,360") != std::string::npos);
    f.stop_worker();
}

TEST_CASE("engine e2e: a corrupt source fails with the engine's cause and no retry") {
    EngineFixture f("cmaf");
    const fs::path junk = f.root / "junk.mp4";
    std::ofstream(junk, std::ios::binary) << std::string(20000, '\x42');
    f.api->add_job(17, "junk", junk);
    f.start({});
    REQUIRE_MESSAGE(eventually([&] { return f.api->count("fail", 200) == 1; }, 60s),
                    f.worker->output());
    const RecordedCall call = f.api->calls("fail").front();
    const std::string cause = call.body["error_message"];
    CHECK(cause.rfind("probe:", 0) == 0);
    CHECK(call.body["retry"] == false);
    f.stop_worker();
}

TEST_CASE("engine e2e: lease lost mid-encode stops the real encode within 5 s") {
    EngineFixture f("cmaf");
    const auto id = f.api->add_job(18, "long", generated_clip(60));
    f.start({});
    REQUIRE_MESSAGE(eventually([&] { return f.api->job(id).current_step == "transcode"; }, 60s),
                    f.worker->output());
    std::this_thread::sleep_for(500ms);
    f.api->inject("claim", 503, 1000); // the released job is not taken again
    const auto released = std::chrono::steady_clock::now();
    f.api->release(id);
    REQUIRE_MESSAGE(eventually(
                        [&] {
                            return f.worker->output().find("stopped without a fail call") !=
                                   std::string::npos;
                        },
                        6s),
                    f.worker->output());
    CHECK(std::chrono::steady_clock::now() - released < 5s);
    CHECK(f.api->count("fail") == 0);
    CHECK(f.api->count("complete") == 0);
    f.stop_worker();
}
