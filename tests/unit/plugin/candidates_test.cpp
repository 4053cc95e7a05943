// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/candidates.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using vtc::EncoderInfo;
using vtc::EncoderRequirements;
using vtc::detail::select_candidates;

namespace {

EncoderInfo encoder(std::string id, std::string plugin, int32_t codec, int32_t rank,
                    bool hardware) {
    EncoderInfo info;
    info.id = std::move(id);
    info.plugin = std::move(plugin);
    info.codec = codec;
    info.rank = rank;
    info.declared_rank = rank;
    info.available = true;
    info.status = VTC_OK;
    info.caps.struct_size = sizeof(info.caps);
    info.caps.codec = codec;
    info.caps.bit_depths = VTC_BIT_DEPTH_8;
    info.caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12);
    info.caps.memory_types = VTC_BIT(VTC_MEMORY_SYSTEM);
    info.caps.rate_control_modes =
        VTC_BIT(VTC_RATE_CONTROL_CRF) | VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF);
    info.caps.min_width = 16;
    info.caps.min_height = 16;
    info.caps.max_width = 4096;
    info.caps.max_height = 2304;
    info.caps.size_alignment = 2;
    info.caps.flags =
        VTC_ENCODER_CAP_FORCED_KEYFRAME | (hardware ? VTC_ENCODER_CAP_HARDWARE : uint64_t{0});
    return info;
}

std::vector<std::string> ids(const std::vector<EncoderInfo> &list) {
    std::vector<std::string> out;
    for (const EncoderInfo &info : list) {
        out.push_back(info.id);
    }
    return out;
}

// Two software and two hardware H.264 encoders, one HEVC encoder.
std::vector<EncoderInfo> machine() {
    std::vector<EncoderInfo> list = {
        encoder("x264-h264", "x264", VTC_CODEC_H264, VTC_RANK_SECONDARY, false),
        encoder("openh264-h264", "openh264", VTC_CODEC_H264, VTC_RANK_SECONDARY, false),
        encoder("nvenc-h264", "nvenc", VTC_CODEC_H264, VTC_RANK_PRIMARY, true),
        encoder("vaapi-h264", "vaapi", VTC_CODEC_H264, VTC_RANK_PRIMARY - 1, true),
        encoder("x265-hevc", "x265", VTC_CODEC_HEVC, VTC_RANK_SECONDARY, false),
    };
    list[3].caps.memory_types |= VTC_BIT(VTC_MEMORY_VA_SURFACE);
    list[4].caps.bit_depths |= VTC_BIT_DEPTH_10;
    list[4].caps.pixel_formats |= VTC_BIT(VTC_PIXEL_FORMAT_I420_10);
    return list;
}

} // namespace

TEST_CASE("candidates are ordered by rank, then id, with no preference") {
    EncoderRequirements needs;
    needs.codec = VTC_CODEC_H264;
    CHECK(ids(select_candidates(machine(), needs, {})) ==
          std::vector<std::string>{"nvenc-h264", "vaapi-h264", "openh264-h264", "x264-h264"});
}

TEST_CASE("preferences put matching encoders first, in preference order") {
    EncoderRequirements needs;
    needs.codec = VTC_CODEC_H264;
    CHECK(ids(select_candidates(machine(), needs, {"software"})) ==
          std::vector<std::string>{"openh264-h264", "x264-h264", "nvenc-h264", "vaapi-h264"});
    CHECK(ids(select_candidates(machine(), needs, {"x264", "vaapi-h264"})) ==
          std::vector<std::string>{"x264-h264", "vaapi-h264", "nvenc-h264", "openh264-h264"});
    CHECK(ids(select_candidates(machine(), needs, {"qsv", "hardware"})) ==
          std::vector<std::string>{"nvenc-h264", "vaapi-h264", "openh264-h264", "x264-h264"});
}

TEST_CASE("rank 0 encoders are only chosen when named") {
    auto list = machine();
    list[2].rank = 0; // nvenc-h264, as VTC_ENCODER_RANKS=nvenc-h264:0 would do
    EncoderRequirements needs;
    needs.codec = VTC_CODEC_H264;
    CHECK(ids(select_candidates(list, needs, {})) ==
          std::vector<std::string>{"vaapi-h264", "openh264-h264", "x264-h264"});
    CHECK(ids(select_candidates(list, needs, {"hardware"})) ==
          std::vector<std::string>{"vaapi-h264", "openh264-h264", "x264-h264"});
    CHECK(ids(select_candidates(list, needs, {"nvenc"})) ==
          std::vector<std::string>{"nvenc-h264", "vaapi-h264", "openh264-h264", "x264-h264"});
    CHECK(ids(select_candidates(list, needs, {"x264", "nvenc-h264"})) ==
          std::vector<std::string>{"x264-h264", "nvenc-h264", "vaapi-h264", "openh264-h264"});
}

TEST_CASE("candidates are filtered by every requirement") {
    const auto list = machine();
    EncoderRequirements needs;

    needs.codec = VTC_CODEC_HEVC;
    CHECK(ids(select_candidates(list, needs, {})) == std::vector<std::string>{"x265-hevc"});
    needs.codec = VTC_CODEC_AV1;
    CHECK(select_candidates(list, needs, {}).empty());

    needs = {};
    needs.bit_depth = 10;
    CHECK(ids(select_candidates(list, needs, {})) == std::vector<std::string>{"x265-hevc"});
    needs.bit_depth = 12;
    CHECK(select_candidates(list, needs, {}).empty());

    needs = {};
    needs.pixel_format = VTC_PIXEL_FORMAT_I420_10;
    CHECK(ids(select_candidates(list, needs, {})) == std::vector<std::string>{"x265-hevc"});
    needs.pixel_format = VTC_PIXEL_FORMAT_P010;
    CHECK(select_candidates(list, needs, {}).empty());

    needs = {};
    needs.memory_type = VTC_MEMORY_VA_SURFACE;
    CHECK(ids(select_candidates(list, needs, {})) == std::vector<std::string>{"vaapi-h264"});

    needs = {};
    needs.rate_control = VTC_RATE_CONTROL_CBR;
    CHECK(select_candidates(list, needs, {}).empty());
    needs.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    CHECK(select_candidates(list, needs, {}).size() == 5);

    needs = {};
    needs.width = 1280;
    needs.height = 720;
    CHECK(select_candidates(list, needs, {}).size() == 5);
    needs.width = 8192; // above max_width
    CHECK(select_candidates(list, needs, {}).empty());
    needs.width = 8; // below min_width
    CHECK(select_candidates(list, needs, {}).empty());
    needs.width = 1281; // not a multiple of size_alignment 2
    CHECK(select_candidates(list, needs, {}).empty());
    needs.width = 1280;
    needs.height = 3000; // above max_height
    CHECK(select_candidates(list, needs, {}).empty());
}

TEST_CASE("unavailable encoders and missing forced keyframes are left out") {
    auto list = machine();
    list[2].available = false;                              // nvenc-h264: no device
    list[3].caps.flags &= ~VTC_ENCODER_CAP_FORCED_KEYFRAME; // vaapi-h264
    EncoderRequirements needs;
    needs.codec = VTC_CODEC_H264;
    CHECK(ids(select_candidates(list, needs, {"nvenc"})) ==
          std::vector<std::string>{"vaapi-h264", "openh264-h264", "x264-h264"});
    needs.forced_keyframes = true;
    CHECK(ids(select_candidates(list, needs, {})) ==
          std::vector<std::string>{"openh264-h264", "x264-h264"});
}
