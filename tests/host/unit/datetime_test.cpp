// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace vtc::host;
using namespace std::chrono;

namespace {
std::int64_t micros(const char *text) {
    auto t = parse_datetime(text);
    REQUIRE_MESSAGE(t, text);
    return duration_cast<microseconds>(t->time_since_epoch()).count();
}
} // namespace

TEST_CASE("Z, +00:00 and naive timestamps are the same instant") {
    // 2026-01-04T21:33:56.123456 UTC
    const std::int64_t expected = 1767562436123456;
    CHECK(micros("2026-01-04T21:33:56.123456Z") == expected);
    CHECK(micros("2026-01-04T21:33:56.123456+00:00") == expected);
    CHECK(micros("2026-01-04T21:33:56.123456") == expected);
    CHECK(micros("2026-01-04 21:33:56.123456") == expected);
    CHECK(micros("2026-01-04T21:33:56.123456789Z") == expected); // extra digits dropped
}

TEST_CASE("fractions are optional and offsets shift the instant") {
    CHECK(micros("2026-01-04T21:33:56Z") == 1767562436000000);
    CHECK(micros("2026-01-04T21:33:56.5Z") == 1767562436500000);
    CHECK(micros("2026-01-04T23:33:56+02:00") == 1767562436000000);
    CHECK(micros("2026-01-04T19:33:56-0200") == 1767562436000000);
    CHECK(micros("1970-01-01T00:00:00Z") == 0);
}

TEST_CASE("malformed timestamps are errors, not crashes") {
    for (const char *bad :
         {"", "2026", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-04T25:00:00Z",
          "2026-01-04T21:33:56.Z", "2026-01-04T21:33:56+5", "2026-01-04T21:33:56Zjunk", "yesterday",
          "2026-01-04X21:33:56"}) {
        CAPTURE(bad);
        auto t = parse_datetime(bad);
        CHECK_FALSE(t);
        if (!t) {
            CHECK(t.error().code == vtc::Errc::protocol);
        }
    }
}

TEST_CASE("formatting round-trips at millisecond precision") {
    auto t = parse_datetime("2026-01-04T21:33:56.123Z");
    REQUIRE(t);
    CHECK(format_datetime(*t) == "2026-01-04T21:33:56.123Z");
}
