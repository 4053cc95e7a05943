// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The MPD is checked with a real XML parser (xmllint, from libxml2-utils, a test
// dependency in scripts/install-deps.sh): well-formedness, and XPath queries for the
// structure players rely on. The SegmentTimeline is expanded back and compared with
// the segments that went in.
#include "package/dash.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using namespace vtc::detail;

namespace {

class MpdFile {
public:
    explicit MpdFile(const std::string &xml) {
        std::string pattern = (fs::temp_directory_path() / "vtc-mpd-XXXXXX").string();
        const int fd = ::mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = pattern;
        std::ofstream(path_) << xml;
    }
    ~MpdFile() {
        std::error_code ignored;
        fs::remove(path_, ignored);
    }
    MpdFile(const MpdFile &) = delete;
    MpdFile &operator=(const MpdFile &) = delete;

    /// xmllint's exit status: 0 when the document is well-formed.
    int lint() const {
        const std::string command = "xmllint --noout '" + path_.string() + "' 2>&1";
        return std::system(command.c_str());
    }

    /// The string value of an XPath 1.0 expression; MPD elements live in the DASH
    /// namespace, hence local-name() in the queries.
    std::string xpath(const std::string &expression) const {
        const std::string command =
            "xmllint --xpath '" + expression + "' '" + path_.string() + "' 2>&1";
        FILE *pipe = ::popen(command.c_str(), "r");
        REQUIRE(pipe != nullptr);
        std::string output;
        char buffer[256];
        while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
            output += buffer;
        }
        const int status = ::pclose(pipe);
        INFO("xmllint --xpath " << expression << " -> " << output);
        REQUIRE(status == 0);
        while (!output.empty() && output.back() == '\n') {
            output.pop_back();
        }
        return output;
    }

private:
    fs::path path_;
};

std::string el(const std::string &name) {
    return "*[local-name()=\"" + name + "\"]";
}

/// Representation @p id's timeline expanded to (start, duration) pairs.
std::vector<DashSegment> expand_timeline(const std::string &xml, const std::string &id) {
    const auto begin = xml.find("<Representation id=\"" + id + "\"");
    REQUIRE(begin != std::string::npos);
    const auto end = xml.find("</Representation>", begin);
    const std::string block = xml.substr(begin, end - begin);
    static const std::regex s_element(R"re(<S( t="(\d+)")? d="(\d+)"( r="(\d+)")?/>)re");
    std::vector<DashSegment> segments;
    uint64_t next = 0;
    for (std::sregex_iterator it(block.begin(), block.end(), s_element), last; it != last; ++it) {
        const auto &m = *it;
        if (m[2].matched) {
            next = std::stoull(m[2].str());
        } else {
            REQUIRE_FALSE(segments.empty()); // the first S must carry t
        }
        const uint64_t duration = std::stoull(m[3].str());
        const uint64_t repeats = m[5].matched ? std::stoull(m[5].str()) : 0;
        for (uint64_t r = 0; r <= repeats; ++r) {
            segments.push_back({next, duration});
            next += duration;
        }
    }
    return segments;
}

bool same(const std::vector<DashSegment> &a, const std::vector<DashSegment> &b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].start != b[i].start || a[i].duration != b[i].duration) {
            return false;
        }
    }
    return true;
}

/// 10 full 6 s segments and a 3 s tail at timescale 15360, starting at @p first.
std::vector<DashSegment> ladder_timeline(uint64_t first = 0) {
    std::vector<DashSegment> segments;
    uint64_t t = first;
    for (int i = 0; i < 10; ++i) {
        segments.push_back({t, 92'160});
        t += 92'160;
    }
    segments.push_back({t, 46'080});
    return segments;
}

DashRepresentation rendition(std::string id, uint64_t bandwidth, int32_t w, int32_t h,
                             std::string codecs) {
    DashRepresentation rep;
    rep.id = std::move(id);
    rep.bandwidth_bps = bandwidth;
    rep.width = w;
    rep.height = h;
    rep.frame_rate_num = 30000;
    rep.frame_rate_den = 1001;
    rep.codecs = std::move(codecs);
    rep.timescale = 15360;
    rep.presentation_time_offset = 0;
    rep.segments = ladder_timeline();
    return rep;
}

} // namespace

TEST_CASE("one AdaptationSet with every rendition, real timelines, well-formed XML") {
    std::vector<DashRepresentation> reps = {
        rendition("480p", 1'200'000, 854, 480, "avc1.64001e,mp4a.40.2"),
        rendition("1080p", 5'600'000, 1920, 1080, "avc1.640028,mp4a.40.2"),
        rendition("720p", 2'900'000, 1280, 720, "avc1.64001f,mp4a.40.2"),
    };
    auto xml = render_dash_manifest(reps);
    REQUIRE(xml);
    MpdFile mpd(*xml);
    REQUIRE(mpd.lint() == 0);

    CHECK(mpd.xpath("string(/" + el("MPD") + "/@type)") == "static");
    CHECK(mpd.xpath("string(/" + el("MPD") + "/@profiles)") ==
          "urn:mpeg:dash:profile:isoff-live:2011");
    CHECK(mpd.xpath("string(/" + el("MPD") + "/@mediaPresentationDuration)") == "PT1M3.000S");
    CHECK(mpd.xpath("string(/" + el("MPD") + "/@minBufferTime)") == "PT6.000S");
    CHECK(mpd.xpath("namespace-uri(/*)") == "urn:mpeg:dash:schema:mpd:2011");
    CHECK(mpd.xpath("count(//" + el("Period") + ")") == "1");
    CHECK(mpd.xpath("count(//" + el("AdaptationSet") + ")") == "1");
    const std::string set = "//" + el("AdaptationSet");
    CHECK(mpd.xpath("string(" + set + "/@segmentAlignment)") == "true");
    CHECK(mpd.xpath("string(" + set + "/@startWithSAP)") == "1");
    CHECK(mpd.xpath("string(" + set + "/@mimeType)") == "video/mp4");
    CHECK(mpd.xpath("string(" + set + "/@maxWidth)") == "1920");
    CHECK(mpd.xpath("string(" + set + "/@maxHeight)") == "1080");
    CHECK(mpd.xpath("string(" + set + "/@maxFrameRate)") == "30000/1001");
    CHECK(mpd.xpath("count(" + set + "/" + el("Representation") + ")") == "3");
    // dash.js calls an AdaptationSet with several ContentComponents "multiplexed" and
    // refuses it; muxed audio is declared through codecs only.
    CHECK(mpd.xpath("count(//" + el("ContentComponent") + ")") == "0");

    // Highest bandwidth first, as in the master playlist.
    const std::string first = set + "/" + el("Representation") + "[1]";
    CHECK(mpd.xpath("string(" + first + "/@id)") == "1080p");
    CHECK(mpd.xpath("string(" + first + "/@bandwidth)") == "5600000");
    CHECK(mpd.xpath("string(" + first + "/@codecs)") == "avc1.640028,mp4a.40.2");
    CHECK(mpd.xpath("string(" + first + "/@frameRate)") == "30000/1001");
    const std::string tmpl = first + "/" + el("SegmentTemplate");
    CHECK(mpd.xpath("string(" + tmpl + "/@media)") == "1080p/seg_$Number%04d$.m4s");
    CHECK(mpd.xpath("string(" + tmpl + "/@initialization)") == "1080p/init.mp4");
    CHECK(mpd.xpath("string(" + tmpl + "/@startNumber)") == "0");
    CHECK(mpd.xpath("string(" + tmpl + "/@timescale)") == "15360");
    CHECK(mpd.xpath("count(" + tmpl + "/" + el("SegmentTimeline") + "/" + el("S") + ")") == "2");
    CHECK(mpd.xpath("string(" + set + "/" + el("Representation") + "[3]/@id)") == "480p");

    // Run-length coding: ten equal segments in one S, the tail in another.
    CHECK(xml->find("<S t=\"0\" d=\"92160\" r=\"9\"/>") != std::string::npos);
    CHECK(xml->find("<S d=\"46080\"/>") != std::string::npos);
    for (const auto &rep : reps) {
        CAPTURE(rep.id);
        CHECK(same(expand_timeline(*xml, rep.id), rep.segments));
    }
}

TEST_CASE("irregular timelines round-trip: gaps get t, changes break runs") {
    auto rep = rendition("720p", 2'000'000, 1280, 720, "av01.0.08M.08");
    rep.timescale = 90'000;
    rep.presentation_time_offset = 3'003;
    rep.segments = {{3'003, 540'540},     {543'543, 540'540},   {1'084'083, 537'537},
                    {1'700'000, 540'540}, {2'240'540, 540'540}, {2'781'080, 90'000}};
    const std::vector<DashRepresentation> reps = {rep};
    auto xml = render_dash_manifest(reps);
    REQUIRE(xml);
    MpdFile mpd(*xml);
    REQUIRE(mpd.lint() == 0);
    CHECK(same(expand_timeline(*xml, "720p"), rep.segments));
    CHECK(xml->find("<S t=\"3003\" d=\"540540\" r=\"1\"/>") != std::string::npos);
    CHECK(xml->find("<S d=\"537537\"/>") != std::string::npos);
    CHECK(xml->find("<S t=\"1700000\" d=\"540540\" r=\"1\"/>") != std::string::npos);
    CHECK(mpd.xpath("string(//" + el("SegmentTemplate") + "/@presentationTimeOffset)") == "3003");
    // (2871080 - 3003) / 90000 = 31.867522 s, rounded up to the millisecond.
    CHECK(mpd.xpath("string(/" + el("MPD") + "/@mediaPresentationDuration)") == "PT31.868S");
    CHECK(mpd.xpath("string(//" + el("Representation") + "/@frameRate)") == "30000/1001");
}

TEST_CASE("segmentAlignment is claimed only when the renditions really align") {
    auto a = rendition("720p", 2'000'000, 1280, 720, "avc1.64001f");
    auto b = rendition("360p", 600'000, 640, 360, "avc1.64001e");
    // Another timescale, same boundaries in seconds: still aligned.
    b.timescale = 30'000;
    for (auto &segment : b.segments) {
        segment.start = segment.start * 30'000 / 15'360;
        segment.duration = segment.duration * 30'000 / 15'360;
    }
    auto aligned = render_dash_manifest(std::vector{a, b});
    REQUIRE(aligned);
    CHECK(aligned->find("segmentAlignment=\"true\"") != std::string::npos);

    auto c = b;
    c.segments.pop_back(); // one segment fewer
    auto counted = render_dash_manifest(std::vector{a, c});
    REQUIRE(counted);
    CHECK(counted->find("segmentAlignment") == std::string::npos);

    auto d = b;
    d.segments[3].duration += 1'000; // a boundary one frame late
    for (size_t i = 4; i < d.segments.size(); ++i) {
        d.segments[i].start += 1'000;
    }
    auto shifted = render_dash_manifest(std::vector{a, d});
    REQUIRE(shifted);
    CHECK(shifted->find("segmentAlignment") == std::string::npos);
}

TEST_CASE("attribute values are XML-escaped") {
    auto rep = rendition("720p", 2'000'000, 1280, 720, "avc1.64001f,x&<y>'");
    auto xml = render_dash_manifest(std::vector{rep});
    REQUIRE(xml);
    MpdFile mpd(*xml);
    REQUIRE(mpd.lint() == 0);
    CHECK(xml->find("codecs=\"avc1.64001f,x&amp;&lt;y&gt;&apos;\"") != std::string::npos);
}

TEST_CASE("no representations, or broken ones, give an error and no text") {
    auto none = render_dash_manifest({});
    REQUIRE_FALSE(none);
    CHECK(none.error().code == vtc::Errc::invalid_argument);

    const auto base = rendition("720p", 2'000'000, 1280, 720, "avc1.64001f");
    auto refused = [&](auto mutate) {
        auto rep = base;
        mutate(rep);
        return !render_dash_manifest(std::vector{rep}).has_value();
    };
    CHECK(refused([](DashRepresentation &r) { r.id = "72 0p"; }));
    CHECK(refused([](DashRepresentation &r) { r.id = "$x$"; }));
    CHECK(refused([](DashRepresentation &r) { r.id.clear(); }));
    CHECK(refused([](DashRepresentation &r) { r.bandwidth_bps = 0; }));
    CHECK(refused([](DashRepresentation &r) { r.width = 0; }));
    CHECK(refused([](DashRepresentation &r) { r.frame_rate_den = 0; }));
    CHECK(refused([](DashRepresentation &r) { r.timescale = 0; }));
    CHECK(refused([](DashRepresentation &r) { r.codecs.clear(); }));
    CHECK(refused([](DashRepresentation &r) { r.segments.clear(); }));
    CHECK(refused([](DashRepresentation &r) { r.segments[2].duration = 0; }));
    CHECK(refused([](DashRepresentation &r) { r.segments[2].start -= 1; })); // overlap
    CHECK(refused([](DashRepresentation &r) { r.presentation_time_offset = 1'000'000'000; }));

    auto twice = render_dash_manifest(std::vector{base, base});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message.find("twice") != std::string::npos);
}

TEST_CASE("ISO 8601 durations") {
    CHECK(iso8601_duration(6) == "PT6.000S");
    CHECK(iso8601_duration(3723.5) == "PT1H2M3.500S");
    CHECK(iso8601_duration(3600) == "PT1H0M0.000S");
    CHECK(iso8601_duration(300.5) == "PT5M0.500S");
    CHECK(iso8601_duration(59.9996) == "PT1M0.000S"); // rounded up
    CHECK(iso8601_duration(0.0004) == "PT0.001S");
    CHECK(iso8601_duration(0) == "PT0.000S");
}
