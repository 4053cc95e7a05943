// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <doctest/doctest.h>
#include <vtranscode/result.hpp>

#include <string>

namespace {
vtc::Result<int> parse_positive(int v) {
    if (v <= 0) {
        return vtc::fail(vtc::Errc::invalid_argument, "parse", "", "not positive");
    }
    return v;
}
} // namespace

TEST_CASE("a Result carries either a value or an error, never both") {
    auto good = parse_positive(3);
    REQUIRE(good);
    CHECK(*good == 3);
    auto bad = parse_positive(-1);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == vtc::Errc::invalid_argument);
    CHECK(bad.value_or(7) == 7);
}

TEST_CASE("and_then and transform pass errors through untouched") {
    auto doubled = parse_positive(4).transform([](int v) { return v * 2; });
    REQUIRE(doubled);
    CHECK(*doubled == 8);
    auto chained = parse_positive(-2).and_then([](int v) { return parse_positive(v - 10); });
    REQUIRE_FALSE(chained);
    CHECK(chained.error().message == "not positive");
    vtc::Result<void> nothing = vtc::ok();
    CHECK(nothing.has_value());
    vtc::Result<void> failed = vtc::fail(vtc::Errc::io, "write", "/tmp/x", "disk full");
    CHECK(failed.error().to_string() == "write: /tmp/x: disk full");
}
