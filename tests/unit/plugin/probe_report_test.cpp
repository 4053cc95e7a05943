// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/caps.hpp"
#include "plugin/probe_report.hpp"
#include <vtranscode/encoder_registry.hpp>

#include <doctest/doctest.h>

#include <cstring>

using vtc::detail::parse_probe_report;
using vtc::detail::probe_report_to_json;
using vtc::detail::ProbeEncoderReport;
using vtc::detail::ProbeReport;

namespace {

ProbeReport sample() {
    ProbeReport report;
    report.file = "/p/vtc-demo.so";
    report.accepted = true;
    report.name = "demo";
    report.version = "2.1.0";
    report.license = "BSD-3-Clause";
    report.description = "demo \"quoted\" plugin";
    report.abi_major = 1;
    report.abi_minor = 0;
    ProbeEncoderReport usable;
    usable.id = "demo-av1";
    usable.description = "demo AV1";
    usable.codec = VTC_CODEC_AV1;
    usable.rank = 128;
    usable.status = VTC_OK;
    usable.caps.struct_size = sizeof(usable.caps);
    usable.caps.codec = VTC_CODEC_AV1;
    usable.caps.profiles = VTC_BIT(VTC_PROFILE_AV1_MAIN);
    usable.caps.bit_depths = VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10;
    usable.caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(40);
    usable.caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
    usable.caps.rate_control_modes = VTC_BIT(VTC_RATE_CONTROL_CRF);
    usable.caps.min_width = 64;
    usable.caps.min_height = 64;
    usable.caps.max_width = 16384;
    usable.caps.max_height = 8704;
    usable.caps.size_alignment = 8;
    usable.caps.max_sessions = 3;
    usable.caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_BIT(63);
    ProbeEncoderReport missing;
    missing.id = "demo-hw";
    missing.codec = VTC_CODEC_HEVC;
    missing.rank = 256;
    missing.status = VTC_ERR_NO_DEVICE;
    missing.reason = "no device";
    report.encoders = {usable, missing};
    return report;
}

} // namespace

TEST_CASE("a probe report survives the JSON round trip exactly") {
    const ProbeReport original = sample();
    const std::string text = probe_report_to_json(original);
    CHECK(text.find('\n') == std::string::npos);
    auto parsed = parse_probe_report(text);
    REQUIRE(parsed);
    CHECK(parsed->file == original.file);
    CHECK(parsed->accepted);
    CHECK(parsed->name == "demo");
    CHECK(parsed->version == "2.1.0");
    CHECK(parsed->license == "BSD-3-Clause");
    CHECK(parsed->description == original.description);
    REQUIRE(parsed->encoders.size() == 2);
    const ProbeEncoderReport &usable = parsed->encoders[0];
    CHECK(usable.id == "demo-av1");
    CHECK(usable.status == VTC_OK);
    CHECK(std::memcmp(&usable.caps, &original.encoders[0].caps, sizeof(usable.caps)) == 0);
    const ProbeEncoderReport &missing = parsed->encoders[1];
    CHECK(missing.status == VTC_ERR_NO_DEVICE);
    CHECK(missing.reason == "no device");
    CHECK(missing.rank == 256);
}

TEST_CASE("a refused report carries only the reason") {
    ProbeReport refused;
    refused.file = "/p/vtc-x.so";
    refused.reason = "built for plugin ABI 2.0, this host supports 1.0";
    auto parsed = parse_probe_report(probe_report_to_json(refused));
    REQUIRE(parsed);
    CHECK_FALSE(parsed->accepted);
    CHECK(parsed->reason == refused.reason);
    CHECK(parsed->encoders.empty());
}

TEST_CASE("malformed reports are refused with what is wrong") {
    const std::pair<const char *, const char *> cases[] = {
        {"", "the probe's report is not a JSON object"},
        {"[1,2]", "the probe's report is not a JSON object"},
        {"{\"file\":\"f\"}", "the probe's report is malformed: missing \"accepted\""},
        {"{\"file\":\"f\",\"accepted\":\"yes\"}",
         "the probe's report is malformed: \"accepted\" is not a boolean"},
        {"{\"file\":\"f\",\"accepted\":true}",
         "the probe's report is malformed: \"plugin\" is missing or not an object"},
        {"{\"file\":\"f\",\"accepted\":true,\"plugin\":{\"name\":\"a\",\"version\":\"1\","
         "\"license\":\"MIT\",\"description\":\"\",\"abi_major\":-1,\"abi_minor\":0},"
         "\"encoders\":[]}",
         "the probe's report is malformed: \"abi_major\" is negative"},
        {"{\"file\":\"f\",\"accepted\":true,\"plugin\":{\"name\":\"a\",\"version\":\"1\","
         "\"license\":\"MIT\",\"description\":\"\",\"abi_major\":1,\"abi_minor\":0},"
         "\"encoders\":[{\"id\":\"a-h264\",\"description\":\"\",\"codec\":1,\"rank\":1,"
         "\"status\":0,\"caps\":{\"struct_size\":64}}]}",
         "the probe's report is malformed: missing \"codec\""},
    };
    for (const auto &[text, message] : cases) {
        CAPTURE(text);
        auto parsed = parse_probe_report(text);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == vtc::Errc::protocol);
        CHECK(parsed.error().message == message);
    }
}

TEST_CASE("caps are summarised for people, unknown bits included") {
    const ProbeReport report = sample();
    CHECK(vtc::detail::caps_summary(report.encoders[0].caps) ==
          "8/10-bit i420,bit40 system 64x64..16384x8704 crf forced-keyframe,bit63");
    CHECK(vtc::codec_name(VTC_CODEC_HEVC) == "hevc");
    CHECK(vtc::codec_name(7) == "unknown");
}
