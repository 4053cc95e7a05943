// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/backoff.hpp"

#include <doctest/doctest.h>

using namespace vtc::host;
using namespace std::chrono;

TEST_CASE("delays double from the base and stop at the cap") {
    RetryPolicy p;
    p.base_delay = milliseconds(1000);
    p.max_delay = milliseconds(30000);
    CHECK(backoff_delay(p, 1, 1.0) == milliseconds(1000));
    CHECK(backoff_delay(p, 2, 1.0) == milliseconds(2000));
    CHECK(backoff_delay(p, 3, 1.0) == milliseconds(4000));
    CHECK(backoff_delay(p, 6, 1.0) == milliseconds(30000));
    CHECK(backoff_delay(p, 40, 1.0) == milliseconds(30000));
}

TEST_CASE("jitter stays inside its band, and a drawn jitter varies") {
    RetryPolicy p;
    p.base_delay = milliseconds(1000);
    p.jitter = 0.25;
    CHECK(backoff_delay(p, 1, 0.0) == milliseconds(750)); // clamped to 1 - jitter
    CHECK(backoff_delay(p, 1, 9.0) == milliseconds(1250));
    std::mt19937_64 rng(42);
    milliseconds lo = milliseconds::max(), hi = milliseconds::zero();
    for (int i = 0; i < 200; ++i) {
        const milliseconds d = backoff_delay(p, 2, rng);
        CHECK(d >= milliseconds(1500));
        CHECK(d <= milliseconds(2500));
        lo = std::min(lo, d);
        hi = std::max(hi, d);
    }
    CHECK(hi - lo > milliseconds(300));
}

TEST_CASE("slowapi limit texts are understood") {
    auto a = parse_rate_limit("300 per 1 minute");
    REQUIRE(a);
    CHECK(a->requests == 300);
    CHECK(a->period == seconds(60));
    auto b = parse_rate_limit("5 per 1 hour");
    REQUIRE(b);
    CHECK(b->period == seconds(3600));
    auto c = parse_rate_limit("600/minute");
    REQUIRE(c);
    CHECK(c->requests == 600);
    CHECK(c->period == seconds(60));
    auto d = parse_rate_limit("10 per 30 seconds");
    REQUIRE(d);
    CHECK(d->period == seconds(30));
    CHECK_FALSE(parse_rate_limit("lots"));
    CHECK_FALSE(parse_rate_limit("5 per fortnight"));
    CHECK_FALSE(parse_rate_limit(""));
}

TEST_CASE("a 429 waits as the limit requires") {
    // Retry-After wins.
    CHECK(rate_limit_delay(seconds(7), std::nullopt, milliseconds(1000)) == milliseconds(7000));
    // 300/min: spacing 200 ms, raised to the exponential delay.
    RateLimit per_minute{300, seconds(60)};
    CHECK(rate_limit_delay(std::nullopt, per_minute, milliseconds(1000)) == milliseconds(1000));
    // 5/hour: spacing 12 min, never more than the window.
    RateLimit per_hour{5, seconds(3600)};
    CHECK(rate_limit_delay(std::nullopt, per_hour, milliseconds(1000)) == milliseconds(720000));
    CHECK(rate_limit_delay(std::nullopt, RateLimit{1, seconds(10)}, milliseconds(60000)) ==
          milliseconds(10000));
    CHECK(parse_retry_after(" 12 ") == seconds(12));
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}
