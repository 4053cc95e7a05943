// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <doctest/doctest.h>
#include <vtranscode/error.hpp>
#include <vtranscode/log.hpp>

#include <string>
#include <vector>

TEST_CASE("an error renders as one line naming the stage, the file and the cause") {
    const vtc::Error e = vtc::make_error(vtc::Errc::corrupt_input, "probe", "/in/a.mp4",
                                         "moov atom not found\nsecond line");
    CHECK(e.to_string() == "probe: /in/a.mp4: moov atom not found second line");
    CHECK(vtc::make_error(vtc::Errc::io, "", "", "disk full").to_string() == "disk full");
    CHECK(vtc::make_error(vtc::Errc::timeout, "", "", "").to_string() == "timeout");
}

TEST_CASE("the logger filters by level and passes component and message") {
    std::vector<std::string> lines;
    vtc::Logger log(
        [&](vtc::LogLevel level, std::string_view component, std::string_view message) {
            lines.push_back(std::string(vtc::log_level_name(level)) + "|" +
                            std::string(component) + "|" + std::string(message));
        },
        vtc::LogLevel::info);
    log.log(vtc::LogLevel::debug, "registry", "hidden");
    log.log(vtc::LogLevel::warning, "registry", "shown");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "warning|registry|shown");
    CHECK_FALSE(vtc::Logger().enabled(vtc::LogLevel::error));

    vtc::LogLevel parsed = vtc::LogLevel::error;
    CHECK(vtc::parse_log_level("DEBUG", parsed));
    CHECK(parsed == vtc::LogLevel::debug);
    CHECK_FALSE(vtc::parse_log_level("loud", parsed));
}
