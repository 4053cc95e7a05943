// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The plugin SDK's validation helpers (vtc_plugin_sdk.hpp): validate_config(),
// parse_options() and check_frame_planes(), each rejection path with its
// status and a message naming the field, and the create() trampoline running
// validate_config() before the encoder class is constructed.
#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

vtc_encoder_config valid_config() {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = VTC_CODEC_H264;
    config.width = 64;
    config.height = 48;
    config.pixel_format = VTC_PIXEL_FORMAT_I420;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 90000};
    config.frame_rate = {25, 1};
    config.rate_control = VTC_RATE_CONTROL_CRF;
    return config;
}

struct Thrown {
    bool thrown = false;
    vtc_status status = VTC_OK;
    std::string message;
};

template <class Fn>
Thrown thrown_by(Fn &&fn) {
    Thrown out;
    try {
        fn();
    } catch (const vtc::sdk::Error &e) {
        out.thrown = true;
        out.status = e.status();
        out.message = e.what();
    }
    return out;
}

// Every rejection is VTC_ERR_INVALID_ARG with one line that names `field`.
void check_rejected(const Thrown &result, const std::string &field) {
    CAPTURE(result.message);
    REQUIRE(result.thrown);
    CHECK(result.status == VTC_ERR_INVALID_ARG);
    CHECK(result.message.find(field) != std::string::npos);
    CHECK(result.message.find('\n') == std::string::npos);
}

} // namespace

TEST_CASE("validate_config accepts every value the ABI allows") {
    const vtc_encoder_config base = valid_config();
    CHECK_NOTHROW(vtc::sdk::validate_config(base));

    std::vector<vtc_encoder_config> configs;
    auto add = [&](auto edit) {
        vtc_encoder_config config = base;
        edit(config);
        configs.push_back(config);
    };
    add([](vtc_encoder_config &c) { c.frame_rate = {0, 1}; }); // variable frame rate
    add([](vtc_encoder_config &c) { c.frame_rate = {30000, 1001}; });
    add([](vtc_encoder_config &c) { c.sample_aspect_ratio = {0, 1}; }); // unknown
    add([](vtc_encoder_config &c) { c.sample_aspect_ratio = {64, 45}; });
    add([](vtc_encoder_config &c) { c.max_b_frames = VTC_B_FRAMES_DEFAULT; });
    add([](vtc_encoder_config &c) { c.max_b_frames = 0; });
    add([](vtc_encoder_config &c) { c.max_b_frames = 1000; }); // the encoder's limit, not the ABI's
    add([](vtc_encoder_config &c) { c.quality = 1000; });      // likewise
    add([](vtc_encoder_config &c) {
        c.color_primaries = 0;
        c.color_transfer = 255;
        c.color_matrix = 9;
        c.color_range = 2;
    });
    add([](vtc_encoder_config &c) { c.profile = VTC_PROFILE_H264_HIGH10; });
    add([](vtc_encoder_config &c) {
        c.codec = VTC_CODEC_HEVC;
        c.profile = VTC_PROFILE_HEVC_MAIN10;
    });
    add([](vtc_encoder_config &c) {
        c.codec = VTC_CODEC_AV1;
        c.profile = VTC_PROFILE_AV1_MAIN;
    });
    add([](vtc_encoder_config &c) { c.memory_type = VTC_MEMORY_CUDA; });
    add([](vtc_encoder_config &c) { c.pixel_format = VTC_PIXEL_FORMAT_P010; });
    add([](vtc_encoder_config &c) {
        c.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
        c.max_bitrate_kbps = 1000;
    });
    add([](vtc_encoder_config &c) {
        c.rate_control = VTC_RATE_CONTROL_VBR;
        c.bitrate_kbps = 1000;
    });
    add([](vtc_encoder_config &c) {
        c.rate_control = VTC_RATE_CONTROL_VBR;
        c.bitrate_kbps = 1000;
        c.max_bitrate_kbps = 1000;
    });
    add([](vtc_encoder_config &c) {
        c.rate_control = VTC_RATE_CONTROL_CBR;
        c.bitrate_kbps = 1000;
    });
    static const char *const options[] = {"keyint=30", "tune=", "x264-params=a=1:b=2", nullptr};
    add([](vtc_encoder_config &c) { c.options = options; });
    for (size_t i = 0; i < configs.size(); ++i) {
        CAPTURE(i);
        CHECK_NOTHROW(vtc::sdk::validate_config(configs[i]));
    }
}

TEST_CASE("validate_config rejects each value that can never be valid, naming it") {
    static const char *const no_equals[] = {"keyint=30", "bframes", nullptr};
    static const char *const empty_key[] = {"=5", nullptr};
    struct Case {
        const char *what;
        void (*edit)(vtc_encoder_config &);
        const char *field; // the message must contain it
    };
    const Case cases[] = {
        {"codec UNSET", [](vtc_encoder_config &c) { c.codec = VTC_CODEC_UNSET; }, "codec"},
        {"codec 99", [](vtc_encoder_config &c) { c.codec = 99; }, "codec 99"},
        {"codec -1", [](vtc_encoder_config &c) { c.codec = -1; }, "codec -1"},
        {"width 0", [](vtc_encoder_config &c) { c.width = 0; }, "width"},
        {"height 0", [](vtc_encoder_config &c) { c.height = 0; }, "height"},
        {"time_base 0/1",
         [](vtc_encoder_config &c) {
             c.time_base = {0, 1};
         },
         "time_base 0/1"},
        {"time_base 1/0",
         [](vtc_encoder_config &c) {
             c.time_base = {1, 0};
         },
         "time_base 1/0"},
        {"time_base -1/25",
         [](vtc_encoder_config &c) {
             c.time_base = {-1, 25};
         },
         "time_base"},
        {"pixel_format UNSET",
         [](vtc_encoder_config &c) { c.pixel_format = VTC_PIXEL_FORMAT_UNSET; }, "pixel_format"},
        {"pixel_format 99", [](vtc_encoder_config &c) { c.pixel_format = 99; }, "pixel_format 99"},
        {"pixel_format -3", [](vtc_encoder_config &c) { c.pixel_format = -3; }, "pixel_format -3"},
        {"memory_type UNSET", [](vtc_encoder_config &c) { c.memory_type = VTC_MEMORY_UNSET; },
         "memory_type"},
        {"memory_type 99", [](vtc_encoder_config &c) { c.memory_type = 99; }, "memory_type 99"},
        {"an HEVC profile for H.264",
         [](vtc_encoder_config &c) { c.profile = VTC_PROFILE_HEVC_MAIN; }, "profile"},
        {"an H.264 profile for AV1",
         [](vtc_encoder_config &c) {
             c.codec = VTC_CODEC_AV1;
             c.profile = VTC_PROFILE_H264_MAIN;
         },
         "profile"},
        {"an AV1 profile for HEVC",
         [](vtc_encoder_config &c) {
             c.codec = VTC_CODEC_HEVC;
             c.profile = VTC_PROFILE_AV1_MAIN;
         },
         "profile"},
        {"profile 99", [](vtc_encoder_config &c) { c.profile = 99; }, "profile 99"},
        {"rate_control UNSET",
         [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_UNSET; }, "rate_control"},
        {"rate_control 99", [](vtc_encoder_config &c) { c.rate_control = 99; }, "rate_control 99"},
        {"capped CRF without a cap",
         [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_CAPPED_CRF; },
         "max_bitrate_kbps"},
        {"VBR without a bitrate",
         [](vtc_encoder_config &c) {
             c.rate_control = VTC_RATE_CONTROL_VBR;
             c.max_bitrate_kbps = 1000;
         },
         "bitrate_kbps"},
        {"CBR without a bitrate",
         [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_CBR; }, "bitrate_kbps"},
        {"VBR capped below its target",
         [](vtc_encoder_config &c) {
             c.rate_control = VTC_RATE_CONTROL_VBR;
             c.bitrate_kbps = 1000;
             c.max_bitrate_kbps = 999;
         },
         "max_bitrate_kbps"},
        {"max_b_frames -2", [](vtc_encoder_config &c) { c.max_b_frames = -2; }, "max_b_frames -2"},
        {"frame_rate -25/1",
         [](vtc_encoder_config &c) {
             c.frame_rate = {-25, 1};
         },
         "frame_rate -25/1"},
        {"frame_rate 25/0",
         [](vtc_encoder_config &c) {
             c.frame_rate = {25, 0};
         },
         "frame_rate 25/0"},
        {"frame_rate 25/-1",
         [](vtc_encoder_config &c) {
             c.frame_rate = {25, -1};
         },
         "frame_rate 25/-1"},
        {"sample_aspect_ratio -1/1",
         [](vtc_encoder_config &c) {
             c.sample_aspect_ratio = {-1, 1};
         },
         "sample_aspect_ratio"},
        {"sample_aspect_ratio 1/-1",
         [](vtc_encoder_config &c) {
             c.sample_aspect_ratio = {1, -1};
         },
         "sample_aspect_ratio"},
        {"sample_aspect_ratio 4/0",
         [](vtc_encoder_config &c) {
             c.sample_aspect_ratio = {4, 0};
         },
         "sample_aspect_ratio"},
        {"color_primaries 256", [](vtc_encoder_config &c) { c.color_primaries = 256; },
         "color_primaries 256"},
        {"color_primaries -1", [](vtc_encoder_config &c) { c.color_primaries = -1; },
         "color_primaries -1"},
        {"color_transfer 256", [](vtc_encoder_config &c) { c.color_transfer = 256; },
         "color_transfer 256"},
        {"color_matrix 1000", [](vtc_encoder_config &c) { c.color_matrix = 1000; },
         "color_matrix 1000"},
        {"color_range 3", [](vtc_encoder_config &c) { c.color_range = 3; }, "color_range 3"},
        {"color_range -1", [](vtc_encoder_config &c) { c.color_range = -1; }, "color_range -1"},
        {"an option without '='", [](vtc_encoder_config &c) { c.options = no_equals; },
         "'bframes'"},
        {"an option with an empty key", [](vtc_encoder_config &c) { c.options = empty_key; },
         "'=5'"},
    };
    for (const Case &c : cases) {
        CAPTURE(c.what);
        vtc_encoder_config config = valid_config();
        c.edit(config);
        check_rejected(thrown_by([&] { vtc::sdk::validate_config(config); }), c.field);
    }
}

TEST_CASE("parse_options splits key=value entries in order and owns them") {
    CHECK(vtc::sdk::parse_options(nullptr).empty());
    const char *const none[] = {nullptr};
    CHECK(vtc::sdk::parse_options(none).empty());

    char first[] = "keyint=30";
    const char *const options[] = {first, "tune=", "x264-params=a=1:b=2", "keyint=60", nullptr};
    const std::vector<vtc::sdk::Option> parsed = vtc::sdk::parse_options(options);
    std::memset(first, 'x', std::strlen(first)); // the result must not point into the config
    REQUIRE(parsed.size() == 4);
    CHECK(parsed[0].key == "keyint");
    CHECK(parsed[0].value == "30");
    CHECK(parsed[1].key == "tune");
    CHECK(parsed[1].value.empty());
    CHECK(parsed[2].key == "x264-params"); // split at the first '=' only
    CHECK(parsed[2].value == "a=1:b=2");
    CHECK(parsed[3].key == "keyint"); // duplicates stay, in order
    CHECK(parsed[3].value == "60");

    for (const char *bad : {"bframes", "=5", "=", ""}) {
        CAPTURE(bad);
        const char *const list[] = {"keyint=30", bad, nullptr};
        const Thrown result = thrown_by([&] { (void)vtc::sdk::parse_options(list); });
        check_rejected(result, "option '" + std::string(bad) + "'");
        CHECK(result.message.find("key=value") != std::string::npos);
    }
}

namespace {

// A frame of `format` at `width`x16 with rows exactly as long as the format
// needs (`extra` bytes more), pointing into `pixels`.
vtc_frame frame_for(int32_t format, uint32_t width, std::vector<uint8_t> &pixels,
                    int32_t extra = 0) {
    const int32_t sample =
        format == VTC_PIXEL_FORMAT_I420_10 || format == VTC_PIXEL_FORMAT_P010 ? 2 : 1;
    const bool interleaved = format == VTC_PIXEL_FORMAT_NV12 || format == VTC_PIXEL_FORMAT_P010;
    const auto luma = static_cast<int32_t>(width) * sample;
    const auto chroma = static_cast<int32_t>((width + 1) / 2) * sample * (interleaved ? 2 : 1);
    pixels.assign(static_cast<size_t>(luma + extra) * 16 * 3, 0);
    vtc_frame frame{};
    frame.struct_size = sizeof frame;
    frame.pixel_format = format;
    frame.width = width;
    frame.height = 16;
    frame.memory_type = VTC_MEMORY_SYSTEM;
    frame.planes[0] = pixels.data();
    frame.strides[0] = luma + extra;
    frame.planes[1] = pixels.data() + pixels.size() / 3;
    frame.strides[1] = chroma + extra;
    if (!interleaved) {
        frame.planes[2] = pixels.data() + pixels.size() / 3 * 2;
        frame.strides[2] = chroma + extra;
    }
    return frame;
}

vtc_encoder_config config_for(const vtc_frame &frame) {
    vtc_encoder_config config = valid_config();
    config.pixel_format = frame.pixel_format;
    config.width = frame.width;
    config.height = frame.height;
    return config;
}

} // namespace

TEST_CASE("check_frame_planes checks each plane of each pixel format") {
    struct Format {
        int32_t format;
        int planes;
    };
    const Format formats[] = {{VTC_PIXEL_FORMAT_I420, 3},
                              {VTC_PIXEL_FORMAT_NV12, 2},
                              {VTC_PIXEL_FORMAT_I420_10, 3},
                              {VTC_PIXEL_FORMAT_P010, 2}};
    for (const Format &f : formats) {
        // Odd widths too: a 4:2:0 chroma row holds ceil(width / 2) samples.
        for (const uint32_t width : {64u, 33u}) {
            CAPTURE(f.format);
            CAPTURE(width);
            std::vector<uint8_t> pixels;
            const vtc_frame good = frame_for(f.format, width, pixels);
            const vtc_encoder_config config = config_for(good);
            CHECK_NOTHROW(vtc::sdk::check_frame_planes(good, config));
            // Planes beyond the format's are not looked at.
            vtc_frame extra_planes = good;
            extra_planes.planes[3] = pixels.data();
            extra_planes.strides[3] = -7;
            CHECK_NOTHROW(vtc::sdk::check_frame_planes(extra_planes, config));

            for (int i = 0; i < f.planes; ++i) {
                CAPTURE(i);
                const std::string named = "plane " + std::to_string(i);
                vtc_frame frame = good;
                frame.planes[i] = nullptr;
                check_rejected(thrown_by([&] { vtc::sdk::check_frame_planes(frame, config); }),
                               named);
                frame = good;
                frame.strides[i] -= 1; // one byte short of a row
                check_rejected(thrown_by([&] { vtc::sdk::check_frame_planes(frame, config); }),
                               named);
                frame = good;
                frame.strides[i] = 0;
                check_rejected(thrown_by([&] { vtc::sdk::check_frame_planes(frame, config); }),
                               named);

                // A bottom-up plane: refused by default, taken with StrideSign::any
                // as long as its magnitude holds a row.
                frame = good;
                frame.strides[i] = -good.strides[i];
                check_rejected(thrown_by([&] { vtc::sdk::check_frame_planes(frame, config); }),
                               named);
                CHECK_NOTHROW(
                    vtc::sdk::check_frame_planes(frame, config, vtc::sdk::StrideSign::any));
                frame.strides[i] = -good.strides[i] + 1;
                check_rejected(thrown_by([&] {
                                   vtc::sdk::check_frame_planes(frame, config,
                                                                vtc::sdk::StrideSign::any);
                               }),
                               named);
            }
        }
    }
}

TEST_CASE("check_frame_planes leaves hardware frames alone and refuses unknown formats") {
    std::vector<uint8_t> pixels;
    const vtc_frame good = frame_for(VTC_PIXEL_FORMAT_I420, 64, pixels);
    vtc_encoder_config config = config_for(good);

    vtc_frame hardware{};
    hardware.struct_size = sizeof hardware;
    hardware.hw_handle = 42;
    config.memory_type = VTC_MEMORY_CUDA;
    CHECK_NOTHROW(vtc::sdk::check_frame_planes(hardware, config));

    config.memory_type = VTC_MEMORY_SYSTEM;
    config.pixel_format = 99;
    check_rejected(thrown_by([&] { vtc::sdk::check_frame_planes(good, config); }),
                   "pixel_format 99");
}

namespace {

// The smallest encoder class the adapter accepts; it counts its constructions.
class ProbeEncoder {
public:
    static constexpr const char *id = "probe-h264";
    static constexpr const char *description = "SDK test encoder";
    static constexpr int32_t codec = VTC_CODEC_H264;
    static constexpr int32_t rank = VTC_RANK_MARGINAL;
    static inline int constructed = 0;

    static void query_caps(const vtc_host &, vtc_encoder_caps &) {}
    ProbeEncoder(const vtc_host &, const vtc_encoder_config &) { ++constructed; }
    std::span<const uint8_t> extradata() { return {}; }
    vtc_status send_frame(const vtc_frame &) { return VTC_OK; }
    void drain() {}
    vtc_status receive_packet(vtc_packet &) { return VTC_NEED_INPUT; }
};

struct Created {
    vtc_status status = VTC_OK;
    vtc_encoder *encoder = nullptr;
    std::string error;
};

Created create(const vtc_encoder_config &config) {
    vtc_host host{};
    host.struct_size = sizeof host;
    host.log_level = VTC_LOG_ERROR;
    const vtc_encoder_vtbl &vt = *vtc::sdk::encoder_info<ProbeEncoder>.vtbl;
    Created out;
    char error[256] = "";
    vtc_encoder *sentinel = reinterpret_cast<vtc_encoder *>(&out);
    out.encoder = sentinel;
    out.status = vt.create(&host, &config, &out.encoder, error, sizeof error);
    out.error = error;
    if (out.encoder != nullptr && out.encoder != sentinel) {
        vt.destroy(out.encoder);
    }
    return out;
}

} // namespace

TEST_CASE("the create trampoline validates the config before the class exists") {
    ProbeEncoder::constructed = 0;
    const Created ok = create(valid_config());
    CHECK_MESSAGE(ok.status == VTC_OK, ok.error);
    CHECK(ok.encoder != nullptr);
    CHECK(ProbeEncoder::constructed == 1);

    struct Case {
        void (*edit)(vtc_encoder_config &);
        const char *field;
    };
    static const char *const malformed[] = {"bframes", nullptr};
    const Case cases[] = {
        {[](vtc_encoder_config &c) { c.width = 0; }, "width"},
        {[](vtc_encoder_config &c) {
             c.time_base = {1, 0};
         },
         "time_base"},
        {[](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_UNSET; }, "rate_control"},
        {[](vtc_encoder_config &c) { c.profile = VTC_PROFILE_HEVC_MAIN; }, "profile"},
        {[](vtc_encoder_config &c) {
             c.frame_rate = {25, 0};
         },
         "frame_rate"},
        {[](vtc_encoder_config &c) { c.color_range = 7; }, "color_range"},
        {[](vtc_encoder_config &c) { c.options = malformed; }, "'bframes'"},
        {[](vtc_encoder_config &c) { c.codec = VTC_CODEC_HEVC; }, "codec"},
    };
    for (const Case &c : cases) {
        CAPTURE(c.field);
        vtc_encoder_config config = valid_config();
        c.edit(config);
        const Created refused = create(config);
        CHECK(refused.status == VTC_ERR_INVALID_ARG);
        CHECK(refused.encoder == nullptr);
        CHECK(refused.error.find(c.field) != std::string::npos);
    }
    CHECK(ProbeEncoder::constructed == 1); // no refused config reached the class

    // A config from a host built before a member existed gets that member's
    // default, which passes.
    vtc_encoder_config older = valid_config();
    older.struct_size = static_cast<uint32_t>(VTC_SDK_SIZE_UNTIL(vtc_encoder_config, options));
    CHECK(create(older).status == VTC_OK);
    CHECK(ProbeEncoder::constructed == 2);
}

TEST_CASE("set_device_name fits the name, whole characters only, printable") {
    vtc_encoder_caps caps{};
    std::memset(caps.device_name, 'x', sizeof(caps.device_name));
    vtc::sdk::set_device_name(caps, "Intel(R) Arc(TM)\tB580");
    CHECK(std::string(caps.device_name) == "Intel(R) Arc(TM) B580");
    CHECK(caps.device_name[sizeof(caps.device_name) - 1] == '\0');

    // 126 ASCII bytes and a 2-byte character: the character does not fit whole.
    const std::string long_name = std::string(126, 'a') + "\xc2\xb0" + "tail";
    vtc::sdk::set_device_name(caps, long_name);
    CHECK(std::string(caps.device_name) == std::string(126, 'a'));
    // 125 ASCII bytes: the character fits, the rest is cut.
    vtc::sdk::set_device_name(caps, std::string(125, 'a') + "\xc2\xb0" + "tail");
    CHECK(std::string(caps.device_name) == std::string(125, 'a') + "\xc2\xb0");

    vtc::sdk::set_device_name(caps, "");
    CHECK(caps.device_name[0] == '\0');
}
