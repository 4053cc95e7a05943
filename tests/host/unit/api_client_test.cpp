// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/api_client.hpp"

#include "../support/loopback_server.hpp"
#include "../support/raw_http_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

using namespace vtc;
using namespace vtc::host;
using namespace vtc::host::test;

namespace {

constexpr const char *key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

ApiClient make_client(const std::string &url, double scale = 0.01) {
    ApiClientOptions o;
    o.base_url = url;
    o.api_key = key;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.backoff_scale = scale;
    return ApiClient(o, Logger());
}

std::string read_file(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::filesystem::path temp_path(const std::string &name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("vtc-api-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir / name;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    }
    return s;
}

} // namespace

TEST_CASE("5xx is retried with the same request id until it succeeds") {
    LoopbackServer srv;
    std::atomic<int> calls{0};
    std::mutex mutex;
    std::set<std::string> request_ids;
    std::set<std::string> keys;
    srv.server().Post(
        "/api/worker/heartbeat", [&](const httplib::Request &req, httplib::Response &res) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                request_ids.insert(req.get_header_value("X-Request-ID"));
                keys.insert(req.get_header_value("X-Worker-API-Key"));
            }
            if (++calls < 3) {
                res.status = 503;
                res.set_content(R"({"detail": "Database temporarily unavailable, please retry"})",
                                "application/json");
                return;
            }
            res.set_content(R"({"status":"ok","server_time":"2026-01-04T21:33:56.120000Z",
            "required_version":"c2ffad0","version_ok":false,"worker_status":"idle",
            "current_job_id":null,"last_heartbeat_recorded":"2026-01-04T21:33:56Z"})",
                            "application/json");
        });
    srv.start();
    ApiClient api = make_client(srv.url());
    auto reply = api.heartbeat(Json{{"status", "idle"}});
    REQUIRE(reply);
    CHECK(calls == 3);
    CHECK_FALSE(reply->version_ok);
    CHECK(reply->required_version == "c2ffad0");
    CHECK(request_ids.size() == 1);
    CHECK(request_ids.begin()->rfind("vtc-", 0) == 0);
    CHECK(keys == std::set<std::string>{key});
}

TEST_CASE("429 waits for Retry-After and does not use up attempts") {
    LoopbackServer srv;
    std::atomic<int> calls{0};
    srv.server().Post("/api/worker/claim", [&](const httplib::Request &, httplib::Response &res) {
        if (++calls <= 4) {
            res.status = 429;
            res.set_header("Retry-After", "0");
            res.set_content(R"({"detail":"Rate limit exceeded","error":"300 per 1 minute"})",
                            "application/json");
            return;
        }
        res.set_content(R"({"job_id":null,"video_id":null,"message":"No jobs available"})",
                        "application/json");
    });
    srv.start();
    ApiClient api = make_client(srv.url());
    auto reply = api.claim();
    REQUIRE(reply);
    CHECK(calls == 5); // more than the 3 attempts the claim policy allows
    CHECK_FALSE(reply->job);
    CHECK(reply->message == "No jobs available");
}

TEST_CASE("4xx that cannot change is not retried; both error shapes come through") {
    LoopbackServer srv;
    std::atomic<int> calls{0};
    srv.server().Post(R"(/api/worker/(\d+)/progress)", [&](const httplib::Request &req,
                                                           httplib::Response &res) {
        ++calls;
        const std::string job = req.matches[1];
        if (job == "1") {
            res.status = 422;
            res.set_content(
                R"({"detail":[{"type":"string_pattern_mismatch","loc":["body","current_step"],"msg":"String should match pattern"}]})",
                "application/json");
        } else if (job == "2") {
            res.status = 409;
            res.set_content(R"({"detail":"Claim expired - job may have been reassigned"})",
                            "application/json");
        } else if (job == "3") {
            res.status = 403;
            res.set_content(R"({"detail":"Not your job"})", "application/json");
        } else if (job == "4") {
            res.status = 404;
            res.set_content(R"({"detail":"Job not found"})", "application/json");
        } else {
            res.status = 401;
            res.set_content(R"({"detail":"Invalid API key"})", "application/json");
        }
    });
    srv.start();
    ApiClient api = make_client(srv.url());
    ProgressUpdate u{"transcode", 50, {}, {}, {}, {}};

    auto invalid = api.progress(1, u);
    REQUIRE_FALSE(invalid);
    CHECK(invalid.error().code == Errc::protocol);
    CHECK(invalid.error().message.find("body.current_step: String should match pattern") !=
          std::string::npos);
    CHECK(calls == 1);
    for (int job : {2, 3, 4}) {
        CAPTURE(job);
        auto lost = api.progress(job, u);
        REQUIRE_FALSE(lost);
        CHECK(is_job_lost(lost.error()));
    }
    auto auth = api.progress(5, u);
    REQUIRE_FALSE(auth);
    CHECK_FALSE(is_job_lost(auth.error()));
    CHECK(auth.error().message.find("Invalid API key") != std::string::npos);
    CHECK(auth.error().message.find(key) == std::string::npos);
    CHECK(calls == 5);
}

TEST_CASE("a refused connection is retried, then reported as a network error") {
    int port = 0;
    {
        LoopbackServer probe;
        probe.start();
        port = probe.port();
    } // closed: nothing listens there now
    ApiClient api = make_client("http://127.0.0.1:" + std::to_string(port));
    auto reply = api.claim();
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code == Errc::network);
    CHECK(reply.error().message.find("after 3 attempts") != std::string::npos);
}

TEST_CASE("invalid and oversized replies are clear errors, not crashes") {
    LoopbackServer srv;
    srv.server().Post(
        "/api/worker/claim", [&](const httplib::Request &req, httplib::Response &res) {
            if (req.has_param("job_id") && req.get_param_value("job_id") == "1") {
                res.set_content("{\"job_id\": 5, \"video_id\": ", "application/json");
            } else if (req.has_param("job_id") && req.get_param_value("job_id") == "2") {
                res.set_content("{\"pad\": \"" + std::string(3u << 20, 'x') + "\"}",
                                "application/json");
            } else if (req.has_param("job_id") && req.get_param_value("job_id") == "3") {
                res.set_content(R"({"job_id": "five", "video_id": 1})", "application/json");
            } else {
                res.set_content(R"({"job_id": -4, "video_id": 1})", "application/json");
            }
        });
    srv.start();
    ApiClient api = make_client(srv.url());
    auto truncated = api.claim(1);
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().code == Errc::protocol);
    CHECK(truncated.error().message.find("not valid JSON") != std::string::npos);
    auto huge = api.claim(2);
    REQUIRE_FALSE(huge);
    CHECK(huge.error().code == Errc::protocol);
    CHECK(huge.error().message.find("exceeds") != std::string::npos);
    auto typed = api.claim(3);
    REQUIRE_FALSE(typed);
    CHECK(typed.error().message.find("job_id") != std::string::npos);
    auto negative = api.claim(4);
    REQUIRE_FALSE(negative);
    CHECK(negative.error().code == Errc::protocol);
}

TEST_CASE("a claimed job is parsed, unknown quality names are set aside") {
    LoopbackServer srv;
    srv.server().Post("/api/worker/claim", [&](const httplib::Request &, httplib::Response &res) {
        res.set_content(R"({"job_id": 16, "video_id": 15, "video_slug": "my-video",
            "video_duration": 0.0, "source_width": 0, "source_height": 0,
            "source_filename": "15.mp4", "claim_expires_at": "2026-01-04T22:03:56.120000+00:00",
            "existing_qualities": ["720p", "../etc", "original"], "message": "Job claimed successfully"})",
                        "application/json");
    });
    srv.start();
    ApiClient api = make_client(srv.url());
    auto reply = api.claim();
    REQUIRE(reply);
    REQUIRE(reply->job);
    CHECK(reply->job->job_id == 16);
    CHECK(reply->job->video_id == 15);
    CHECK(*reply->job->source_filename == "15.mp4");
    CHECK(reply->job->existing_qualities == std::vector<std::string>{"720p", "original"});
    CHECK(reply->job->ignored_qualities == std::vector<std::string>{"../etc"});
    CHECK(reply->job->claim_expires_at.has_value());
}

TEST_CASE("complete retries carry the same completion token") {
    LoopbackServer srv;
    std::mutex mutex;
    std::vector<std::string> bodies;
    srv.server().Post(
        R"(/api/worker/(\d+)/complete)", [&](const httplib::Request &req, httplib::Response &res) {
            std::lock_guard<std::mutex> lock(mutex);
            bodies.push_back(req.body);
            if (bodies.size() < 3) {
                res.status = 502;
                res.set_content("Bad Gateway", "text/plain");
                return;
            }
            res.set_content(R"({"status":"ok","message":"Job completed successfully"})",
                            "application/json");
        });
    srv.start();
    ApiClient api = make_client(srv.url());
    CompleteRequest request;
    request.qualities = {{"720p", 1280, 720, 2500}};
    request.completion_token = "16-8b1f0c0e-2c7e-4d7a-9f3e-1c2b3a4d5e6f";
    request.streaming_format = "cmaf";
    request.streaming_codec = "h264";
    REQUIRE(api.complete(16, request));
    REQUIRE(bodies.size() == 3);
    CHECK(bodies[0] == bodies[2]);
    auto j = Json::parse(bodies[2]);
    CHECK(j["completion_token"] == request.completion_token);
    CHECK(j["qualities"][0]["bitrate"] == 2500);
}

TEST_CASE("verify-complete does not retry the server's known 500") {
    LoopbackServer srv;
    std::atomic<int> calls{0};
    srv.server().Get(R"(/api/worker/(\d+)/verify-complete)",
                     [&](const httplib::Request &, httplib::Response &res) {
                         ++calls;
                         res.status = 500;
                         res.set_content("Internal Server Error", "text/plain");
                     });
    srv.start();
    ApiClient api = make_client(srv.url());
    auto report = api.verify_complete(16);
    REQUIRE_FALSE(report);
    CHECK(calls == 1);
}

TEST_CASE("fail causes are cut to 500 characters without splitting UTF-8") {
    LoopbackServer srv;
    std::string seen;
    srv.server().Post(R"(/api/worker/(\d+)/fail)",
                      [&](const httplib::Request &req, httplib::Response &res) {
                          seen = req.body;
                          res.set_content(R"({"status":"ok","will_retry":true,"attempt_number":2})",
                                          "application/json");
                      });
    srv.start();
    ApiClient api = make_client(srv.url());
    std::string cause;
    for (int i = 0; i < 400; ++i) {
        cause += "é"; // two bytes each
    }
    auto reply = api.fail(7, cause, true);
    REQUIRE(reply);
    CHECK(reply->will_retry);
    CHECK(reply->attempt_number == 2);
    auto j = Json::parse(seen); // would throw on a split sequence
    CHECK(j["error_message"].get<std::string>().size() <= 500);
    CHECK(j["retry"] == true);
}

TEST_CASE("a download cut mid-body resumes with Range and ends byte-identical") {
    const std::string content = pattern(300000);
    LoopbackServer srv;
    std::atomic<int> calls{0};
    std::mutex mutex;
    std::vector<std::string> ranges;
    srv.server().Get(R"(/api/worker/source/(\d+))",
                     [&](const httplib::Request &req, httplib::Response &res) {
                         const int call = ++calls;
                         {
                             std::lock_guard<std::mutex> lock(mutex);
                             ranges.push_back(req.get_header_value("Range"));
                         }
                         // httplib applies the Range itself (206 + Content-Range), as Starlette
                         // does.
                         res.set_content_provider(
                             content.size(), "application/octet-stream",
                             [&, call](size_t offset, size_t length, httplib::DataSink &sink) {
                                 const size_t limit = call == 1 ? 100000 : content.size();
                                 if (offset >= limit) {
                                     return false; // cut the connection
                                 }
                                 const size_t n = std::min({length, limit - offset, size_t{16384}});
                                 sink.write(content.data() + offset, n);
                                 return true;
                             });
                     });
    srv.start();
    ApiClient api = make_client(srv.url());
    const auto dest = temp_path("resume.bin");
    std::filesystem::remove(dest);
    auto report = api.download_source(15, dest, {});
    REQUIRE(report);
    CHECK(read_file(dest) == content);
    CHECK(report->size_bytes == content.size());
    REQUIRE(ranges.size() >= 2);
    CHECK(ranges[0].empty());
    CHECK(ranges[1].rfind("bytes=", 0) == 0);
    CHECK(ranges[1] != "bytes=0-");

    // A second call with the file complete gets 416 or a 1-byte-short range: still fine.
    auto again = api.download_source(15, dest, {});
    REQUIRE(again);
    CHECK(read_file(dest) == content);
}

TEST_CASE("a server that ignores Range is handled: the file is replaced, not appended") {
    const std::string content = pattern(50000);
    RawHttpServer raw([&](const std::string &) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
               std::to_string(content.size()) + "\r\nConnection: close\r\n\r\n" + content;
    });
    const auto dest = temp_path("norange.bin");
    {
        std::ofstream partial(dest, std::ios::binary);
        partial << content.substr(0, 1234);
    }
    ApiClient api = make_client(raw.url());
    auto report = api.download_source(15, dest, {});
    REQUIRE(report);
    CHECK(report->resumed_from == 1234);
    CHECK(read_file(dest) == content);
}

TEST_CASE("a short body without an error is caught by the size check") {
    const std::string content = pattern(20000);
    std::atomic<int> calls{0};
    RawHttpServer raw([&](const std::string &head) {
        if (++calls == 1) {
            // Claims 20000 bytes, sends 5000, closes: curl reports a partial transfer.
            return "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\nConnection: close\r\n\r\n" +
                   content.substr(0, 5000);
        }
        const auto pos = head.find("Range: bytes=");
        const std::size_t from = pos == std::string::npos ? 0 : std::stoul(head.substr(pos + 13));
        return "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) +
               "-" + std::to_string(content.size() - 1) + "/" + std::to_string(content.size()) +
               "\r\nContent-Length: " + std::to_string(content.size() - from) +
               "\r\nConnection: close\r\n\r\n" + content.substr(from);
    });
    const auto dest = temp_path("short.bin");
    std::filesystem::remove(dest);
    ApiClient api = make_client(raw.url());
    auto report = api.download_source(15, dest, {});
    REQUIRE(report);
    CHECK(read_file(dest) == content);
    CHECK(calls == 2);
}

TEST_CASE("source errors: 404 is a real failure, 403 means the job is lost") {
    LoopbackServer srv;
    srv.server().Get(R"(/api/worker/source/(\d+))", [&](const httplib::Request &req,
                                                        httplib::Response &res) {
        if (req.matches[1] == "1") {
            res.status = 404;
            res.set_content(R"({"detail":"Source file not found"})", "application/json");
        } else {
            res.status = 403;
            res.set_content(R"({"detail":"Not your job or job not found"})", "application/json");
        }
    });
    srv.start();
    ApiClient api = make_client(srv.url());
    const auto dest = temp_path("err.bin");
    auto missing = api.download_source(1, dest, {});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::not_found);
    auto lost = api.download_source(2, dest, {});
    REQUIRE_FALSE(lost);
    CHECK(is_job_lost(lost.error()));
}

TEST_CASE("a stop token aborts a retry wait at once") {
    LoopbackServer srv;
    srv.server().Post(R"(/api/worker/(\d+)/progress)",
                      [&](const httplib::Request &, httplib::Response &res) {
                          res.status = 503;
                          res.set_content("busy", "text/plain");
                      });
    srv.start();
    ApiClient api = make_client(srv.url(), 100.0); // multi-second waits
    std::stop_source stop;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    auto r = api.progress(1, ProgressUpdate{"download", 0, {}, {}, {}, {}}, stop.get_token());
    canceller.join();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::cancelled);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
