// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/logging.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

using namespace vtc;
using namespace vtc::host;

namespace {
std::string read_all(std::FILE *f) {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
    }
    return out;
}
} // namespace

TEST_CASE("JSON lines carry job and request ids and never the secret") {
    std::FILE *f = std::tmpfile();
    REQUIRE(f != nullptr);
    LogHub hub(LogFormat::json, LogLevel::info, f);
    hub.add_secret("SUPERSECRETKEY123");
    Logger log = hub.logger();
    {
        ScopedLogJob job(16);
        ScopedRequestId req("vtc-00ff");
        log.log(LogLevel::info, "runner", "key is SUPERSECRETKEY123\nsecond \"line\"");
    }
    log.log(LogLevel::debug, "runner", "filtered out");
    const std::string out = read_all(f);
    std::fclose(f);
    CHECK(out.find("SUPERSECRETKEY123") == std::string::npos);
    CHECK(out.find("filtered out") == std::string::npos);
    const std::size_t newline = out.find('\n');
    REQUIRE(newline == out.size() - 1); // exactly one line
    auto j = nlohmann::json::parse(out);
    CHECK(j["level"] == "info");
    CHECK(j["component"] == "runner");
    CHECK(j["job_id"] == 16);
    CHECK(j["request_id"] == "vtc-00ff");
    CHECK(j["msg"] == "key is [redacted]\nsecond \"line\"");
}

TEST_CASE("text lines are one line each and keep the context") {
    std::FILE *f = std::tmpfile();
    REQUIRE(f != nullptr);
    LogHub hub(LogFormat::text, LogLevel::info, f);
    Logger log = hub.job_logger(42);
    log.log(LogLevel::warning, "engine", "two\nlines");
    const std::string out = read_all(f);
    std::fclose(f);
    CHECK(out.find("warning engine: two lines job_id=42\n") != std::string::npos);
    CHECK(hub.recent_lines(10).size() == 1);
}
