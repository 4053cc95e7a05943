// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatch/dispatcher.hpp"
#include "dispatch/heartbeat.hpp"
#include "runner/workdir.hpp"
#include "server/health_server.hpp"
#include "server/metrics.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace vtc;
using namespace vtc::host;
namespace fs = std::filesystem;

namespace {

EncoderStatus encoder(const char *backend, const char *codec, bool hw, const char *vendor,
                      int sessions, bool usable = true) {
    EncoderStatus e;
    e.backend = backend;
    e.codec = codec;
    e.hardware = hw;
    e.vendor = vendor;
    e.device = hw ? "NVIDIA H100 80GB HBM3" : "";
    e.usable = usable;
    e.max_sessions = sessions;
    return e;
}

} // namespace

TEST_CASE("metrics render as valid Prometheus text with every family") {
    Metrics m;
    m.job_claimed();
    m.job_claimed();
    m.job_completed();
    m.job_lost();
    m.add_downloaded(1234);
    m.add_uploaded(99);
    m.set_current_job(16);
    m.set_rendition_fps("720p", 87.5);
    m.api_error("progress", "503");
    m.api_error("progress", "503");
    m.api_error("claim", "network");
    const auto now = std::chrono::steady_clock::now();
    std::string before = m.render(now, {}, {{"version", "0.1.0"}});
    CHECK(before.find("vtranscode_worker_heartbeat_age_seconds +Inf") != std::string::npos);
    m.heartbeat_ok(now - std::chrono::seconds(4));
    const std::string text = m.render(now, {encoder("nvenc_h264", "h264", true, "nvidia", 999)},
                                      {{"version", "0.1.0"}, {"code_version", "c2\"ff"}});
    for (const char *line :
         {"vtranscode_worker_jobs_claimed_total 2", "vtranscode_worker_jobs_completed_total 1",
          "vtranscode_worker_jobs_failed_total 0", "vtranscode_worker_jobs_lost_total 1",
          "vtranscode_worker_current_job_id 16", "vtranscode_worker_busy 1",
          "vtranscode_worker_downloaded_bytes_total 1234",
          "vtranscode_worker_uploaded_bytes_total 99",
          "vtranscode_worker_rendition_encode_fps{rendition=\"720p\"} 87.5",
          "vtranscode_worker_api_errors_total{endpoint=\"progress\",code=\"503\"} 2",
          "vtranscode_worker_api_errors_total{endpoint=\"claim\",code=\"network\"} 1",
          "vtranscode_worker_heartbeat_age_seconds 4",
          "vtranscode_worker_encoder_sessions_in_use{backend=\"nvenc_h264\",codec=\"h264\"} 0",
          "vtranscode_worker_build_info{version=\"0.1.0\",code_version=\"c2\\\"ff\"} 1"}) {
        CAPTURE(line);
        CHECK(text.find(line) != std::string::npos);
    }
    // Grammar: comments, or "name{labels} value"; every sample's family has a TYPE line
    // before it, and each family appears in one block.
    const std::regex sample(R"(^([a-z_]+)(\{[^}]*\})? (\S+)$)");
    std::istringstream lines(text);
    std::string line;
    std::set<std::string> typed;
    std::string current;
    std::set<std::string> closed;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            const std::string name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(typed.insert(name).second);
            if (!current.empty()) {
                closed.insert(current);
            }
            current = name;
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) {
            continue;
        }
        std::smatch m2;
        REQUIRE_MESSAGE(std::regex_match(line, m2, sample), line);
        CHECK(m2[1] == current);
        CHECK(closed.count(m2[1]) == 0);
    }
}

TEST_CASE("readiness needs API, a recent heartbeat, an encoder for the codec and the version") {
    WorkerState state;
    Metrics metrics;
    const auto now = std::chrono::steady_clock::now();
    const std::vector<EncoderStatus> x264 = {encoder("x264", "h264", false, "", 1)};
    auto r = evaluate_readiness(state, metrics, x264, HwaccelType::auto_detect,
                                StreamingCodec::h264, std::chrono::seconds(30), now);
    CHECK_FALSE(r.ready);
    CHECK(r.failing == std::vector<std::string>{"api_connected", "heartbeat_recent"});
    state.api_connected = true;
    metrics.heartbeat_ok(now - std::chrono::seconds(60));
    CHECK(evaluate_readiness(state, metrics, x264, HwaccelType::auto_detect, StreamingCodec::h264,
                             std::chrono::seconds(30), now)
              .ready);
    metrics.heartbeat_ok(now - std::chrono::seconds(91));
    CHECK_FALSE(evaluate_readiness(state, metrics, x264, HwaccelType::auto_detect,
                                   StreamingCodec::h264, std::chrono::seconds(30), now)
                    .ready);
    metrics.heartbeat_ok(now);
    auto wrong_codec = evaluate_readiness(state, metrics, x264, HwaccelType::auto_detect,
                                          StreamingCodec::av1, std::chrono::seconds(30), now);
    CHECK(wrong_codec.failing == std::vector<std::string>{"encoder_available"});
    const std::string body = ready_body(wrong_codec);
    CHECK(body.find("\"status\":\"not ready\"") != std::string::npos);
    CHECK(body.find("\"failing\":[\"encoder_available\"]") != std::string::npos);
    state.version_ok = false;
    CHECK_FALSE(evaluate_readiness(state, metrics, x264, HwaccelType::auto_detect,
                                   StreamingCodec::h264, std::chrono::seconds(30), now)
                    .ready);
}

TEST_CASE("capabilities are schema-valid: sessions clamped, hwaccel type filters") {
    Config config;
    config.code_version = "c2ffad0";
    const std::vector<EncoderStatus> all = {encoder("nvenc_h264", "h264", true, "nvidia", 999),
                                            encoder("nvenc_hevc", "hevc", true, "nvidia", 999),
                                            encoder("x264", "h264", false, "", 1),
                                            encoder("svtav1", "av1", false, "", 1, false)};
    Json caps = build_capabilities(all, config);
    CHECK(caps["hwaccel_enabled"] == true);
    CHECK(caps["hwaccel_type"] == "nvidia");
    CHECK(caps["gpu_name"] == "NVIDIA H100 80GB HBM3");
    CHECK(caps["max_concurrent_encode_sessions"] == 100); // 999 would be a 422 (§6.1)
    CHECK(caps["supported_codecs"] == Json::array({"h264", "hevc"}));
    CHECK(caps["encoders"]["h264"] == Json::array({"nvenc_h264", "x264"}));
    CHECK(caps["code_version"] == "c2ffad0");
    for (auto it = caps.begin(); it != caps.end(); ++it) {
        static const std::set<std::string> schema = {"hwaccel_enabled",
                                                     "hwaccel_type",
                                                     "gpu_name",
                                                     "code_version",
                                                     "supported_codecs",
                                                     "encoders",
                                                     "max_concurrent_encode_sessions",
                                                     "ffmpeg_version",
                                                     "driver_version",
                                                     "cuda_version",
                                                     "vaapi_device"};
        CHECK(schema.count(it.key()) == 1);
    }
    config.hwaccel = HwaccelType::none;
    Json cpu = build_capabilities(all, config);
    CHECK(cpu["hwaccel_enabled"] == false);
    CHECK(cpu["hwaccel_type"] == "none");
    CHECK(cpu["gpu_name"].is_null());
    CHECK(cpu["max_concurrent_encode_sessions"] == 1);
    CHECK(backend_preference(all, HwaccelType::none) == std::vector<std::string>{"x264"});
    CHECK(backend_preference(all, HwaccelType::nvidia) ==
          std::vector<std::string>{"nvenc_h264", "nvenc_hevc", "x264"});
    CHECK(backend_preference(all, HwaccelType::auto_detect).empty());
    CHECK_FALSE(has_usable_encoder(all, HwaccelType::auto_detect, StreamingCodec::av1));

    Json hb = build_heartbeat(true, all, config);
    CHECK(hb["status"] == "busy");
    CHECK(hb["code_version"] == "c2ffad0");
    CHECK(hb["metadata"]["deployment_type"] == "manual");
    CHECK(hb["metadata"].dump().size() <= 10000);
    config.code_version.reset();
    CHECK_FALSE(build_heartbeat(false, all, config).contains("code_version"));
    // NVIDIA workers send no vaapi_device; Intel workers send the configured node.
    CHECK_FALSE(caps.contains("vaapi_device"));
}

TEST_CASE("an Intel worker names its GPU and the render node the plugins open") {
    Config config;
    config.vaapi_device = "/dev/dri/renderD129";
    EncoderStatus qsv = encoder("qsv-h264", "h264", true, "intel", 0);
    qsv.device = "Intel GPU e20b/0 (mfx-gen)";
    const Json caps = build_capabilities({qsv, encoder("x264", "h264", false, "", 1)}, config);
    CHECK(caps["hwaccel_type"] == "intel");
    CHECK(caps["gpu_name"] == "Intel GPU e20b/0 (mfx-gen)");
    CHECK(caps["vaapi_device"] == "/dev/dri/renderD129");
    CHECK(caps["max_concurrent_encode_sessions"] == 100); // no limit reported
}

TEST_CASE("claim backoff: from the poll interval to 300 s, jittered, never below the poll") {
    using std::chrono::milliseconds;
    const auto poll = std::chrono::seconds(10);
    CHECK(claim_error_delay(poll, 1, 1.0) == milliseconds(20000));
    CHECK(claim_error_delay(poll, 2, 1.0) == milliseconds(40000));
    CHECK(claim_error_delay(poll, 5, 1.0) == milliseconds(300000));
    CHECK(claim_error_delay(poll, 50, 1.2) == milliseconds(360000));
    CHECK(claim_error_delay(poll, 0, 0.8) == milliseconds(10000));
}

TEST_CASE("source names from the server become safe local names") {
    bool rejected = false;
    CHECK(local_source_name(std::string("15.mp4"), rejected) == "source.mp4");
    CHECK_FALSE(rejected);
    CHECK(local_source_name(std::string("15.MKV"), rejected) == "source.mkv");
    CHECK(local_source_name(std::nullopt, rejected) == "source.bin");
    CHECK_FALSE(rejected);
    for (const char *evil : {"../../etc/passwd", "/etc/passwd.mp4", "a/b.mp4", "..", ".mp4",
                             "x.exe", "x\n.mp4", "x y.mp4", "15.mp4/"}) {
        CAPTURE(evil);
        CHECK(local_source_name(std::string(evil), rejected) == "source.bin");
        CHECK(rejected);
    }
}

TEST_CASE("retention keeps recent job directories up to the count and touches nothing else") {
    const fs::path work =
        fs::temp_directory_path() / ("vtc-retention-" + std::to_string(::getpid()));
    fs::remove_all(work);
    for (int id = 1; id <= 6; ++id) {
        fs::create_directories(work / std::to_string(id));
        fs::last_write_time(work / std::to_string(id),
                            fs::file_time_type::clock::now() - std::chrono::minutes(10 * (7 - id)));
    }
    fs::create_directories(work / "not-a-job");
    std::ofstream(work / "123") << "a file named like a job";
    fs::last_write_time(work / "1", fs::file_time_type::clock::now() - std::chrono::hours(30));
    const int removed = sweep_work_dir(work, std::chrono::hours(24), 3, 2, Logger());
    CHECK(removed == 2); // 1 (too old) and 3 (over the count); 2 is the running job
    for (int id : {2, 4, 5, 6}) {
        CHECK(fs::exists(work / std::to_string(id)));
    }
    CHECK_FALSE(fs::exists(work / "1"));
    CHECK_FALSE(fs::exists(work / "3"));
    CHECK(fs::exists(work / "not-a-job"));
    CHECK(fs::exists(work / "123"));
    fs::remove_all(work);
}
