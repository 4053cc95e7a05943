// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Checks the example plugin examples/plugin-skeleton as the staging-install test
// built it (out of tree, against the installed headers): its contract, and that
// libavcodec decodes its output losslessly with keyframes exactly where they were
// forced. The plugin's path comes from VTC_SKELETON_PLUGIN; without it every test
// fails, because this program only runs from tests/install/staging_install_test.sh.
#include "av_decode.hpp"
#include "synthetic_frames.hpp"

#include <doctest/doctest.h>
#include <vtranscode/plugin/vtc_plugin.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
}

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace {

// The plugin, loaded once for the whole program.
struct Plugin {
    void *handle = nullptr;
    const vtc_plugin_descriptor *descriptor = nullptr;
    const vtc_encoder_info *info = nullptr;
    const vtc_encoder_vtbl *vt = nullptr;
    std::string error;

    Plugin() {
        const char *path = std::getenv("VTC_SKELETON_PLUGIN");
        if (path == nullptr || *path == '\0') {
            error = "VTC_SKELETON_PLUGIN is not set (run through staging_install_test.sh)";
            return;
        }
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            error = std::string("dlopen: ") + dlerror();
            return;
        }
        auto entry = reinterpret_cast<vtc_plugin_entry_fn>(dlsym(handle, VTC_PLUGIN_ENTRY_SYMBOL));
        if (entry == nullptr) {
            error = "no vtc_plugin_entry symbol";
            return;
        }
        descriptor = entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
        if (descriptor == nullptr || descriptor->encoder_count != 1 ||
            descriptor->encoders == nullptr || descriptor->encoders[0] == nullptr) {
            error = "descriptor is NULL or does not list exactly one encoder";
            return;
        }
        info = descriptor->encoders[0];
        vt = info->vtbl;
    }
};

const Plugin &plugin() {
    static const Plugin loaded;
    REQUIRE_MESSAGE(loaded.vt != nullptr, loaded.error);
    return loaded;
}

// A host that records log lines and can be told to cancel.
struct TestHost {
    vtc_host host{};
    std::vector<std::string> lines;
    int cancelled = 0;

    TestHost() {
        host.struct_size = sizeof host;
        host.log_level = VTC_LOG_TRACE;
        host.ctx = this;
        host.log = [](void *ctx, int32_t, const char *message) {
            static_cast<TestHost *>(ctx)->lines.emplace_back(message);
        };
        host.is_cancelled = [](void *ctx) { return static_cast<TestHost *>(ctx)->cancelled; };
        host.get_service = [](void *, const char *) -> const void * { return nullptr; };
    }
};

vtc_encoder_config make_config(uint32_t width, uint32_t height) {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = VTC_CODEC_H264;
    config.width = width;
    config.height = height;
    config.pixel_format = VTC_PIXEL_FORMAT_I420;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 90000};
    config.frame_rate = {30, 1};
    config.rate_control = VTC_RATE_CONTROL_CQP;
    return config;
}

struct Created {
    vtc_status status;
    std::string reason;
};

Created try_create(const TestHost &host, const vtc_encoder_config &config) {
    char reason[256] = "untouched";
    vtc_encoder *enc = nullptr;
    const vtc_status status = plugin().vt->create(&host.host, &config, &enc, reason, sizeof reason);
    if (status == VTC_OK) {
        plugin().vt->destroy(enc);
    } else {
        CHECK(enc == nullptr);
    }
    return {status, reason};
}

vtc_encoder *create(const TestHost &host, const vtc_encoder_config &config) {
    char reason[256] = {};
    vtc_encoder *enc = nullptr;
    const vtc_status status = plugin().vt->create(&host.host, &config, &enc, reason, sizeof reason);
    REQUIRE_MESSAGE(status == VTC_OK, reason);
    REQUIRE(enc != nullptr);
    return enc;
}

// Takes every packet available now; returns the status that ended the loop.
vtc_status collect(vtc_encoder *enc, std::vector<vtc::test::EncodedPacket> &out) {
    for (;;) {
        vtc_packet packet{};
        packet.struct_size = sizeof packet;
        const vtc_status status = plugin().vt->receive_packet(enc, &packet);
        if (status != VTC_OK) {
            return status;
        }
        REQUIRE(packet.size > 0);
        REQUIRE(packet.data != nullptr);
        vtc::test::EncodedPacket copy;
        copy.data.assign(packet.data, packet.data + packet.size);
        copy.pts = packet.pts;
        copy.dts = packet.dts;
        copy.is_keyframe = (packet.flags & VTC_PACKET_KEYFRAME) != 0;
        out.push_back(std::move(copy));
    }
}

// Encodes `count` synthetic frames with the send/collect loop of vtc_encoder.h,
// forcing a keyframe on the frames in `forced`.
std::vector<vtc::test::EncodedPacket> encode(vtc_encoder *enc, uint32_t width, uint32_t height,
                                             int count, const std::set<int> &forced) {
    vtc::test::SyntheticFrame source(VTC_PIXEL_FORMAT_I420, width, height);
    std::vector<vtc::test::EncodedPacket> packets;
    for (int i = 0; i < count; ++i) {
        const vtc_frame &frame =
            source.fill(i, int64_t{i} * 3000, forced.count(i) != 0 ? VTC_FRAME_FORCE_KEYFRAME : 0);
        vtc_status status;
        while ((status = plugin().vt->send_frame(enc, &frame)) == VTC_OUTPUT_PENDING) {
            REQUIRE(collect(enc, packets) == VTC_NEED_INPUT);
        }
        REQUIRE_MESSAGE(status == VTC_OK, plugin().vt->last_error(enc));
        REQUIRE(collect(enc, packets) == VTC_NEED_INPUT);
    }
    REQUIRE(plugin().vt->drain(enc) == VTC_OK);
    REQUIRE(collect(enc, packets) == VTC_END_OF_STREAM);
    return packets;
}

std::set<int> keyframes_of(const vtc::test::DecodeReport &report) {
    std::set<int> keys;
    for (size_t i = 0; i < report.frames.size(); ++i) {
        if (report.frames[i].is_keyframe) {
            keys.insert(static_cast<int>(i));
        }
    }
    return keys;
}

std::vector<uint8_t> extradata_of(vtc_encoder *enc) {
    const uint8_t *data = nullptr;
    uint64_t size = 0;
    REQUIRE(plugin().vt->get_extradata(enc, &data, &size) == VTC_OK);
    REQUIRE(size > 0);
    return {data, data + size};
}

} // namespace

TEST_CASE("the skeleton describes one marginal-rank H.264 encoder under its file's name") {
    const Plugin &p = plugin();
    CHECK(p.descriptor->struct_size == sizeof(vtc_plugin_descriptor));
    CHECK(p.descriptor->abi_major == VTC_PLUGIN_ABI_MAJOR);
    CHECK(p.descriptor->abi_minor <= VTC_PLUGIN_ABI_MINOR);
    CHECK(std::string(p.descriptor->name) == "skeleton");
    CHECK(std::string(p.descriptor->license) == "MIT");
    CHECK(std::string(p.descriptor->version).size() > 0);
    CHECK(p.info->struct_size == sizeof(vtc_encoder_info));
    CHECK(std::string(p.info->id) == "skeleton-h264");
    CHECK(p.info->codec == VTC_CODEC_H264);
    CHECK(p.info->rank == VTC_RANK_MARGINAL);
    CHECK(p.vt->struct_size == sizeof(vtc_encoder_vtbl));
}

TEST_CASE("query_caps answers without an instance and writes no more than the host's size") {
    const Plugin &p = plugin();
    TestHost host;
    char reason[128] = {};

    CHECK(p.vt->query_caps(&host.host, nullptr, reason, sizeof reason) == VTC_ERR_INVALID_ARG);
    CHECK(std::strlen(reason) > 0);
    vtc_encoder_caps small{};
    small.struct_size = 8;
    CHECK(p.vt->query_caps(&host.host, &small, reason, sizeof reason) == VTC_ERR_INVALID_ARG);

    // A newer host's bigger struct: the plugin fills its own part and says so.
    struct Bigger {
        vtc_encoder_caps caps;
        uint64_t appended;
    } bigger{};
    bigger.caps.struct_size = sizeof bigger;
    bigger.appended = 0x5a5a5a5a5a5a5a5aull;
    REQUIRE(p.vt->query_caps(&host.host, &bigger.caps, reason, sizeof reason) == VTC_OK);
    CHECK(bigger.caps.struct_size == sizeof(vtc_encoder_caps));
    CHECK(bigger.appended == 0x5a5a5a5a5a5a5a5aull);

    const vtc_encoder_caps &caps = bigger.caps;
    CHECK(caps.codec == VTC_CODEC_H264);
    CHECK(caps.pixel_formats == VTC_BIT(VTC_PIXEL_FORMAT_I420));
    CHECK(caps.memory_types == VTC_BIT(VTC_MEMORY_SYSTEM));
    CHECK(caps.rate_control_modes == VTC_BIT(VTC_RATE_CONTROL_CQP));
    CHECK(caps.profiles == VTC_BIT(VTC_PROFILE_H264_BASELINE));
    CHECK(caps.bit_depths == VTC_BIT_DEPTH_8);
    CHECK(caps.size_alignment == 16);
    CHECK(caps.min_width == 16);
    CHECK(caps.max_width >= caps.min_width);
    CHECK((caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) == 0);

    // No host at all (a tool outside vtranscode) is fine for a software encoder.
    vtc_encoder_caps plain{};
    plain.struct_size = sizeof plain;
    CHECK(p.vt->query_caps(nullptr, &plain, nullptr, 0) == VTC_OK);
}

TEST_CASE("create refuses impossible configs as INVALID_ARG and unsupported ones as UNSUPPORTED") {
    const Plugin &p = plugin();
    TestHost host;
    const vtc_encoder_config good = make_config(64, 48);
    char reason[128] = {};
    vtc_encoder *enc = reinterpret_cast<vtc_encoder *>(&host); // must be reset to NULL

    CHECK(p.vt->create(nullptr, &good, &enc, reason, sizeof reason) == VTC_ERR_INVALID_ARG);
    CHECK(enc == nullptr);
    CHECK(p.vt->create(&host.host, nullptr, &enc, reason, sizeof reason) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->create(&host.host, &good, nullptr, reason, sizeof reason) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->create(&host.host, &good, &enc, nullptr, 0) == VTC_OK);
    p.vt->destroy(enc);

    struct Case {
        const char *what;
        void (*change)(vtc_encoder_config &);
        vtc_status expected;
        const char *reason_mentions;
    };
    static const char *const unknown_option[] = {"tune=film", nullptr};
    static const char *const malformed_option[] = {"tune", nullptr};
    const Case cases[] = {
        {"short struct", [](vtc_encoder_config &c) { c.struct_size = 16; }, VTC_ERR_INVALID_ARG,
         "struct_size"},
        {"other codec", [](vtc_encoder_config &c) { c.codec = VTC_CODEC_AV1; }, VTC_ERR_INVALID_ARG,
         "codec"},
        {"zero width", [](vtc_encoder_config &c) { c.width = 0; }, VTC_ERR_INVALID_ARG, "width"},
        {"zero time base",
         [](vtc_encoder_config &c) {
             c.time_base = {0, 1};
         },
         VTC_ERR_INVALID_ARG, "time_base"},
        {"unset pixel format", [](vtc_encoder_config &c) { c.pixel_format = 0; },
         VTC_ERR_INVALID_ARG, "pixel format"},
        {"NV12", [](vtc_encoder_config &c) { c.pixel_format = VTC_PIXEL_FORMAT_NV12; },
         VTC_ERR_UNSUPPORTED, "I420"},
        {"CUDA memory", [](vtc_encoder_config &c) { c.memory_type = VTC_MEMORY_CUDA; },
         VTC_ERR_UNSUPPORTED, "memory"},
        {"unset rate control", [](vtc_encoder_config &c) { c.rate_control = 0; },
         VTC_ERR_INVALID_ARG, "rate control"},
        {"CRF", [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_CRF; },
         VTC_ERR_UNSUPPORTED, "CQP"},
        {"QP 80", [](vtc_encoder_config &c) { c.quality = 80; }, VTC_ERR_INVALID_ARG, "quality"},
        {"High profile", [](vtc_encoder_config &c) { c.profile = VTC_PROFILE_H264_HIGH; },
         VTC_ERR_UNSUPPORTED, "profile"},
        {"HEVC profile", [](vtc_encoder_config &c) { c.profile = VTC_PROFILE_HEVC_MAIN; },
         VTC_ERR_INVALID_ARG, "profile"},
        {"width 40", [](vtc_encoder_config &c) { c.width = 40; }, VTC_ERR_UNSUPPORTED, "multiples"},
        {"too wide", [](vtc_encoder_config &c) { c.width = 8192; }, VTC_ERR_UNSUPPORTED,
         "multiples"},
        {"colour code 300", [](vtc_encoder_config &c) { c.color_primaries = 300; },
         VTC_ERR_INVALID_ARG, "colour"},
        {"preset", [](vtc_encoder_config &c) { c.preset = "medium"; }, VTC_ERR_INVALID_ARG,
         "medium"},
        {"unknown option", [](vtc_encoder_config &c) { c.options = unknown_option; },
         VTC_ERR_INVALID_ARG, "\"tune\""},
        {"malformed option", [](vtc_encoder_config &c) { c.options = malformed_option; },
         VTC_ERR_INVALID_ARG, "key=value"},
    };
    for (const Case &c : cases) {
        CAPTURE(c.what);
        vtc_encoder_config config = good;
        c.change(config);
        const Created result = try_create(host, config);
        CHECK(result.status == c.expected);
        CHECK_MESSAGE(result.reason.find(c.reason_mentions) != std::string::npos, result.reason);
    }
}

TEST_CASE("an empty encoder drains to END_OF_STREAM and refuses frames afterwards") {
    const Plugin &p = plugin();
    TestHost host;
    vtc_encoder *enc = create(host, make_config(32, 32));
    vtc_packet packet{};
    packet.struct_size = sizeof packet;

    CHECK(std::string(p.vt->last_error(enc)).empty());
    CHECK(p.vt->receive_packet(enc, &packet) == VTC_NEED_INPUT);
    CHECK(p.vt->drain(enc) == VTC_OK);
    CHECK(p.vt->drain(enc) == VTC_OK); // harmless twice
    CHECK(p.vt->receive_packet(enc, &packet) == VTC_END_OF_STREAM);

    vtc::test::SyntheticFrame source(VTC_PIXEL_FORMAT_I420, 32, 32);
    CHECK(p.vt->send_frame(enc, &source.fill(0, 0)) == VTC_ERR_INVALID_STATE);
    CHECK(std::string(p.vt->last_error(enc)).find("drain") != std::string::npos);
    p.vt->destroy(enc);
}

TEST_CASE("NULL instances and arguments give INVALID_ARG and never crash") {
    const Plugin &p = plugin();
    TestHost host;
    vtc_encoder *enc = create(host, make_config(32, 32));
    vtc_packet packet{};
    packet.struct_size = sizeof packet;
    const uint8_t *data = nullptr;
    uint64_t size = 0;

    CHECK(p.vt->send_frame(nullptr, nullptr) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->receive_packet(nullptr, &packet) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->drain(nullptr) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->get_extradata(nullptr, &data, &size) == VTC_ERR_INVALID_ARG);
    REQUIRE(p.vt->last_error(nullptr) != nullptr);
    p.vt->destroy(nullptr);

    CHECK(p.vt->send_frame(enc, nullptr) == VTC_ERR_INVALID_ARG);
    CHECK(std::string(p.vt->last_error(enc)).size() > 0);
    CHECK(p.vt->receive_packet(enc, nullptr) == VTC_ERR_INVALID_ARG);
    vtc_packet short_packet{};
    short_packet.struct_size = 4;
    CHECK(p.vt->receive_packet(enc, &short_packet) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->get_extradata(enc, nullptr, &size) == VTC_ERR_INVALID_ARG);
    CHECK(p.vt->get_extradata(enc, &data, nullptr) == VTC_ERR_INVALID_ARG);
    p.vt->destroy(enc);
}

TEST_CASE("frames that do not match the config are refused with a reason") {
    const Plugin &p = plugin();
    TestHost host;
    vtc_encoder *enc = create(host, make_config(32, 32));
    vtc::test::SyntheticFrame source(VTC_PIXEL_FORMAT_I420, 32, 32);
    vtc::test::SyntheticFrame wrong_size(VTC_PIXEL_FORMAT_I420, 48, 32);

    CHECK(p.vt->send_frame(enc, &wrong_size.fill(0, 0)) == VTC_ERR_INVALID_ARG);
    vtc_frame no_plane = source.fill(0, 0);
    no_plane.planes[2] = nullptr;
    CHECK(p.vt->send_frame(enc, &no_plane) == VTC_ERR_INVALID_ARG);
    vtc_frame short_stride = source.fill(0, 0);
    short_stride.strides[0] = 8;
    CHECK(p.vt->send_frame(enc, &short_stride) == VTC_ERR_INVALID_ARG);

    std::vector<vtc::test::EncodedPacket> packets;
    REQUIRE(p.vt->send_frame(enc, &source.fill(0, 100)) == VTC_OK);
    REQUIRE(collect(enc, packets) == VTC_NEED_INPUT);
    CHECK(p.vt->send_frame(enc, &source.fill(1, 100)) == VTC_ERR_INVALID_ARG); // same pts
    CHECK(std::string(p.vt->last_error(enc)).find("pts") != std::string::npos);
    // INVALID_ARG leaves the instance usable.
    CHECK(p.vt->send_frame(enc, &source.fill(1, 200)) == VTC_OK);
    p.vt->destroy(enc);
}

TEST_CASE("an uncollected packet makes send_frame answer OUTPUT_PENDING until it is taken") {
    const Plugin &p = plugin();
    TestHost host;
    vtc_encoder *enc = create(host, make_config(32, 32));
    vtc::test::SyntheticFrame source(VTC_PIXEL_FORMAT_I420, 32, 32);
    std::vector<vtc::test::EncodedPacket> packets;

    REQUIRE(p.vt->send_frame(enc, &source.fill(0, 0)) == VTC_OK);
    CHECK(p.vt->send_frame(enc, &source.fill(1, 1)) == VTC_OUTPUT_PENDING);
    CHECK(collect(enc, packets) == VTC_NEED_INPUT);
    CHECK(p.vt->send_frame(enc, &source.fill(1, 1)) == VTC_OK);
    CHECK(collect(enc, packets) == VTC_NEED_INPUT);
    CHECK(packets.size() == 2);
    p.vt->destroy(enc);
}

TEST_CASE("libavcodec decodes the stream, keyframes sit exactly on the forced frames") {
    const Plugin &p = plugin();
    TestHost host;
    const uint32_t width = 64, height = 48;
    vtc_encoder *enc = create(host, make_config(width, height));
    const std::vector<uint8_t> extradata = extradata_of(enc);
    const std::set<int> forced = {9, 10, 23};
    const std::vector<vtc::test::EncodedPacket> packets = encode(enc, width, height, 30, forced);
    p.vt->destroy(enc);

    const std::set<int> expected = {0, 9, 10, 23};
    REQUIRE(packets.size() == 30);
    std::set<int> flagged;
    for (size_t i = 0; i < packets.size(); ++i) {
        CHECK(packets[i].pts == static_cast<int64_t>(i) * 3000);
        CHECK(packets[i].dts == packets[i].pts);
        if (packets[i].is_keyframe) {
            flagged.insert(static_cast<int>(i));
            // SPS (NAL type 7) opens every keyframe packet.
            REQUIRE(packets[i].data.size() > 5);
            CHECK(packets[i].data[4] == 0x67);
        }
    }
    CHECK(flagged == expected);

    // In-band parameter sets alone, then with the extradata as MP4 would carry it.
    for (const bool with_extradata : {false, true}) {
        CAPTURE(with_extradata);
        const vtc::test::DecodeReport report = vtc::test::decode_stream(
            VTC_CODEC_H264, with_extradata ? extradata : std::vector<uint8_t>{}, packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == 30);
        CHECK(keyframes_of(report) == expected);
        for (const vtc::test::DecodedFrame &frame : report.frames) {
            CHECK(frame.picture_type == 'I');
            CHECK(frame.width == static_cast<int>(width));
            CHECK(frame.height == static_cast<int>(height));
            CHECK(frame.bit_depth == 8);
        }
        CHECK(report.profile == FF_PROFILE_H264_CONSTRAINED_BASELINE);
        CHECK(report.level == 10); // 12 macroblocks fit level 1.0
    }
}

TEST_CASE("max_keyframe_interval adds keyframes, counted from the last forced one") {
    TestHost host;
    vtc_encoder_config config = make_config(32, 32);
    config.max_keyframe_interval = 8;
    vtc_encoder *enc = create(host, config);
    const std::vector<vtc::test::EncodedPacket> packets = encode(enc, 32, 32, 20, {5});
    plugin().vt->destroy(enc);

    const vtc::test::DecodeReport report = vtc::test::decode_stream(VTC_CODEC_H264, {}, packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    REQUIRE(report.frames.size() == 20);
    CHECK(keyframes_of(report) == std::set<int>{0, 5, 13});
}

TEST_CASE("a 1280x720 stream picks level 3.1 and decodes") {
    TestHost host;
    vtc_encoder *enc = create(host, make_config(1280, 720));
    const std::vector<vtc::test::EncodedPacket> packets = encode(enc, 1280, 720, 3, {2});
    plugin().vt->destroy(enc);

    const vtc::test::DecodeReport report = vtc::test::decode_stream(VTC_CODEC_H264, {}, packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    REQUIRE(report.frames.size() == 3);
    CHECK(keyframes_of(report) == std::set<int>{0, 2});
    CHECK(report.level == 31);
}

TEST_CASE("samples that look like start codes are escaped and decode back bit-exactly") {
    const Plugin &p = plugin();
    TestHost host;
    const uint32_t width = 32, height = 32;
    vtc_encoder *enc = create(host, make_config(width, height));

    // Zeros followed by 0..3 everywhere: without emulation prevention these
    // bytes would end the NAL unit early.
    std::vector<uint8_t> y(width * height), u(width * height / 4), v(width * height / 4);
    for (size_t i = 0; i < y.size(); ++i) {
        y[i] = static_cast<uint8_t>(i % 3 == 2 ? i % 4 : 0);
    }
    for (size_t i = 0; i < u.size(); ++i) {
        u[i] = static_cast<uint8_t>(i % 4 == 3 ? 1 : 0);
        v[i] = static_cast<uint8_t>(200 + i % 50);
    }
    vtc_frame frame{};
    frame.struct_size = sizeof frame;
    frame.pixel_format = VTC_PIXEL_FORMAT_I420;
    frame.memory_type = VTC_MEMORY_SYSTEM;
    frame.width = width;
    frame.height = height;
    frame.planes[0] = y.data();
    frame.planes[1] = u.data();
    frame.planes[2] = v.data();
    frame.strides[0] = static_cast<int32_t>(width);
    frame.strides[1] = frame.strides[2] = static_cast<int32_t>(width / 2);
    REQUIRE(p.vt->send_frame(enc, &frame) == VTC_OK);
    vtc_packet packet{};
    packet.struct_size = sizeof packet;
    REQUIRE(p.vt->receive_packet(enc, &packet) == VTC_OK);
    const std::vector<uint8_t> bitstream(packet.data, packet.data + packet.size);
    p.vt->destroy(enc);

    // The same picture stored bottom-up (negative strides) gives the same bytes.
    auto flipped = [](const std::vector<uint8_t> &plane, uint32_t row_bytes) {
        std::vector<uint8_t> out(plane.size());
        const size_t rows = plane.size() / row_bytes;
        for (size_t row = 0; row < rows; ++row) {
            std::memcpy(&out[(rows - 1 - row) * row_bytes], &plane[row * row_bytes], row_bytes);
        }
        return out;
    };
    const std::vector<uint8_t> y_up = flipped(y, width), u_up = flipped(u, width / 2),
                               v_up = flipped(v, width / 2);
    vtc_frame bottom_up = frame;
    bottom_up.planes[0] = y_up.data() + (height - 1) * width;
    bottom_up.planes[1] = u_up.data() + (height / 2 - 1) * (width / 2);
    bottom_up.planes[2] = v_up.data() + (height / 2 - 1) * (width / 2);
    for (int i = 0; i < 3; ++i) {
        bottom_up.strides[i] = -frame.strides[i];
    }
    enc = create(host, make_config(width, height));
    REQUIRE(p.vt->send_frame(enc, &bottom_up) == VTC_OK);
    vtc_packet again{};
    again.struct_size = sizeof again;
    REQUIRE(p.vt->receive_packet(enc, &again) == VTC_OK);
    CHECK(std::vector<uint8_t>(again.data, again.data + again.size) == bitstream);
    p.vt->destroy(enc);

    // Decode it here, because the shared helper does not return pixels.
    const AVCodec *decoder = avcodec_find_decoder(AV_CODEC_ID_H264);
    REQUIRE(decoder != nullptr);
    AVCodecContext *ctx = avcodec_alloc_context3(decoder);
    REQUIRE(ctx != nullptr);
    ctx->err_recognition = AV_EF_EXPLODE | AV_EF_BITSTREAM;
    REQUIRE(avcodec_open2(ctx, decoder, nullptr) == 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *out = av_frame_alloc();
    REQUIRE(av_new_packet(pkt, static_cast<int>(bitstream.size())) == 0);
    std::memcpy(pkt->data, bitstream.data(), bitstream.size());
    REQUIRE(avcodec_send_packet(ctx, pkt) == 0);
    REQUIRE(avcodec_send_packet(ctx, nullptr) == 0);
    REQUIRE(avcodec_receive_frame(ctx, out) == 0);
    REQUIRE(out->width == static_cast<int>(width));
    REQUIRE(out->height == static_cast<int>(height));
    bool identical = true;
    for (uint32_t row = 0; row < height; ++row) {
        identical &=
            std::memcmp(out->data[0] + row * out->linesize[0], &y[row * width], width) == 0;
    }
    for (uint32_t row = 0; row < height / 2; ++row) {
        identical &=
            std::memcmp(out->data[1] + row * out->linesize[1], &u[row * width / 2], width / 2) == 0;
        identical &=
            std::memcmp(out->data[2] + row * out->linesize[2], &v[row * width / 2], width / 2) == 0;
    }
    CHECK(identical);
    av_frame_free(&out);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
}

TEST_CASE("the encoder logs through the host and stops when the host cancels") {
    const Plugin &p = plugin();
    TestHost host;
    vtc_encoder_config config = make_config(32, 32);
    config.quality = 30;
    vtc_encoder *enc = create(host, config);
    REQUIRE(host.lines.size() == 1);
    CHECK(host.lines[0].find("quality value is ignored") != std::string::npos);

    vtc::test::SyntheticFrame source(VTC_PIXEL_FORMAT_I420, 32, 32);
    host.cancelled = 1;
    CHECK(p.vt->send_frame(enc, &source.fill(0, 0)) == VTC_ERR_CANCELLED);
    host.cancelled = 0;
    CHECK(p.vt->send_frame(enc, &source.fill(1, 1)) == VTC_ERR_INVALID_STATE);
    p.vt->destroy(enc);

    // A host that keeps only errors gets no info lines.
    TestHost quiet;
    quiet.host.log_level = VTC_LOG_ERROR;
    p.vt->destroy(create(quiet, config));
    CHECK(quiet.lines.empty());
}
