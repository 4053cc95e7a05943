// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/playlist.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace vtc::detail;

namespace {

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

bool ends_with(const std::string &text, const std::string &suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// VLog's validate_hls_playlist (protocol §5.13), minus the file checks: starts with
/// #EXTM3U, has #EXT-X-ENDLIST, and every URI line is a .ts/.m4s segment (at least one).
bool vlog_accepts(const std::string &text) {
    if (text.rfind("#EXTM3U", 0) != 0 || text.find("#EXT-X-ENDLIST") == std::string::npos) {
        return false;
    }
    int segments = 0;
    for (const auto &line : lines_of(text)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        if (!ends_with(line, ".ts") && !ends_with(line, ".m4s")) {
            return false;
        }
        ++segments;
    }
    return segments > 0;
}

/// Every EXTINF, rounded to the nearest integer, must be <= TARGETDURATION (RFC 8216).
bool target_duration_holds(const std::string &text) {
    long target = -1;
    double longest = 0;
    for (const auto &line : lines_of(text)) {
        if (line.rfind("#EXT-X-TARGETDURATION:", 0) == 0) {
            target = std::stol(line.substr(22));
        } else if (line.rfind("#EXTINF:", 0) == 0) {
            longest = std::max(longest, std::stod(line.substr(8)));
        }
    }
    return target >= 1 && std::lround(longest) <= target;
}

} // namespace

TEST_CASE("TS media playlist: exact text, version 3, bare URIs") {
    MediaPlaylist playlist;
    playlist.container = HlsContainer::mpeg_ts;
    playlist.segments = {
        {"720p_0000.ts", 6.006, 1000}, {"720p_0001.ts", 5.994, 1000}, {"720p_0002.ts", 2.5, 400}};
    auto text = render_media_playlist(playlist);
    REQUIRE(text);
    CHECK(*text == "#EXTM3U\n"
                   "#EXT-X-VERSION:3\n"
                   "#EXT-X-TARGETDURATION:6\n"
                   "#EXT-X-MEDIA-SEQUENCE:0\n"
                   "#EXT-X-PLAYLIST-TYPE:VOD\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n"
                   "#EXTINF:6.006000,\n"
                   "720p_0000.ts\n"
                   "#EXTINF:5.994000,\n"
                   "720p_0001.ts\n"
                   "#EXTINF:2.500000,\n"
                   "720p_0002.ts\n"
                   "#EXT-X-ENDLIST\n");
    CHECK(vlog_accepts(*text));
    CHECK(text->find("EXT-X-MAP") == std::string::npos);
}

TEST_CASE("fMP4 media playlist: version 7 and the init segment map") {
    MediaPlaylist playlist;
    playlist.container = HlsContainer::fmp4;
    playlist.segments = {{"seg_0000.m4s", 4.0, 10}, {"seg_0001.m4s", 4.0, 10}};
    auto text = render_media_playlist(playlist);
    REQUIRE(text);
    const auto lines = lines_of(*text);
    REQUIRE(lines.size() == 12);
    CHECK(lines[1] == "#EXT-X-VERSION:7");
    CHECK(lines[2] == "#EXT-X-TARGETDURATION:4");
    CHECK(lines[6] == "#EXT-X-MAP:URI=\"init.mp4\"");
    CHECK(lines[7] == "#EXTINF:4.000000,");
    CHECK(lines[8] == "seg_0000.m4s");
    CHECK(lines.back() == "#EXT-X-ENDLIST");
    CHECK(vlog_accepts(*text));
}

TEST_CASE("TARGETDURATION is at least every EXTINF as written, rounded") {
    // 6.4999996 is written as 6.500000, which a player rounds to 7: the target must
    // follow the written value, not the double.
    std::vector<SegmentEntry> segments = {{"a.ts", 6.0, 1}, {"b.ts", 6.4999996, 1}};
    CHECK(target_duration_seconds(segments) == 7);
    MediaPlaylist playlist{HlsContainer::mpeg_ts, "init.mp4", segments};
    auto text = render_media_playlist(playlist);
    REQUIRE(text);
    CHECK(target_duration_holds(*text));
    CHECK(text->find("#EXT-X-TARGETDURATION:7\n") != std::string::npos);

    segments = {{"a.ts", 5.4, 1}, {"b.ts", 2.0, 1}};
    CHECK(target_duration_seconds(segments) == 5);
    segments = {{"a.ts", 5.5, 1}};
    CHECK(target_duration_seconds(segments) == 6);
    segments = {{"a.ts", 0.2, 1}};
    CHECK(target_duration_seconds(segments) == 1); // never 0
    CHECK(target_duration_seconds({}) == 0);
}

TEST_CASE("bad media playlist input is refused with a reason") {
    MediaPlaylist playlist;
    playlist.container = HlsContainer::fmp4;
    CHECK_FALSE(render_media_playlist(playlist)); // no segments

    playlist.segments = {{"seg_0000.ts", 6, 1}};
    auto wrong_suffix = render_media_playlist(playlist);
    REQUIRE_FALSE(wrong_suffix);
    CHECK(wrong_suffix.error().message.find(".m4s") != std::string::npos);

    playlist.segments = {{"seg 0000.m4s", 6, 1}};
    CHECK_FALSE(render_media_playlist(playlist));
    playlist.segments = {{"seg_0000.m4s\n#EXT-X-ENDLIST\nx.m4s", 6, 1}};
    CHECK_FALSE(render_media_playlist(playlist));

    for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity()}) {
        playlist.segments = {{"seg_0000.m4s", bad, 1}};
        auto result = render_media_playlist(playlist);
        REQUIRE_FALSE(result);
        CHECK(result.error().code == vtc::Errc::invalid_argument);
    }
    playlist.segments = {{"seg_0000.m4s", 6, 1}};
    playlist.init_uri = "in\"it.mp4";
    CHECK_FALSE(render_media_playlist(playlist));
}

TEST_CASE("bandwidth: uniform segments") {
    const std::vector<SegmentEntry> segments = {
        {"a.ts", 6.0, 750'000}, {"b.ts", 6.0, 750'000}, {"c.ts", 6.0, 750'000}};
    auto bw = bandwidth_from_segments(segments);
    REQUIRE(bw);
    CHECK(bw->peak_bps == 1'000'000);
    CHECK(bw->average_bps == 1'000'000);
}

TEST_CASE("bandwidth: a real burst inside a full segment sets the peak") {
    const std::vector<SegmentEntry> segments = {
        {"a.ts", 6.0, 750'000}, {"b.ts", 6.0, 1'500'000}, {"c.ts", 6.0, 750'000}};
    auto bw = bandwidth_from_segments(segments);
    REQUIRE(bw);
    CHECK(bw->peak_bps == 2'000'000);
    CHECK(bw->average_bps == 1'333'334); // 24e6 bits / 18 s, rounded up
}

TEST_CASE("bandwidth: a short last segment counts only with its neighbour") {
    // Alone the 0.5 s tail runs at 1.6 Mb/s, but it is shorter than half the 6 s
    // target duration, so RFC 8216 only counts it inside a 3..9 s window:
    // (750000 + 100000) * 8 / 6.5 = 1046153.8 b/s.
    const std::vector<SegmentEntry> segments = {
        {"a.ts", 6.0, 750'000}, {"b.ts", 6.0, 750'000}, {"c.ts", 0.5, 100'000}};
    auto bw = bandwidth_from_segments(segments);
    REQUIRE(bw);
    CHECK(bw->peak_bps == 1'046'154);
    CHECK(bw->average_bps == 1'024'000); // 12.8e6 bits / 12.5 s
    CHECK(bw->peak_bps >= bw->average_bps);
}

TEST_CASE("bandwidth: a clip shorter than half the target uses its whole rate") {
    const std::vector<SegmentEntry> segments = {{"a.ts", 0.4, 50'000}};
    auto bw = bandwidth_from_segments(segments);
    REQUIRE(bw);
    CHECK(bw->peak_bps == 1'000'000);
    CHECK(bw->average_bps == 1'000'000);
}

TEST_CASE("bandwidth: no segments or a zero duration is an error") {
    CHECK_FALSE(bandwidth_from_segments({}));
    const std::vector<SegmentEntry> zero = {{"a.ts", 0.0, 100}};
    CHECK_FALSE(bandwidth_from_segments(zero));
}

TEST_CASE("master playlist: measured values, sorted by BANDWIDTH, CODECS per variant") {
    const std::vector<VariantStream> variants = {
        {"360p/stream.m3u8", {700'000, 600'000}, 640, 360, 30.0, "avc1.64001e", "mp4a.40.2"},
        {"1080p/stream.m3u8",
         {5'600'000, 4'900'000},
         1920,
         1080,
         29.97002997,
         "avc1.640028",
         "mp4a.40.2"},
        {"original/stream.m3u8", {9'000'000, 8'000'000}, 1920, 1080, 59.94, "hvc1.2.4.L153.90", ""},
    };
    auto text = render_master_playlist(HlsContainer::fmp4, variants);
    REQUIRE(text);
    CHECK(*text ==
          "#EXTM3U\n"
          "#EXT-X-VERSION:7\n"
          "#EXT-X-INDEPENDENT-SEGMENTS\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=9000000,AVERAGE-BANDWIDTH=8000000,RESOLUTION=1920x1080,"
          "FRAME-RATE=59.940,CODECS=\"hvc1.2.4.L153.90\"\n"
          "original/stream.m3u8\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=5600000,AVERAGE-BANDWIDTH=4900000,RESOLUTION=1920x1080,"
          "FRAME-RATE=29.970,CODECS=\"avc1.640028,mp4a.40.2\"\n"
          "1080p/stream.m3u8\n"
          "#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=600000,RESOLUTION=640x360,"
          "FRAME-RATE=30.000,CODECS=\"avc1.64001e,mp4a.40.2\"\n"
          "360p/stream.m3u8\n");

    auto ts = render_master_playlist(HlsContainer::mpeg_ts, variants);
    REQUIRE(ts);
    CHECK(ts->find("#EXT-X-VERSION:3\n") != std::string::npos);
}

TEST_CASE("master playlist refuses values that are not measurements") {
    const VariantStream good{"720p.m3u8", {2'000'000, 1'800'000}, 1280,       720,
                             25.0,        "avc1.64001f",          "mp4a.40.2"};
    CHECK(render_master_playlist(HlsContainer::mpeg_ts, std::vector{good}));
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, {}));

    auto zero_bandwidth = good;
    zero_bandwidth.bandwidth = {0, 0}; // VLog's skipped "original" (BANDWIDTH=0)
    auto refused = render_master_playlist(HlsContainer::mpeg_ts, std::vector{zero_bandwidth});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("720p.m3u8") != std::string::npos);

    auto average_above_peak = good;
    average_above_peak.bandwidth = {1'000, 2'000};
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{average_above_peak}));
    auto no_size = good;
    no_size.width = 0; // VLog's 0x0 probe failure
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{no_size}));
    auto no_rate = good;
    no_rate.frame_rate = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{no_rate}));
    auto no_codec = good;
    no_codec.video_codecs.clear();
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{no_codec}));
    auto quote_in_codec = good;
    quote_in_codec.audio_codecs = "mp4a\"";
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{quote_in_codec}));
    auto space_in_uri = good;
    space_in_uri.uri = "7 20p.m3u8";
    CHECK_FALSE(render_master_playlist(HlsContainer::mpeg_ts, std::vector{space_in_uri}));
}
