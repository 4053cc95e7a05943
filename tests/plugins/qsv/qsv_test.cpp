// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Tests of vtc-qsv.so (VTC_TEST_PLUGIN) against the emulated oneVPL runtime
// (ONEVPL_SEARCH_PATH) and the emulated VA driver (VTC_QSV_DEVICE). What the
// plugin asked the runtime for is read back from the runtime's trace file
// (FAKE_VPL_TRACE, one INIT line per MFXVideoENCODE_Init); what it produced
// is decoded with libavcodec.
#include <av_decode.hpp>
#include <synthetic_frames.hpp>
#include <vtranscode/plugin/vtc_plugin.h>

#include <doctest/doctest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using vtc::test::EncodedPacket;
using vtc::test::SyntheticFrame;

const vtc_plugin_descriptor &descriptor() {
    static const vtc_plugin_descriptor *loaded = [] {
        const char *path = std::getenv("VTC_TEST_PLUGIN");
        if (path == nullptr || *path == '\0') {
            throw std::runtime_error("VTC_TEST_PLUGIN is not set; run this through meson test");
        }
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL); // never closed
        if (handle == nullptr) {
            throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
        }
        void *symbol = dlsym(handle, VTC_PLUGIN_ENTRY_SYMBOL);
        if (symbol == nullptr) {
            throw std::runtime_error("no " VTC_PLUGIN_ENTRY_SYMBOL);
        }
        vtc_plugin_entry_fn entry = nullptr;
        std::memcpy(&entry, &symbol, sizeof entry);
        return entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
    }();
    if (loaded == nullptr) {
        throw std::runtime_error("the plugin returned no descriptor");
    }
    return *loaded;
}

const vtc_encoder_vtbl &encoder(int32_t codec) {
    const vtc_plugin_descriptor &d = descriptor();
    for (uint32_t i = 0; i < d.encoder_count; ++i) {
        if (d.encoders[i]->codec == codec) {
            return *d.encoders[i]->vtbl;
        }
    }
    throw std::runtime_error("the plugin has no encoder for codec " + std::to_string(codec));
}

// Sets an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const std::string &value) : name_(name) {
        if (const char *old = std::getenv(name)) {
            old_ = old;
            had_ = true;
        }
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (had_) {
            setenv(name_, old_.c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *name_;
    std::string old_;
    bool had_ = false;
};

// The emulated runtime's trace, in a fresh temporary file per test.
class Trace {
public:
    Trace() : path_(make_path()), env_("FAKE_VPL_TRACE", path_) {}
    ~Trace() { std::remove(path_.c_str()); }
    Trace(const Trace &) = delete;
    Trace &operator=(const Trace &) = delete;

    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::ifstream in(path_);
        for (std::string line; std::getline(in, line);) {
            out.push_back(line);
        }
        return out;
    }
    // The last INIT line: what the plugin passed to MFXVideoENCODE_Init.
    std::string last_init() const {
        std::string found;
        for (const auto &line : lines()) {
            if (line.rfind("INIT ", 0) == 0) {
                found = line;
            }
        }
        return found;
    }
    bool has_error() const {
        for (const auto &line : lines()) {
            if (line.rfind("ERROR", 0) == 0) {
                return true;
            }
        }
        return false;
    }

private:
    static std::string make_path() {
        char name[] = "/tmp/vtc-qsv-trace-XXXXXX";
        const int fd = mkstemp(name);
        if (fd >= 0) {
            close(fd);
        }
        return name;
    }
    std::string path_;
    ScopedEnv env_;
};

vtc_host make_host() {
    vtc_host host{};
    host.struct_size = sizeof host;
    host.log_level = VTC_LOG_ERROR;
    return host;
}

vtc_encoder_config base_config(int32_t codec) {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = codec;
    config.width = 176;
    config.height = 144;
    config.pixel_format = VTC_PIXEL_FORMAT_I420;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 90000};
    config.frame_rate = {25, 1};
    config.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    config.max_bitrate_kbps = 2000;
    config.flags = VTC_ENCODER_CONFIG_CLOSED_GOP | VTC_ENCODER_CONFIG_GLOBAL_HEADER;
    return config;
}

struct Instance {
    const vtc_encoder_vtbl &vt;
    vtc_host host = make_host();
    vtc_encoder *enc = nullptr;
    vtc_status status = VTC_ERR_INTERNAL;
    std::string error;
    std::vector<EncodedPacket> packets;

    Instance(const vtc_encoder_config &config) : vt(encoder(config.codec)) {
        char buffer[512] = {};
        status = vt.create(&host, &config, &enc, buffer, sizeof buffer);
        error = buffer;
    }
    ~Instance() { vt.destroy(enc); }
    Instance(const Instance &) = delete;
    Instance &operator=(const Instance &) = delete;

    vtc_status collect() {
        for (;;) {
            vtc_packet packet{};
            packet.struct_size = sizeof packet;
            const vtc_status s = vt.receive_packet(enc, &packet);
            if (s != VTC_OK) {
                return s;
            }
            EncodedPacket out;
            out.data.assign(packet.data, packet.data + packet.size);
            out.pts = packet.pts;
            out.dts = packet.dts;
            out.is_keyframe = (packet.flags & VTC_PACKET_KEYFRAME) != 0;
            packets.push_back(std::move(out));
        }
    }
    vtc_status send(const vtc_frame &frame) {
        const vtc_status s = vt.send_frame(enc, &frame);
        if (s != VTC_OK) {
            return s;
        }
        const vtc_status c = collect();
        return c == VTC_NEED_INPUT ? VTC_OK : c;
    }
    std::string last_error() const { return vt.last_error(enc); }
};

// The value of `key=` in a trace line ("" when absent).
std::string field(const std::string &line, const std::string &key) {
    const size_t at = line.find(" " + key + "=");
    if (at == std::string::npos) {
        return "";
    }
    const size_t start = at + key.size() + 2;
    return line.substr(start, line.find(' ', start) - start);
}

std::string init_with(vtc_encoder_config config) {
    Trace trace;
    Instance instance(config);
    REQUIRE_MESSAGE(instance.status == VTC_OK, instance.error);
    CHECK_FALSE(trace.has_error());
    return trace.last_init();
}

} // namespace

TEST_CASE("presets map onto TargetUsage: x264 names, SVT-AV1 numbers and native names") {
    const std::pair<const char *, const char *> table[] = {
        {"ultrafast", "7"}, {"veryfast", "7"}, {"faster", "6"},
        {"fast", "5"},      {"medium", "4"},   {"slow", "3"},
        {"slower", "2"},    {"veryslow", "1"}, {"placebo", "1"},
        {"0", "1"},         {"6", "4"},        {"13", "7"},
        {"tu2", "2"},       {"tu7", "7"},      {"best_quality", "1"},
        {"balanced", "4"},
    };
    for (const auto &[preset, tu] : table) {
        vtc_encoder_config config = base_config(VTC_CODEC_H264);
        config.preset = preset;
        CHECK_MESSAGE(field(init_with(config), "tu") == tu, preset);
    }
    vtc_encoder_config config = base_config(VTC_CODEC_H264);
    CHECK(field(init_with(config), "tu") == "4"); // NULL preset
}

TEST_CASE("an unknown preset, option key or option value is INVALID_ARG naming it") {
    vtc_encoder_config config = base_config(VTC_CODEC_HEVC);
    config.preset = "p4";
    {
        Instance instance(config);
        CHECK(instance.status == VTC_ERR_INVALID_ARG);
        CHECK(instance.error.find("'p4'") != std::string::npos);
    }
    config.preset = "14";
    CHECK(Instance(config).status == VTC_ERR_INVALID_ARG);
    config.preset = nullptr;
    const char *unknown[] = {"lookahead=20", nullptr};
    config.options = unknown;
    {
        Instance instance(config);
        CHECK(instance.status == VTC_ERR_INVALID_ARG);
        CHECK(instance.error.find("'lookahead'") != std::string::npos);
    }
    const char *bad_value[] = {"low_power=maybe", nullptr};
    config.options = bad_value;
    CHECK(Instance(config).status == VTC_ERR_INVALID_ARG);
    const char *good[] = {"low_power=on", nullptr};
    config.options = good;
    CHECK(field(init_with(config), "lowpower") == "16"); // MFX_CODINGOPTION_ON
}

TEST_CASE("capped CRF becomes QVBR with the cap and buffer; CRF, CQP, VBR and CBR map too") {
    vtc_encoder_config config = base_config(VTC_CODEC_H264);
    config.quality = 23;
    config.max_bitrate_kbps = 3000;
    config.vbv_buffer_kbits = 6000;
    std::string line = init_with(config);
    CHECK(field(line, "rc") == "QVBR");
    CHECK(field(line, "quality") == "23");
    CHECK(field(line, "max") == "3000");
    CHECK(field(line, "buffer_kb") == "750");

    // Unset buffer: two seconds of the cap. CRF 0 has no QVBR image: 1.
    config.vbv_buffer_kbits = 0;
    config.quality = 0;
    line = init_with(config);
    CHECK(field(line, "quality") == "1");
    CHECK(field(line, "buffer_kb") == "750");

    // Beyond 16 bits: BRCParamMultiplier carries the scale.
    config.max_bitrate_kbps = 100000;
    line = init_with(config);
    CHECK(field(line, "max") == "100000");

    vtc_encoder_config hevc = base_config(VTC_CODEC_HEVC);
    CHECK(field(init_with(hevc), "quality") == "28"); // the HEVC default
    hevc.rate_control = VTC_RATE_CONTROL_CRF;
    hevc.quality = 30;
    line = init_with(hevc);
    CHECK(field(line, "rc") == "ICQ");
    CHECK(field(line, "quality") == "30");
    hevc.rate_control = VTC_RATE_CONTROL_CQP;
    hevc.quality = 31;
    CHECK(field(init_with(hevc), "qp") == "31");
    hevc.rate_control = VTC_RATE_CONTROL_VBR;
    hevc.bitrate_kbps = 800;
    hevc.max_bitrate_kbps = 1200;
    line = init_with(hevc);
    CHECK(field(line, "rc") == "VBR");
    CHECK(field(line, "target") == "800");
    CHECK(field(line, "max") == "1200");
    hevc.rate_control = VTC_RATE_CONTROL_CBR;
    hevc.max_bitrate_kbps = 0;
    line = init_with(hevc);
    CHECK(field(line, "rc") == "CBR");
    CHECK(field(line, "max") == "800");

    config = base_config(VTC_CODEC_H264);
    config.quality = 52;
    CHECK(Instance(config).status == VTC_ERR_INVALID_ARG);

    // AV1 takes SVT-AV1's 1..63 scale, mapped linearly onto QVBR's 1..51.
    vtc_encoder_config av1 = base_config(VTC_CODEC_AV1);
    CHECK(field(init_with(av1), "quality") == "24"); // the default, 30
    av1.quality = 63;
    CHECK(field(init_with(av1), "quality") == "51");
    av1.quality = 1;
    CHECK(field(init_with(av1), "quality") == "1");
    av1.quality = 64;
    CHECK(Instance(av1).status == VTC_ERR_INVALID_ARG);
}

TEST_CASE("GOP length, B-frames, closed GOPs, IDR interval and colour reach the runtime") {
    vtc_encoder_config config = base_config(VTC_CODEC_H264);
    config.max_keyframe_interval = 48;
    config.max_b_frames = 2;
    config.color_primaries = 1;
    config.color_transfer = 1;
    config.color_matrix = 1;
    config.color_range = 2;
    std::string line = init_with(config);
    CHECK(field(line, "gop") == "48");
    CHECK(field(line, "refdist") == "3");
    CHECK(field(line, "closed") == "1");
    CHECK(field(line, "idr_interval") == "0"); // AVC: every I-frame is an IDR
    CHECK(field(line, "colour") == "1/1/1");
    CHECK(field(line, "fullrange") == "1");

    config.codec = VTC_CODEC_HEVC;
    config.flags = 0;
    config.max_b_frames = 0;
    line = init_with(config);
    CHECK(field(line, "idr_interval") == "1"); // HEVC: 1 means every I-frame
    CHECK(field(line, "closed") == "0");
    CHECK(field(line, "refdist") == "1");
}

TEST_CASE("forced keyframes are IDRs exactly there, with B-frames, as the decoder sees them") {
    for (const int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC, VTC_CODEC_AV1}) {
        CAPTURE(codec);
        Trace trace;
        vtc_encoder_config config = base_config(codec);
        config.max_keyframe_interval = 1000;
        config.max_b_frames = 3;
        Instance instance(config);
        REQUIRE_MESSAGE(instance.status == VTC_OK, instance.error);
        const std::set<int> forced = {0, 7, 23};
        std::set<int64_t> forced_pts;
        SyntheticFrame picture(config.pixel_format, config.width, config.height);
        for (int i = 0; i < 36; ++i) {
            const int64_t pts = 5000 + i * 3600;
            const bool force = forced.count(i) != 0;
            if (force) {
                forced_pts.insert(pts);
            }
            REQUIRE(instance.send(picture.fill(i, pts, force ? VTC_FRAME_FORCE_KEYFRAME : 0u)) ==
                    VTC_OK);
        }
        REQUIRE(instance.vt.drain(instance.enc) == VTC_OK);
        REQUIRE(instance.collect() == VTC_END_OF_STREAM);
        REQUIRE(instance.packets.size() == 36);
        std::set<int64_t> flagged;
        for (size_t i = 0; i < instance.packets.size(); ++i) {
            const auto &p = instance.packets[i];
            CHECK(p.dts <= p.pts);
            if (i > 0) {
                CHECK(p.dts > instance.packets[i - 1].dts);
            }
            if (p.is_keyframe) {
                flagged.insert(p.pts);
            }
        }
        CHECK(flagged == forced_pts);
        const auto report = vtc::test::decode_stream(codec, {}, instance.packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == 36);
        std::set<int64_t> decoded_keys;
        for (const auto &frame : report.frames) {
            if (frame.is_keyframe) {
                decoded_keys.insert(frame.pts);
            }
        }
        CHECK(decoded_keys == forced_pts);
        CHECK_FALSE(trace.has_error());
    }
}

TEST_CASE("the session limit gives DEVICE_BUSY, and a freed session can be used again") {
    ScopedEnv limit("FAKE_VPL_MAX_SESSIONS", "1");
    const vtc_encoder_config config = base_config(VTC_CODEC_H264);
    auto first = std::make_unique<Instance>(config);
    REQUIRE_MESSAGE(first->status == VTC_OK, first->error);
    {
        Instance second(config);
        CHECK(second.status == VTC_ERR_DEVICE_BUSY);
        CHECK(second.error.find("MFX_ERR_MEMORY_ALLOC") != std::string::npos);
        CHECK(second.error.find('\n') == std::string::npos);
        CHECK(second.enc == nullptr);
    }
    first.reset();
    Instance third(config);
    CHECK_MESSAGE(third.status == VTC_OK, third.error);
}

TEST_CASE("a device lost mid-stream is DEVICE_LOST with the runtime's status in last_error") {
    ScopedEnv lose("FAKE_VPL_LOSE_DEVICE_AFTER", "5");
    Instance instance(base_config(VTC_CODEC_HEVC));
    REQUIRE_MESSAGE(instance.status == VTC_OK, instance.error);
    SyntheticFrame picture(VTC_PIXEL_FORMAT_I420, 176, 144);
    vtc_status status = VTC_OK;
    int sent = 0;
    for (; sent < 10 && status == VTC_OK; ++sent) {
        status = instance.send(picture.fill(sent, sent * 3600));
    }
    CHECK(status == VTC_ERR_DEVICE_LOST);
    CHECK(sent == 6);
    CHECK(instance.last_error().find("MFX_ERR_DEVICE_LOST") != std::string::npos);
    // The instance is dead from here on, and says so.
    CHECK(instance.vt.send_frame(instance.enc, &picture.fill(20, 20 * 3600)) ==
          VTC_ERR_INVALID_STATE);
}

TEST_CASE("caps come from the runtime's description") {
    const vtc_host host = make_host();
    char error[256] = {};
    vtc_encoder_caps caps{};
    caps.struct_size = sizeof caps;
    REQUIRE(encoder(VTC_CODEC_H264).query_caps(&host, &caps, error, sizeof error) == VTC_OK);
    CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_B_FRAMES) != 0);
    CHECK(caps.max_width == 4096);
    CHECK(caps.bit_depths == VTC_BIT_DEPTH_8);
    CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)) != 0);
    CHECK(caps.pixel_formats == (VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_NV12)));

    caps = vtc_encoder_caps{};
    caps.struct_size = sizeof caps;
    REQUIRE(encoder(VTC_CODEC_HEVC).query_caps(&host, &caps, error, sizeof error) == VTC_OK);
    CHECK(caps.max_width == 8192);
    CHECK(caps.bit_depths == (VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10));
    CHECK((caps.profiles & VTC_BIT(VTC_PROFILE_HEVC_MAIN10)) != 0);

    caps = vtc_encoder_caps{};
    caps.struct_size = sizeof caps;
    REQUIRE(encoder(VTC_CODEC_AV1).query_caps(&host, &caps, error, sizeof error) == VTC_OK);
    CHECK(caps.bit_depths == (VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10));
    CHECK(caps.profiles == VTC_BIT(VTC_PROFILE_AV1_MAIN));
    {
        // A GPU before Arc: the runtime lists no AV1 encoder. That is
        // UNSUPPORTED, not "no device".
        ScopedEnv no_av1("FAKE_VPL_NO_AV1", "1");
        caps = vtc_encoder_caps{};
        caps.struct_size = sizeof caps;
        CHECK(encoder(VTC_CODEC_AV1).query_caps(&host, &caps, error, sizeof error) ==
              VTC_ERR_UNSUPPORTED);
        CHECK(std::string(error).find("no AV1 encoder") != std::string::npos);
        CHECK(Instance(base_config(VTC_CODEC_AV1)).status == VTC_ERR_UNSUPPORTED);
    }

    vtc_encoder_config big = base_config(VTC_CODEC_H264);
    big.width = 4112;
    CHECK(Instance(big).status == VTC_ERR_UNSUPPORTED);
    vtc_encoder_config ten = base_config(VTC_CODEC_H264);
    ten.pixel_format = VTC_PIXEL_FORMAT_I420_10;
    CHECK(Instance(ten).status == VTC_ERR_UNSUPPORTED);
}

TEST_CASE("no GPU, no runtime or no device node: NO_DEVICE with a one-line reason") {
    const vtc_host host = make_host();
    auto expect_no_device = [&](const char *what) {
        CAPTURE(what);
        char error[256] = {};
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        CHECK(encoder(VTC_CODEC_H264).query_caps(&host, &caps, error, sizeof error) ==
              VTC_ERR_NO_DEVICE);
        CHECK(std::string(error).find("oneVPL") != std::string::npos);
        CHECK(std::string(error).find('\n') == std::string::npos);
        Instance instance(base_config(VTC_CODEC_H264));
        CHECK(instance.status == VTC_ERR_NO_DEVICE);
    };
    {
        // The runtime is there but finds no GPU.
        ScopedEnv no_gpu("FAKE_VPL_NO_DEVICE", "1");
        expect_no_device("runtime without a GPU");
    }
    if (access("/dev/dri/renderD128", F_OK) == 0) {
        MESSAGE("skipped the no-runtime case: this machine has a GPU, so a real runtime may "
                "answer");
    } else {
        // No GPU runtime anywhere the dispatcher looks (the system's legacy
        // Media SDK, if installed, finds no GPU either).
        // The dispatcher also searches LD_LIBRARY_PATH, where meson puts the
        // emulated runtime's folder.
        ScopedEnv no_runtime("ONEVPL_SEARCH_PATH", "/nonexistent-vtc-qsv");
        ScopedEnv no_library_path("LD_LIBRARY_PATH", "/nonexistent-vtc-qsv");
        expect_no_device("no runtime");
    }
    vtc_encoder_config config = base_config(VTC_CODEC_H264);
    config.device = "/nonexistent/renderD999";
    Instance instance(config);
    CHECK(instance.status == VTC_ERR_NO_DEVICE);
    CHECK(instance.error.find("/nonexistent/renderD999") != std::string::npos);
}

TEST_CASE("a cancelled host stops send_frame with CANCELLED") {
    struct Flag {
        static int32_t yes(void *) { return 1; }
    };
    vtc_encoder_config config = base_config(VTC_CODEC_H264);
    Instance instance(config);
    REQUIRE(instance.status == VTC_OK);
    instance.host.is_cancelled = &Flag::yes;
    SyntheticFrame picture(VTC_PIXEL_FORMAT_I420, 176, 144);
    CHECK(instance.vt.send_frame(instance.enc, &picture.fill(0, 0)) == VTC_ERR_CANCELLED);
}
