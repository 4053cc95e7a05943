// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Tests specific to vtc-svtav1: forced key frames land exactly where asked, the
// 10-bit path, presets, rate-control limits, capped CRF, colour description,
// cancellation, options, and silence on stdout/stderr. The plugin is loaded
// through libvtranscode's loader (the path comes from VTC_SVTAV1_PLUGIN); the
// generic contract checks live in the conformance suite.
#include <doctest/doctest.h>

#include <av_decode.hpp>
#include <synthetic_frames.hpp>
#include <vtranscode/plugin/vtc_plugin.h>

#include <plugin/module.hpp>
#include <vtranscode/encoder_registry.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

// The plugin keeps libSvtAv1Enc quiet only when the operator has not set
// SVT_LOG; clear it before main() (single-threaded here) so the silence test
// checks the default behaviour whatever the developer's shell exports.
[[maybe_unused]] const bool svt_log_cleared = (unsetenv("SVT_LOG"), true);

constexpr int64_t pts_step = 3000; // 30 fps in a 1/90000 time base

// Loaded through libvtranscode's loader, so the descriptor is validated the
// way the host validates it; the module stays mapped for the whole run.
const vtc_plugin_descriptor &descriptor() {
    static const std::shared_ptr<vtc::detail::PluginModule> module = [] {
        const char *path = std::getenv("VTC_SVTAV1_PLUGIN");
        REQUIRE_MESSAGE(path != nullptr, "VTC_SVTAV1_PLUGIN must name vtc-svtav1.so");
        auto loaded = vtc::detail::PluginModule::load(path, {});
        REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
        REQUIRE((*loaded)->descriptor().encoder_count == 1);
        return *loaded;
    }();
    return module->descriptor();
}

const vtc_encoder_vtbl &vtbl() {
    return *descriptor().encoders[0]->vtbl;
}

// A host that records log lines and can be told to cancel.
struct TestHost {
    vtc_host host{};
    std::mutex mutex;
    std::vector<std::string> lines;
    std::atomic<bool> cancelled{false};

    TestHost() {
        host.struct_size = sizeof(host);
        host.log_level = VTC_LOG_DEBUG;
        host.ctx = this;
        host.log = [](void *ctx, int32_t, const char *message) {
            auto *self = static_cast<TestHost *>(ctx);
            const std::lock_guard lock(self->mutex);
            self->lines.emplace_back(message);
        };
        host.is_cancelled = [](void *ctx) -> int32_t {
            return static_cast<TestHost *>(ctx)->cancelled.load() ? 1 : 0;
        };
        host.get_service = [](void *, const char *) -> const void * { return nullptr; };
    }
};

vtc_encoder_config base_config(uint32_t width = 64, uint32_t height = 64,
                               int32_t pixel_format = VTC_PIXEL_FORMAT_I420) {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = VTC_CODEC_AV1;
    config.width = width;
    config.height = height;
    config.pixel_format = pixel_format;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 90000};
    config.frame_rate = {30, 1};
    config.rate_control = VTC_RATE_CONTROL_CRF;
    config.quality = 35;
    config.preset = "12";
    config.thread_count = 1;
    return config;
}

struct Created {
    vtc_status status = VTC_ERR_INTERNAL;
    vtc_encoder *encoder = nullptr;
    std::string error;

    Created() = default;
    Created(const Created &) = delete;
    Created &operator=(const Created &) = delete;
    ~Created() { vtbl().destroy(encoder); }
};

void create(const vtc_host &host, const vtc_encoder_config &config, Created &out) {
    char error[256] = "";
    out.status = vtbl().create(&host, &config, &out.encoder, error, sizeof error);
    out.error = error;
}

struct Encoded {
    std::vector<vtc::test::EncodedPacket> packets;
    std::vector<int64_t> durations;
    std::vector<uint8_t> extradata_before; // right after create()
    std::vector<uint8_t> extradata_after;  // after the last packet
    vtc_status status = VTC_OK;            // first error, if any
    std::string error;
};

// Encodes `count` synthetic frames (pts = index * pts_step), flagging the
// indices in `forced` with VTC_FRAME_FORCE_KEYFRAME, and drains.
Encoded encode(const vtc_encoder_config &config, int count, const std::set<int> &forced,
               TestHost *host_in = nullptr, int cancel_at = -1) {
    TestHost local_host;
    TestHost &host = host_in != nullptr ? *host_in : local_host;
    Encoded result;
    Created created;
    create(host.host, config, created);
    REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
    vtc_encoder *enc = created.encoder;
    const vtc_encoder_vtbl &vt = vtbl();

    auto copy_extradata = [&](std::vector<uint8_t> &out) {
        const uint8_t *data = nullptr;
        uint64_t size = 0;
        REQUIRE(vt.get_extradata(enc, &data, &size) == VTC_OK);
        out.assign(data, data + size);
    };
    auto collect = [&]() -> vtc_status {
        for (;;) {
            vtc_packet packet{};
            packet.struct_size = sizeof(packet);
            const vtc_status status = vt.receive_packet(enc, &packet);
            if (status != VTC_OK) {
                return status;
            }
            vtc::test::EncodedPacket copy;
            copy.data.assign(packet.data, packet.data + packet.size);
            copy.pts = packet.pts;
            copy.dts = packet.dts;
            copy.is_keyframe = (packet.flags & VTC_PACKET_KEYFRAME) != 0;
            result.packets.push_back(std::move(copy));
            result.durations.push_back(packet.duration);
        }
    };
    auto record_error = [&](vtc_status status) {
        result.status = status;
        result.error = vt.last_error(enc);
    };

    copy_extradata(result.extradata_before);
    vtc::test::SyntheticFrame picture(config.pixel_format, config.width, config.height);
    for (int i = 0; i < count; ++i) {
        if (i == cancel_at) {
            host.cancelled = true;
        }
        const vtc_frame &frame =
            picture.fill(i, i * pts_step, forced.count(i) != 0 ? VTC_FRAME_FORCE_KEYFRAME : 0u);
        vtc_status status;
        while ((status = vt.send_frame(enc, &frame)) == VTC_OUTPUT_PENDING) {
            collect();
        }
        if (status != VTC_OK) {
            record_error(status);
            return result;
        }
        if (status = collect(); status != VTC_NEED_INPUT) {
            record_error(status);
            return result;
        }
    }
    REQUIRE(vt.drain(enc) == VTC_OK);
    if (const vtc_status status = collect(); status != VTC_END_OF_STREAM) {
        record_error(status);
        return result;
    }
    copy_extradata(result.extradata_after);
    return result;
}

std::vector<int> key_indices_from_packets(const Encoded &encoded) {
    std::vector<int> keys;
    for (const auto &packet : encoded.packets) {
        if (packet.is_keyframe) {
            keys.push_back(static_cast<int>(packet.pts / pts_step));
        }
    }
    return keys;
}

std::vector<int> key_indices_from_decoder(const vtc::test::DecodeReport &report) {
    std::vector<int> keys;
    for (const auto &frame : report.frames) {
        if (frame.is_keyframe) {
            keys.push_back(static_cast<int>(frame.pts / pts_step));
        }
    }
    return keys;
}

uint64_t total_bytes(const Encoded &encoded) {
    uint64_t bytes = 0;
    for (const auto &packet : encoded.packets) {
        bytes += packet.data.size();
    }
    return bytes;
}

// Whether an access unit holds an OBU of `type` (low-overhead format, every
// OBU with a size field, as SVT-AV1 writes them).
bool has_obu(const std::vector<uint8_t> &data, int type) {
    size_t pos = 0;
    while (pos < data.size()) {
        const uint8_t header = data[pos];
        size_t at = pos + 1 + ((header & 0x04) != 0 ? 1 : 0);
        uint64_t size = 0;
        for (int shift = 0; at < data.size(); shift += 7) {
            const uint8_t byte = data[at++];
            size |= uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80) == 0) {
                break;
            }
        }
        if (((header >> 3) & 0x0f) == type) {
            return true;
        }
        pos = at + size;
    }
    return false;
}

// The colour_config of an AV1 sequence header OBU (AV1 spec §5.5), read far
// enough to check what the encoder wrote.
struct ColorConfig {
    int bit_depth = 0;
    bool description_present = false;
    int primaries = 2, transfer = 2, matrix = 2;
    int full_range = 0;
};

class BitReader {
public:
    explicit BitReader(const std::vector<uint8_t> &data, size_t byte_offset)
        : data_(data), bit_(byte_offset * 8) {}
    uint32_t f(int bits) {
        uint32_t value = 0;
        for (int i = 0; i < bits; ++i, ++bit_) {
            REQUIRE(bit_ / 8 < data_.size());
            value = (value << 1) | ((data_[bit_ / 8] >> (7 - bit_ % 8)) & 1u);
        }
        return value;
    }
    uint32_t uvlc() {
        int zeros = 0;
        while (f(1) == 0) {
            ++zeros;
        }
        return zeros >= 32 ? UINT32_MAX : f(zeros) + (1u << zeros) - 1;
    }

private:
    const std::vector<uint8_t> &data_;
    size_t bit_;
};

ColorConfig parse_color_config(const std::vector<uint8_t> &obu) {
    REQUIRE(obu.size() > 2);
    REQUIRE(((obu[0] >> 3) & 0x0f) == 1); // OBU_SEQUENCE_HEADER
    size_t payload = 1 + ((obu[0] & 0x04) != 0 ? 1 : 0);
    if ((obu[0] & 0x02) != 0) {
        while ((obu[payload++] & 0x80) != 0) {
        }
    }
    BitReader r(obu, payload);
    const uint32_t profile = r.f(3);
    r.f(1); // still_picture
    const bool reduced = r.f(1) != 0;
    bool decoder_model_info = false;
    uint32_t buffer_delay_bits = 0;
    if (reduced) {
        r.f(5);
    } else {
        if (r.f(1) != 0) { // timing_info_present_flag
            r.f(32);
            r.f(32);
            if (r.f(1) != 0) {
                r.uvlc();
            }
            decoder_model_info = r.f(1) != 0;
            if (decoder_model_info) {
                buffer_delay_bits = r.f(5) + 1;
                r.f(32);
                r.f(5);
                r.f(5);
            }
        }
        const bool initial_display_delay = r.f(1) != 0;
        const uint32_t operating_points = r.f(5) + 1;
        for (uint32_t i = 0; i < operating_points; ++i) {
            r.f(12);
            if (r.f(5) > 7) {
                r.f(1);
            }
            if (decoder_model_info && r.f(1) != 0) {
                r.f(static_cast<int>(buffer_delay_bits));
                r.f(static_cast<int>(buffer_delay_bits));
                r.f(1);
            }
            if (initial_display_delay && r.f(1) != 0) {
                r.f(4);
            }
        }
    }
    const int width_bits = static_cast<int>(r.f(4)) + 1;
    const int height_bits = static_cast<int>(r.f(4)) + 1;
    r.f(width_bits);
    r.f(height_bits);
    if (!reduced && r.f(1) != 0) { // frame_id_numbers_present_flag
        r.f(4);
        r.f(3);
    }
    r.f(3); // 128x128 superblock, filter intra, intra edge filter
    if (!reduced) {
        r.f(4); // interintra, masked compound, warped motion, dual filter
        const bool order_hint = r.f(1) != 0;
        if (order_hint) {
            r.f(2);
        }
        uint32_t force_screen_content = 2;
        if (r.f(1) == 0) { // seq_choose_screen_content_tools
            force_screen_content = r.f(1);
        }
        if (force_screen_content > 0 && r.f(1) == 0) { // seq_choose_integer_mv
            r.f(1);
        }
        if (order_hint) {
            r.f(3);
        }
    }
    r.f(3); // superres, cdef, restoration
    ColorConfig color;
    const bool high_bitdepth = r.f(1) != 0;
    color.bit_depth = high_bitdepth ? (profile == 2 && r.f(1) != 0 ? 12 : 10) : 8;
    const bool mono = profile == 1 ? false : r.f(1) != 0;
    color.description_present = r.f(1) != 0;
    if (color.description_present) {
        color.primaries = static_cast<int>(r.f(8));
        color.transfer = static_cast<int>(r.f(8));
        color.matrix = static_cast<int>(r.f(8));
    }
    if (!mono && !(color.primaries == 1 && color.transfer == 13 && color.matrix == 0)) {
        color.full_range = static_cast<int>(r.f(1));
    }
    return color;
}

// Runs `fn` with stdout and stderr pointed at a temporary file; returns what
// was written there.
template <class Fn>
std::string capture_output(Fn &&fn) {
    FILE *sink = std::tmpfile();
    REQUIRE(sink != nullptr);
    std::cout.flush(); // doctest writes through iostreams
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    const int saved_out = dup(1);
    const int saved_err = dup(2);
    dup2(fileno(sink), 1);
    dup2(fileno(sink), 2);
    fn();
    std::cout.flush();
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    std::string text;
    std::rewind(sink);
    char buffer[512];
    size_t count;
    while ((count = std::fread(buffer, 1, sizeof buffer, sink)) > 0) {
        text.append(buffer, count);
    }
    std::fclose(sink);
    return text;
}

} // namespace

TEST_CASE("the descriptor names the plugin, its licence and one AV1 encoder") {
    const vtc_plugin_descriptor &d = descriptor();
    CHECK(std::string(d.name) == "svtav1");
    CHECK(std::string(d.license) == "LGPL-2.1-or-later");
    REQUIRE(d.encoder_count == 1);
    CHECK(std::string(d.encoders[0]->id) == "svtav1-av1");
    CHECK(d.encoders[0]->codec == VTC_CODEC_AV1);
    CHECK(d.encoders[0]->rank == VTC_RANK_SECONDARY);
}

TEST_CASE("caps report SVT-AV1 1.4.1's real limits") {
    TestHost host;
    vtc_encoder_caps caps{};
    caps.struct_size = sizeof(caps);
    char error[256] = "";
    REQUIRE_MESSAGE(vtbl().query_caps(&host.host, &caps, error, sizeof error) == VTC_OK, error);
    CHECK(caps.codec == VTC_CODEC_AV1);
    CHECK(caps.profiles == VTC_BIT(VTC_PROFILE_AV1_MAIN));
    CHECK(caps.bit_depths == (VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10));
    CHECK(caps.pixel_formats ==
          (VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_I420_10)));
    CHECK(caps.memory_types == VTC_BIT(VTC_MEMORY_SYSTEM));
    CHECK(caps.min_width == 64);
    CHECK(caps.min_height == 64);
    CHECK(caps.max_width == 16384);
    CHECK(caps.max_height == 8704);
    CHECK(caps.size_alignment == 2);
    CHECK(caps.rate_control_modes ==
          (VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
           VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)));
    CHECK((caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_CLOSED_GOP) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_B_FRAMES) == 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) == 0);
}

TEST_CASE("key frames sit exactly on the forced frames, with the sequence header") {
    const std::set<int> forced = {0, 7, 19, 30};
    const Encoded encoded = encode(base_config(), 40, forced);
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    REQUIRE(encoded.packets.size() == 40);
    CHECK(key_indices_from_packets(encoded) == std::vector<int>(forced.begin(), forced.end()));

    int64_t previous_dts = INT64_MIN;
    for (size_t i = 0; i < encoded.packets.size(); ++i) {
        const auto &packet = encoded.packets[i];
        CHECK(packet.pts == static_cast<int64_t>(i) * pts_step); // presentation order
        CHECK(packet.dts == packet.pts);
        CHECK(packet.dts > previous_dts);
        previous_dts = packet.dts;
        CHECK(encoded.durations[i] == pts_step); // from frame_rate, since frames carry none
        CHECK(has_obu(packet.data, 1) == packet.is_keyframe);
    }

    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    MESSAGE("decoded with libavcodec's ", report.codec_name);
    REQUIRE(report.frames.size() == 40);
    CHECK(key_indices_from_decoder(report) == std::vector<int>(forced.begin(), forced.end()));
    CHECK(report.frames[0].bit_depth == 8);
    CHECK(report.profile == 0); // AV1 Main
}

TEST_CASE("max_keyframe_interval puts a key frame every N frames") {
    vtc_encoder_config config = base_config();
    config.max_keyframe_interval = 10;
    const Encoded encoded = encode(config, 30, {});
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    CHECK(key_indices_from_packets(encoded) == std::vector<int>{0, 10, 20});
    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(key_indices_from_decoder(report) == std::vector<int>{0, 10, 20});
}

TEST_CASE("the 10-bit path encodes I420_10 into a 10-bit Main stream") {
    const std::set<int> forced = {0, 11, 20};
    const Encoded encoded = encode(base_config(64, 64, VTC_PIXEL_FORMAT_I420_10), 24, forced);
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    REQUIRE(encoded.packets.size() == 24);
    CHECK(key_indices_from_packets(encoded) == std::vector<int>(forced.begin(), forced.end()));
    CHECK(parse_color_config(encoded.extradata_after).bit_depth == 10);

    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    REQUIRE(report.frames.size() == 24);
    CHECK(report.frames[0].bit_depth == 10);
    CHECK(report.profile == 0);
    CHECK(key_indices_from_decoder(report) == std::vector<int>(forced.begin(), forced.end()));
}

TEST_CASE("a size that is not a multiple of 8 encodes and decodes at that size") {
    const Encoded encoded = encode(base_config(66, 70), 8, {0, 5});
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    REQUIRE(report.frames.size() == 8);
    CHECK(report.frames[0].width == 66);
    CHECK(report.frames[0].height == 70);
    CHECK(key_indices_from_decoder(report) == std::vector<int>{0, 5});
}

TEST_CASE("presets are the strings 0 to 13; anything else is an invalid argument") {
    TestHost host;
    for (const char *name : {"0", "13"}) {
        vtc_encoder_config config = base_config();
        config.preset = name;
        Created created;
        create(host.host, config, created);
        CHECK_MESSAGE(created.status == VTC_OK, name, ": ", created.error);
    }
    for (const char *name : {"14", "-1", "medium", "", "5x", " 5"}) {
        vtc_encoder_config config = base_config();
        config.preset = name;
        Created created;
        create(host.host, config, created);
        CHECK_MESSAGE(created.status == VTC_ERR_INVALID_ARG, "preset \"", name, "\"");
        CHECK(created.encoder == nullptr);
        CHECK(created.error.find("preset") != std::string::npos);
    }
}

TEST_CASE("configs outside SVT-AV1's limits are refused with the right status") {
    TestHost host;
    struct Case {
        const char *what;
        void (*edit)(vtc_encoder_config &);
        vtc_status expected;
    };
    const Case cases[] = {
        {"62 wide (below the minimum)", [](vtc_encoder_config &c) { c.width = 62; },
         VTC_ERR_UNSUPPORTED},
        {"odd height", [](vtc_encoder_config &c) { c.height = 65; }, VTC_ERR_UNSUPPORTED},
        {"wider than 16384", [](vtc_encoder_config &c) { c.width = 16386; }, VTC_ERR_UNSUPPORTED},
        {"NV12", [](vtc_encoder_config &c) { c.pixel_format = VTC_PIXEL_FORMAT_NV12; },
         VTC_ERR_UNSUPPORTED},
        {"CUDA memory", [](vtc_encoder_config &c) { c.memory_type = VTC_MEMORY_CUDA; },
         VTC_ERR_UNSUPPORTED},
        {"VBR",
         [](vtc_encoder_config &c) {
             c.rate_control = VTC_RATE_CONTROL_VBR;
             c.bitrate_kbps = 500;
         },
         VTC_ERR_UNSUPPORTED},
        {"CBR",
         [](vtc_encoder_config &c) {
             c.rate_control = VTC_RATE_CONTROL_CBR;
             c.bitrate_kbps = 500;
         },
         VTC_ERR_UNSUPPORTED},
        {"no rate control", [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_UNSET; },
         VTC_ERR_INVALID_ARG},
        {"quality 0", [](vtc_encoder_config &c) { c.quality = 0; }, VTC_ERR_INVALID_ARG},
        {"quality 64", [](vtc_encoder_config &c) { c.quality = 64; }, VTC_ERR_INVALID_ARG},
        {"capped CRF without a cap",
         [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_CAPPED_CRF; },
         VTC_ERR_INVALID_ARG},
        {"an HEVC profile", [](vtc_encoder_config &c) { c.profile = VTC_PROFILE_HEVC_MAIN; },
         VTC_ERR_INVALID_ARG},
        {"unknown pixel format", [](vtc_encoder_config &c) { c.pixel_format = 99; },
         VTC_ERR_INVALID_ARG},
        {"colour range 3", [](vtc_encoder_config &c) { c.color_range = 3; }, VTC_ERR_INVALID_ARG},
        {"300 fps",
         [](vtc_encoder_config &c) {
             c.frame_rate = {300, 1};
         },
         VTC_ERR_UNSUPPORTED},
    };
    for (const Case &c : cases) {
        vtc_encoder_config config = base_config();
        c.edit(config);
        Created created;
        create(host.host, config, created);
        CHECK_MESSAGE(created.status == c.expected, c.what, ": got ",
                      vtc_status_name(created.status), " (", created.error, ")");
        CHECK(created.encoder == nullptr);
        CHECK_MESSAGE(!created.error.empty(), c.what);
    }
}

TEST_CASE("CQP is accepted and gives a decodable stream") {
    vtc_encoder_config config = base_config();
    config.rate_control = VTC_RATE_CONTROL_CQP;
    config.quality = 40;
    const Encoded encoded = encode(config, 8, {0, 4});
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(key_indices_from_decoder(report) == std::vector<int>{0, 4});
}

// SVT-AV1 1.4.1's capped CRF is a soft cap: it raises the quantiser of
// base-layer frames once a 60-frame window has spent its budget (plus
// mbr-overshoot-pct, 50 % by default). So the check is that a tight cap cuts
// the rate clearly, not that the cap is met exactly.
TEST_CASE("capped CRF spends clearly fewer bits than plain CRF") {
    constexpr int frames = 90;
    const double seconds = frames / 30.0;
    vtc_encoder_config config = base_config();
    config.quality = 10; // generous, so the cap has something to cut
    const Encoded plain = encode(config, frames, {0});
    REQUIRE_MESSAGE(plain.status == VTC_OK, plain.error);
    const double plain_kbps = static_cast<double>(total_bytes(plain)) * 8 / 1000 / seconds;

    config.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    config.max_bitrate_kbps = static_cast<uint32_t>(plain_kbps / 4);
    config.vbv_buffer_kbits = 2 * config.max_bitrate_kbps;
    const Encoded capped = encode(config, frames, {0});
    REQUIRE_MESSAGE(capped.status == VTC_OK, capped.error);
    const double capped_kbps = static_cast<double>(total_bytes(capped)) * 8 / 1000 / seconds;
    MESSAGE("plain CRF ", plain_kbps, " kbps; capped at ", config.max_bitrate_kbps,
            " kbps: ", capped_kbps, " kbps");
    CHECK(capped_kbps < 0.85 * plain_kbps);
    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, capped.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(report.frames.size() == frames);
}

TEST_CASE("extradata is the sequence header OBU and decodes the stream") {
    const Encoded encoded = encode(base_config(), 6, {0, 3});
    REQUIRE_MESSAGE(encoded.status == VTC_OK, encoded.error);
    for (const auto *extradata : {&encoded.extradata_before, &encoded.extradata_after}) {
        REQUIRE(!extradata->empty());
        CHECK(((*extradata)[0] >> 3 & 0x0f) == 1); // one sequence header OBU, no TD
        CHECK(!has_obu(*extradata, 2));
    }
    // After the first key frame, extradata is byte-identical to the in-band header.
    const std::vector<uint8_t> &key = encoded.packets.at(0).data;
    CHECK(std::search(key.begin(), key.end(), encoded.extradata_after.begin(),
                      encoded.extradata_after.end()) != key.end());
    const auto report =
        vtc::test::decode_stream(VTC_CODEC_AV1, encoded.extradata_before, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(report.frames.size() == 6);
}

TEST_CASE("the colour description lands in the sequence header") {
    vtc_encoder_config config = base_config();
    config.color_primaries = 9; // BT.2020
    config.color_transfer = 16; // PQ
    config.color_matrix = 9;    // BT.2020 non-constant
    config.color_range = 2;     // full
    const Encoded described = encode(config, 2, {0});
    REQUIRE_MESSAGE(described.status == VTC_OK, described.error);
    const ColorConfig color = parse_color_config(described.extradata_after);
    CHECK(color.description_present);
    CHECK(color.primaries == 9);
    CHECK(color.transfer == 16);
    CHECK(color.matrix == 9);
    CHECK(color.full_range == 1);

    const Encoded plain = encode(base_config(), 2, {0});
    const ColorConfig unspecified = parse_color_config(plain.extradata_after);
    CHECK(!unspecified.description_present);
    CHECK(unspecified.full_range == 0);
}

TEST_CASE("known options pass through; unknown keys and bad values are refused by name") {
    TestHost host;
    const char *good[] = {"tune=0", "enable-cdef=0", nullptr};
    vtc_encoder_config config = base_config();
    config.options = good;
    {
        Created created;
        create(host.host, config, created);
        CHECK_MESSAGE(created.status == VTC_OK, created.error);
    }
    const char *unknown[] = {"tune=0", "no-such-knob=1", nullptr};
    config.options = unknown;
    {
        Created created;
        create(host.host, config, created);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
        CHECK(created.error.find("no-such-knob") != std::string::npos);
    }
    const char *reserved[] = {"preset=3", nullptr}; // set through the config, not options
    config.options = reserved;
    {
        Created created;
        create(host.host, config, created);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
    }
    const char *bad_value[] = {"tune=loud", nullptr};
    config.options = bad_value;
    {
        Created created;
        create(host.host, config, created);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
        CHECK(created.error.find("tune") != std::string::npos);
    }
}

TEST_CASE("cancellation stops send_frame and the encoder still tears down") {
    TestHost host;
    const Encoded encoded = encode(base_config(), 20, {0}, &host, 5);
    CHECK(encoded.status == VTC_ERR_CANCELLED);
    CHECK(encoded.error.find("cancel") != std::string::npos);
}

TEST_CASE("a frame whose chroma plane is missing is an invalid argument") {
    TestHost host;
    Created created;
    create(host.host, base_config(), created);
    REQUIRE(created.status == VTC_OK);
    vtc::test::SyntheticFrame picture(VTC_PIXEL_FORMAT_I420, 64, 64);
    vtc_frame frame = picture.fill(0, 0);
    frame.planes[2] = nullptr;
    CHECK(vtbl().send_frame(created.encoder, &frame) == VTC_ERR_INVALID_ARG);
    frame = picture.fill(0, 0);
    frame.strides[1] = 16; // shorter than a 32-sample chroma row
    CHECK(vtbl().send_frame(created.encoder, &frame) == VTC_ERR_INVALID_ARG);
    // The instance is still usable after INVALID_ARG.
    frame = picture.fill(0, 0);
    CHECK(vtbl().send_frame(created.encoder, &frame) == VTC_OK);
}

TEST_CASE("an encoder that never saw a frame drains and tears down without hanging") {
    TestHost host;
    {
        Created created; // destroyed without drain
        create(host.host, base_config(), created);
        REQUIRE(created.status == VTC_OK);
    }
    Created created;
    create(host.host, base_config(), created);
    REQUIRE(created.status == VTC_OK);
    REQUIRE(vtbl().drain(created.encoder) == VTC_OK);
    vtc_packet packet{};
    packet.struct_size = sizeof(packet);
    CHECK(vtbl().receive_packet(created.encoder, &packet) == VTC_END_OF_STREAM);
}

TEST_CASE("the plugin writes nothing to stdout or stderr and logs through the host") {
    TestHost host;
    vtc_encoder_config config = base_config();
    config.preset = "13"; // SVT-AV1 warns about this preset on stderr when not silenced
    vtbl();               // load the plugin outside the capture
    vtc::test::SyntheticFrame picture(config.pixel_format, config.width, config.height);
    vtc_status status = VTC_ERR_INTERNAL;
    // Nothing that prints (doctest assertions included) runs inside the capture.
    const std::string output = capture_output([&] {
        const vtc_encoder_vtbl &vt = vtbl();
        vtc_encoder *enc = nullptr;
        status = vt.create(&host.host, &config, &enc, nullptr, 0);
        for (int i = 0; status == VTC_OK && i < 4; ++i) {
            status = vt.send_frame(enc, &picture.fill(i, i * pts_step));
        }
        if (status == VTC_OK) {
            status = vt.drain(enc);
        }
        vtc_packet packet{};
        packet.struct_size = sizeof(packet);
        while (status == VTC_OK) {
            status = vt.receive_packet(enc, &packet);
        }
        vt.destroy(enc);
    });
    CHECK(status == VTC_END_OF_STREAM);
    CHECK_MESSAGE(output.empty(), "captured: ", output);
    const std::lock_guard lock(host.mutex);
    CHECK(!host.lines.empty());
}

TEST_CASE("through the registry and a session, forced key frames land where asked") {
    vtc::RegistryOptions options;
    options.probe_mode = vtc::ProbeMode::in_process;
    options.rank_overrides = "";
    auto registry = vtc::EncoderRegistry::load_file(std::getenv("VTC_SVTAV1_PLUGIN"), options);
    REQUIRE_MESSAGE(registry.has_value(), (registry ? "" : registry.error().message));
    const vtc::EncoderInfo *info = (*registry)->find("svtav1-av1");
    REQUIRE(info != nullptr);
    REQUIRE_MESSAGE(info->available, info->unavailable_reason);

    vtc::EncoderRequirements needs;
    needs.codec = VTC_CODEC_AV1;
    needs.width = 64;
    needs.height = 64;
    needs.pixel_format = VTC_PIXEL_FORMAT_I420_10;
    needs.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    needs.forced_keyframes = true;
    needs.bit_depth = 10;
    const auto candidates = (*registry)->candidates(needs);
    REQUIRE(candidates.size() == 1);
    CHECK(candidates[0].id == "svtav1-av1");
    needs.rate_control = VTC_RATE_CONTROL_VBR; // not offered: the caps say so
    CHECK((*registry)->candidates(needs).empty());

    auto session = (*registry)->open("svtav1-av1", base_config());
    REQUIRE_MESSAGE(session.has_value(), (session ? "" : session.error().to_string()));
    vtc::test::SyntheticFrame picture(VTC_PIXEL_FORMAT_I420, 64, 64);
    std::vector<vtc::test::EncodedPacket> packets;
    vtc::Packet packet;
    auto take = [&] {
        for (;;) {
            auto state = (*session)->receive_packet(packet);
            REQUIRE_MESSAGE(state.has_value(), (state ? "" : state.error().to_string()));
            if (*state != vtc::FlowState::ok) {
                return *state;
            }
            packets.push_back({packet.data, packet.pts, packet.dts, packet.keyframe});
        }
    };
    const std::set<int> forced = {0, 6, 9};
    for (int i = 0; i < 12; ++i) {
        const uint32_t flags = forced.count(i) != 0 ? VTC_FRAME_FORCE_KEYFRAME : 0u;
        auto sent = (*session)->send_frame(picture.fill(i, i * pts_step, flags));
        REQUIRE(sent.has_value());
        REQUIRE(*sent == vtc::FlowState::ok);
        take();
    }
    REQUIRE((*session)->drain().has_value());
    CHECK(take() == vtc::FlowState::end_of_stream);
    REQUIRE(packets.size() == 12);
    std::vector<int> keys;
    for (const auto &p : packets) {
        if (p.is_keyframe) {
            keys.push_back(static_cast<int>(p.pts / pts_step));
        }
    }
    CHECK(keys == std::vector<int>(forced.begin(), forced.end()));
    const auto report = vtc::test::decode_stream(VTC_CODEC_AV1, {}, packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(report.frames.size() == 12);
}
