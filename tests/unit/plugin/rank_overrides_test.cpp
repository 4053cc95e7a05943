// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/rank_overrides.hpp"

#include <doctest/doctest.h>

using vtc::detail::parse_rank_overrides;

TEST_CASE("rank overrides parse id:rank lists, with spaces and empty items") {
    auto ranks = parse_rank_overrides(" x264-h264:0, nvenc-hevc : 300 ,,svt.av1_x:7,");
    REQUIRE(ranks);
    CHECK(ranks->size() == 3);
    CHECK(ranks->at("x264-h264") == 0);
    CHECK(ranks->at("nvenc-hevc") == 300);
    CHECK(ranks->at("svt.av1_x") == 7);
    auto empty = parse_rank_overrides("   ");
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("malformed rank overrides are refused with the bad item named") {
    const std::pair<const char *, const char *> cases[] = {
        {"x264-h264", "VTC_ENCODER_RANKS: 'x264-h264' is not id:rank"},
        {"X264:1", "VTC_ENCODER_RANKS: 'X264' is not an encoder id ([a-z0-9._-])"},
        {":5", "VTC_ENCODER_RANKS: '' is not an encoder id ([a-z0-9._-])"},
        {"a:", "VTC_ENCODER_RANKS: rank '' of a is not an integer from 0 to 2147483647"},
        {"a:-1", "VTC_ENCODER_RANKS: rank '-1' of a is not an integer from 0 to 2147483647"},
        {"a:12x", "VTC_ENCODER_RANKS: rank '12x' of a is not an integer from 0 to 2147483647"},
        {"a:99999999999",
         "VTC_ENCODER_RANKS: rank '99999999999' of a is not an integer from 0 to 2147483647"},
        {"a:1,a:2", "VTC_ENCODER_RANKS: a is listed twice"},
    };
    for (const auto &[text, message] : cases) {
        CAPTURE(text);
        auto ranks = parse_rank_overrides(text);
        REQUIRE_FALSE(ranks);
        CHECK(ranks.error().code == vtc::Errc::invalid_argument);
        CHECK(ranks.error().to_string() == message);
    }
}
