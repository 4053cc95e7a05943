// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/api_client.hpp"
#include "util/json.hpp"

#include <doctest/doctest.h>

using namespace vtc;
using namespace vtc::host;

TEST_CASE("replies must be bounded, shallow JSON objects") {
    CHECK(parse_json_object(R"({"a": 1})", "test"));
    auto not_json = parse_json_object("<html>502 Bad Gateway</html>", "claim reply");
    REQUIRE_FALSE(not_json);
    CHECK(not_json.error().code == Errc::protocol);
    CHECK(not_json.error().message.find("claim reply") != std::string::npos);
    CHECK_FALSE(parse_json_object("[1,2,3]", "test"));
    CHECK_FALSE(parse_json_object("", "test"));
    CHECK_FALSE(parse_json_object(std::string(max_json_reply_bytes + 1, ' '), "test"));
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    auto nested = parse_json_object(deep, "test");
    REQUIRE_FALSE(nested);
    CHECK(nested.error().message.find("nests deeper") != std::string::npos);
    // Brackets inside strings do not count as nesting.
    CHECK(parse_json_object(R"({"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", "t"));
}

TEST_CASE("typed getters tell null from missing from wrong type") {
    auto j = parse_json_object(R"({"n": null, "i": 5, "s": "x", "l": ["a"], "bad": "5"})", "t");
    REQUIRE(j);
    auto n = json_int(*j, "n", "t");
    REQUIRE(n);
    CHECK_FALSE(n->has_value());
    auto missing = json_int(*j, "zzz", "t");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
    auto i = json_int(*j, "i", "t");
    REQUIRE(i);
    CHECK(**i == 5);
    auto wrong = json_int(*j, "bad", "t");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("'bad'") != std::string::npos);
    auto l = json_string_list(*j, "l", "t");
    REQUIRE(l);
    CHECK((*l)->at(0) == "a");
    CHECK_FALSE(json_string_list(*j, "s", "t"));
}

TEST_CASE("both error body shapes are rendered") {
    CHECK(
        describe_error_body(409, R"({"detail": "Claim expired - job may have been reassigned"})") ==
        "Claim expired - job may have been reassigned");
    const std::string list =
        R"({"detail": [{"type": "less_than_equal", "loc": ["body", "progress_percent"],
            "msg": "Input should be less than or equal to 100", "input": 101}]})";
    CHECK(describe_error_body(422, list) ==
          "body.progress_percent: Input should be less than or equal to 100");
    CHECK(describe_error_body(
              429, R"({"detail": "Rate limit exceeded", "error": "300 per 1 minute"})") ==
          "Rate limit exceeded (300 per 1 minute)");
    CHECK(describe_error_body(500, "Internal Server Error") == "Internal Server Error");
    CHECK(describe_error_body(502, "") == "empty reply");
    CHECK(describe_error_body(500, std::string(5000, 'x')).size() < 300);
}

TEST_CASE("printable strips control characters and cuts") {
    CHECK(printable("a\nb\x1b[31m") == "a b [31m");
    CHECK(printable(std::string(500, 'y'), 10) == "yyyyyyyyyy...");
}
