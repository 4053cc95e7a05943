// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Tests of vtc-nvenc.so against the emulated NVIDIA driver
// (tests/emulated/nvenc, first on LD_LIBRARY_PATH). The module is named by
// VTC_TEST_PLUGIN and loaded with plain dlopen. Failures are emulated through
// the FAKE_NVENC_* variables, which the fake reads on every call, so most
// cases set them in-process; the cases that need a different set of libraries
// (no driver at all, an old driver) run this executable again as a child.
// What the plugin claims is checked against what libavcodec decodes from its
// output and what the emulated driver was told (FAKE_NVENC_TRACE).
#include <av_decode.hpp>
#include <synthetic_frames.hpp>
#include <vtranscode/plugin/vtc_plugin.h>

#include <doctest/doctest.h>

#include <dlfcn.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char **environ;

namespace {

using vtc::test::DecodeReport;
using vtc::test::EncodedPacket;
using vtc::test::SyntheticFrame;

struct Plugin {
    const vtc_encoder_vtbl *h264 = nullptr;
    const vtc_encoder_vtbl *hevc = nullptr;
};

const Plugin &plugin() {
    static const Plugin loaded = [] {
        const char *path = std::getenv("VTC_TEST_PLUGIN");
        if (path == nullptr || *path == '\0') {
            throw std::runtime_error("VTC_TEST_PLUGIN is not set; run this through meson test");
        }
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) {
            throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
        }
        auto entry = reinterpret_cast<vtc_plugin_entry_fn>(dlsym(handle, VTC_PLUGIN_ENTRY_SYMBOL));
        if (entry == nullptr) {
            throw std::runtime_error("no vtc_plugin_entry");
        }
        const vtc_plugin_descriptor *descriptor = entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
        Plugin out;
        for (uint32_t i = 0; i < descriptor->encoder_count; ++i) {
            const vtc_encoder_info *info = descriptor->encoders[i];
            if (info->codec == VTC_CODEC_H264) {
                out.h264 = info->vtbl;
            } else if (info->codec == VTC_CODEC_HEVC) {
                out.hevc = info->vtbl;
            }
        }
        if (out.h264 == nullptr || out.hevc == nullptr) {
            throw std::runtime_error("the plugin lists no H.264 or no HEVC encoder");
        }
        return out;
    }();
    return loaded;
}

const vtc_encoder_vtbl &vt(int32_t codec) {
    return codec == VTC_CODEC_H264 ? *plugin().h264 : *plugin().hevc;
}

// Sets FAKE_NVENC_* variables for one scope and restores "unset" after.
class FakeEnv {
public:
    FakeEnv(const char *name, const std::string &value) : name_(name) {
        ::setenv(name, value.c_str(), 1);
    }
    ~FakeEnv() { ::setenv(name_, "", 1); }
    FakeEnv(const FakeEnv &) = delete;
    FakeEnv &operator=(const FakeEnv &) = delete;

private:
    const char *name_;
};

// A host that keeps its log lines.
class TestHost {
public:
    TestHost() {
        host_.struct_size = sizeof host_;
        host_.log_level = VTC_LOG_DEBUG;
        host_.ctx = this;
        host_.log = [](void *ctx, int32_t, const char *message) {
            static_cast<TestHost *>(ctx)->lines.emplace_back(message);
        };
        host_.is_cancelled = [](void *) -> int32_t { return 0; };
        host_.get_service = [](void *, const char *) -> const void * { return nullptr; };
    }
    TestHost(const TestHost &) = delete;
    TestHost &operator=(const TestHost &) = delete;
    const vtc_host *get() const { return &host_; }
    std::vector<std::string> lines;

private:
    vtc_host host_{};
};

vtc_encoder_config make_config(int32_t codec, int32_t pixel_format = VTC_PIXEL_FORMAT_I420) {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = codec;
    config.width = 320;
    config.height = 240;
    config.pixel_format = pixel_format;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 25};
    config.frame_rate = {25, 1};
    config.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    config.max_bitrate_kbps = 1500;
    config.flags = VTC_ENCODER_CONFIG_CLOSED_GOP | VTC_ENCODER_CONFIG_GLOBAL_HEADER;
    return config;
}

struct CreateResult {
    vtc_status status = VTC_OK;
    std::string error;
    vtc_encoder *encoder = nullptr;
};

CreateResult create(const vtc_encoder_config &config, const TestHost &host) {
    CreateResult out;
    char error[512] = {};
    out.status = vt(config.codec).create(host.get(), &config, &out.encoder, error, sizeof error);
    out.error = error;
    return out;
}

struct Encoded {
    std::vector<uint8_t> extradata;
    std::vector<EncodedPacket> packets;
    vtc_status failure = VTC_OK;
    std::string failure_text;
    int held_back = 0; // frames after which no packet was ready (NEED_MORE_INPUT)
};

vtc_status collect(const vtc_encoder_vtbl &v, vtc_encoder *encoder, Encoded &out) {
    for (;;) {
        vtc_packet packet{};
        packet.struct_size = sizeof packet;
        const vtc_status status = v.receive_packet(encoder, &packet);
        if (status != VTC_OK) {
            return status;
        }
        EncodedPacket copy;
        copy.data.assign(packet.data, packet.data + packet.size);
        copy.pts = packet.pts;
        copy.dts = packet.dts;
        copy.is_keyframe = (packet.flags & VTC_PACKET_KEYFRAME) != 0;
        out.packets.push_back(std::move(copy));
    }
}

// Encodes `count` synthetic frames, forcing keyframes at `forced`.
Encoded encode(const vtc_encoder_config &config, int count, const std::set<int> &forced = {}) {
    TestHost host;
    CreateResult created = create(config, host);
    REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
    const vtc_encoder_vtbl &v = vt(config.codec);
    Encoded out;
    const uint8_t *extradata = nullptr;
    uint64_t extradata_size = 0;
    REQUIRE(v.get_extradata(created.encoder, &extradata, &extradata_size) == VTC_OK);
    out.extradata.assign(extradata, extradata + extradata_size);
    SyntheticFrame frame(config.pixel_format, config.width, config.height);
    for (int i = 0; i < count && out.failure == VTC_OK; ++i) {
        const vtc_frame &f = frame.fill(i, i, forced.count(i) != 0 ? VTC_FRAME_FORCE_KEYFRAME : 0u);
        vtc_status status;
        while ((status = v.send_frame(created.encoder, &f)) == VTC_OUTPUT_PENDING) {
            REQUIRE(collect(v, created.encoder, out) == VTC_NEED_INPUT);
        }
        if (status != VTC_OK) {
            out.failure = status;
            out.failure_text = v.last_error(created.encoder);
            break;
        }
        const size_t before = out.packets.size();
        const vtc_status collected = collect(v, created.encoder, out);
        if (collected == VTC_NEED_INPUT && out.packets.size() == before) {
            ++out.held_back;
        }
        if (collected < 0) {
            out.failure = collected;
            out.failure_text = v.last_error(created.encoder);
        }
    }
    if (out.failure == VTC_OK) {
        REQUIRE(v.drain(created.encoder) == VTC_OK);
        const vtc_status end = collect(v, created.encoder, out);
        if (end != VTC_END_OF_STREAM) {
            out.failure = end;
            out.failure_text = v.last_error(created.encoder);
        }
    }
    v.destroy(created.encoder);
    return out;
}

std::vector<int64_t> keyframe_pts(const DecodeReport &report) {
    std::vector<int64_t> out;
    for (const auto &frame : report.frames) {
        if (frame.is_keyframe) {
            out.push_back(frame.pts);
        }
    }
    return out;
}

void check_timestamps(const Encoded &encoded, int count) {
    REQUIRE(encoded.packets.size() == static_cast<size_t>(count));
    std::set<int64_t> pts;
    for (size_t i = 0; i < encoded.packets.size(); ++i) {
        const EncodedPacket &p = encoded.packets[i];
        CHECK(p.dts <= p.pts);
        if (i > 0) {
            CHECK(p.dts > encoded.packets[i - 1].dts);
        }
        pts.insert(p.pts);
    }
    CHECK(pts.size() == static_cast<size_t>(count));
    CHECK(*pts.begin() == 0);
    CHECK(*pts.rbegin() == count - 1);
}

std::string read_file(const std::string &path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A fresh trace file for the emulated driver, removed afterwards.
class Trace {
public:
    Trace()
        : path_("nvenc-trace-" + std::to_string(::getpid()) + ".txt"),
          env_("FAKE_NVENC_TRACE", path_) {
        std::remove(path_.c_str());
    }
    ~Trace() { std::remove(path_.c_str()); }
    Trace(const Trace &) = delete;
    Trace &operator=(const Trace &) = delete;
    std::string text() const { return read_file(path_); }

private:
    std::string path_;
    FakeEnv env_;
};

// Runs this executable again as a child that only calls query_caps for
// H.264, with @p env replacing the NVIDIA-related environment, and returns
// "STATUS|message".
std::string child_query_caps(const std::vector<std::string> &env) {
    const std::string out = "nvenc-child-" + std::to_string(::getpid()) + ".txt";
    std::remove(out.c_str());
    std::vector<std::string> strings;
    for (char **e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        if (entry.rfind("LD_LIBRARY_PATH=", 0) == 0 || entry.rfind("FAKE_NVENC_", 0) == 0) {
            continue;
        }
        strings.push_back(entry);
    }
    strings.push_back("VTC_NVENC_CHILD_OUT=" + out);
    strings.insert(strings.end(), env.begin(), env.end());
    std::vector<char *> envp;
    for (std::string &s : strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::string self = "/proc/self/exe";
    std::string filter = "--test-case=child: query_caps";
    std::string no_skip = "--no-skip";
    std::string quiet = "--minimal";
    char *argv[] = {self.data(), filter.data(), no_skip.data(), quiet.data(), nullptr};
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) == 0);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus));
    const std::string result = read_file(out);
    std::remove(out.c_str());
    return result;
}

bool has_nal(const std::vector<uint8_t> &bytes, bool hevc, int type) {
    for (size_t i = 0; i + 3 < bytes.size(); ++i) {
        if (bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1) {
            const int found = hevc ? (bytes[i + 3] >> 1) & 0x3f : bytes[i + 3] & 0x1f;
            if (found == type) {
                return true;
            }
        }
    }
    return false;
}

} // namespace

// The child half of child_query_caps(); skipped unless asked for by name.
TEST_CASE("child: query_caps" * doctest::skip()) {
    const char *out = std::getenv("VTC_NVENC_CHILD_OUT");
    REQUIRE(out != nullptr);
    vtc_encoder_caps caps{};
    caps.struct_size = sizeof caps;
    char error[512] = {};
    const char *mode = std::getenv("VTC_NVENC_CHILD_MODE");
    vtc_status status = VTC_OK;
    if (mode != nullptr && std::string(mode) == "create-bad-preset") {
        // Config errors are found before the driver is loaded.
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.preset = "p9";
        TestHost host;
        vtc_encoder *encoder = nullptr;
        status = plugin().h264->create(host.get(), &config, &encoder, error, sizeof error);
    } else {
        status = plugin().h264->query_caps(nullptr, &caps, error, sizeof error);
    }
    std::ofstream(out) << vtc_status_name(status) << "|" << error;
}

TEST_CASE("query_caps reports what the emulated device offers") {
    for (int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        CAPTURE(codec);
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        char error[256] = {};
        REQUIRE(vt(codec).query_caps(nullptr, &caps, error, sizeof error) == VTC_OK);
        CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) != 0);
        CHECK((caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) != 0);
        CHECK((caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0);
        CHECK((caps.flags & VTC_ENCODER_CAP_B_FRAMES) != 0);
        CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)) != 0);
        CHECK(caps.memory_types == VTC_BIT(VTC_MEMORY_SYSTEM));
        CHECK(caps.max_width == 4096);
        CHECK(caps.max_height == 4096);
        CHECK(caps.min_width == 16);
        CHECK(std::string(caps.device_name) == "Emulated NVENC GPU 0");
        const bool ten_bit = codec == VTC_CODEC_HEVC;
        CHECK(((caps.bit_depths & VTC_BIT_DEPTH_10) != 0) == ten_bit);
        CHECK(((caps.pixel_formats & VTC_BIT(VTC_PIXEL_FORMAT_P010)) != 0) == ten_bit);
        CHECK((caps.pixel_formats & VTC_BIT(VTC_PIXEL_FORMAT_I420)) != 0);
    }
    SUBCASE("a GPU without 10-bit HEVC says so") {
        FakeEnv no10("FAKE_NVENC_NO_10BIT", "1");
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        char error[256] = {};
        REQUIRE(vt(VTC_CODEC_HEVC).query_caps(nullptr, &caps, error, sizeof error) == VTC_OK);
        CHECK((caps.bit_depths & VTC_BIT_DEPTH_10) == 0);
    }
    SUBCASE("a GPU without HEVC is UNSUPPORTED for HEVC") {
        FakeEnv codecs("FAKE_NVENC_CODECS", "h264");
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        char error[256] = {};
        CHECK(vt(VTC_CODEC_HEVC).query_caps(nullptr, &caps, error, sizeof error) ==
              VTC_ERR_UNSUPPORTED);
        CHECK(std::string(error).find("cannot encode HEVC") != std::string::npos);
    }
    SUBCASE("no GPU: cuInit fails, NO_DEVICE with one line") {
        FakeEnv none("FAKE_NVENC_NO_DEVICE", "1");
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        char error[256] = {};
        CHECK(vt(VTC_CODEC_H264).query_caps(nullptr, &caps, error, sizeof error) ==
              VTC_ERR_NO_DEVICE);
        CHECK(std::string(error).find("CUDA_ERROR_NO_DEVICE") != std::string::npos);
        CHECK(std::string(error).find('\n') == std::string::npos);
    }
}

TEST_CASE("no NVIDIA driver at all: NO_DEVICE naming the missing library") {
    // Only the emulated libcuda.so.1 in reach: libnvidia-encode.so.1 is missing.
    const char *fake_dir = std::getenv("VTC_TEST_FAKE_NVENC_DIR");
    REQUIRE(fake_dir != nullptr);
    const std::string dir = "nvenc-nodriver-" + std::to_string(::getpid());
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    const std::string link = dir + "/libcuda.so.1";
    REQUIRE(::symlink((std::string(fake_dir) + "/libcuda.so.1").c_str(), link.c_str()) == 0);
    const std::string result = child_query_caps({"LD_LIBRARY_PATH=" + dir});
    std::remove(link.c_str());
    ::rmdir(dir.c_str());
    // A machine with a real NVIDIA driver finds its own libnvidia-encode.so.1
    // through the system path; there this case cannot be made and says so.
    if (result.rfind("VTC_OK|", 0) == 0) {
        MESSAGE("a system libnvidia-encode.so.1 exists here; the no-driver case needs a machine "
                "without one");
        return;
    }
    CHECK(result == "VTC_ERR_NO_DEVICE|libnvidia-encode.so.1 not found: no NVIDIA driver");

    // A config that can never work is still INVALID_ARG there, not NO_DEVICE.
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    const std::string bad =
        child_query_caps({"LD_LIBRARY_PATH=" + dir, "VTC_NVENC_CHILD_MODE=create-bad-preset"});
    ::rmdir(dir.c_str());
    CHECK(bad.rfind("VTC_ERR_INVALID_ARG|unknown NVENC preset 'p9'", 0) == 0);
}

TEST_CASE("a driver older than the plugin's NVENC API is refused with the versions") {
    const char *fake_dir = std::getenv("VTC_TEST_FAKE_NVENC_DIR");
    REQUIRE(fake_dir != nullptr);
    const std::string result = child_query_caps(
        {"LD_LIBRARY_PATH=" + std::string(fake_dir), "FAKE_NVENC_API_VERSION=9.0"});
    CHECK(result.rfind("VTC_ERR_NO_DEVICE|the NVIDIA driver supports NVENC API 9.0", 0) == 0);
    CHECK(result.find("update the driver") != std::string::npos);
}

TEST_CASE("forced keyframes are IDRs exactly there, with parameter sets in-band") {
    for (int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        CAPTURE(codec);
        vtc_encoder_config config = make_config(codec);
        config.max_keyframe_interval = 250;
        const int count = 30;
        const std::set<int> forced = {0, 7, 19, 20};
        Trace trace;
        const Encoded encoded = encode(config, count, forced);
        REQUIRE_MESSAGE(encoded.failure == VTC_OK, encoded.failure_text);
        check_timestamps(encoded, count);
        // The default preset (p4, high quality) holds B-positions back, so
        // packets trail frames: NEED_MORE_INPUT was exercised.
        CHECK(trace.text().find("bframes=2") != std::string::npos);
        CHECK(encoded.held_back > 0);
        // dts trails by the two B-positions: real NVENC codes a picture up to
        // two slots ahead of its display position (the emulation does not
        // reorder, so this pins the rule rather than observing a reorder).
        CHECK(encoded.packets.front().dts == -2);

        const DecodeReport report =
            vtc::test::decode_stream(codec, encoded.extradata, encoded.packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == static_cast<size_t>(count));
        CHECK(keyframe_pts(report) == std::vector<int64_t>{0, 7, 19, 20});
        for (const EncodedPacket &p : encoded.packets) {
            CHECK(p.is_keyframe == (forced.count(static_cast<int>(p.pts)) != 0));
        }

        // A segment cut at the IDR of pts 7 decodes on its own, without
        // extradata: its keyframe carries the parameter sets.
        std::vector<EncodedPacket> tail;
        bool started = false;
        for (const EncodedPacket &p : encoded.packets) {
            started = started || (p.is_keyframe && p.pts == 7);
            if (started) {
                tail.push_back(p);
            }
        }
        REQUIRE(!tail.empty());
        const DecodeReport alone = vtc::test::decode_stream(codec, {}, tail);
        REQUIRE_MESSAGE(alone.ok, alone.error);
        CHECK(alone.frames.size() == tail.size());
        CHECK(alone.frames.front().is_keyframe);
    }
}

TEST_CASE("the GOP length gives IDRs every max_keyframe_interval frames") {
    vtc_encoder_config config = make_config(VTC_CODEC_H264);
    config.max_keyframe_interval = 10;
    config.max_b_frames = 0;
    const Encoded encoded = encode(config, 25);
    REQUIRE_MESSAGE(encoded.failure == VTC_OK, encoded.failure_text);
    const DecodeReport report =
        vtc::test::decode_stream(VTC_CODEC_H264, encoded.extradata, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    CHECK(keyframe_pts(report) == std::vector<int64_t>{0, 10, 20});
    // IDRs the GOP places (not forced) carry SPS and PPS in-band too.
    for (const EncodedPacket &p : encoded.packets) {
        if (p.is_keyframe) {
            CHECK(has_nal(p.data, false, 7));
            CHECK(has_nal(p.data, false, 8));
        }
    }
    for (const EncodedPacket &p : encoded.packets) {
        CHECK(p.dts == p.pts); // no B-frames: no reorder delay
    }
    CHECK(encoded.held_back == 0); // and every frame's packet comes at once
}

TEST_CASE("H.264 Baseline drops the preset's B-frames and decodes as Baseline") {
    vtc_encoder_config config = make_config(VTC_CODEC_H264);
    config.profile = VTC_PROFILE_H264_BASELINE;
    Trace trace;
    const Encoded encoded = encode(config, 10, {0, 5});
    REQUIRE_MESSAGE(encoded.failure == VTC_OK, encoded.failure_text);
    CHECK(trace.text().find("bframes=0") != std::string::npos);
    const DecodeReport report =
        vtc::test::decode_stream(VTC_CODEC_H264, encoded.extradata, encoded.packets);
    REQUIRE_MESSAGE(report.ok, report.error);
    // profile_idc 66; libavcodec adds a flag bit for Constrained Baseline.
    CHECK((report.profile & 0xff) == 66);
    CHECK(keyframe_pts(report) == std::vector<int64_t>{0, 5});

    config.max_b_frames = 2;
    TestHost host;
    const CreateResult refused = create(config, host);
    CHECK(refused.status == VTC_ERR_UNSUPPORTED);
}

TEST_CASE("HEVC Main10 from I420_10 and from P010") {
    for (int32_t format : {VTC_PIXEL_FORMAT_I420_10, VTC_PIXEL_FORMAT_P010}) {
        CAPTURE(format);
        const vtc_encoder_config config = make_config(VTC_CODEC_HEVC, format);
        const Encoded encoded = encode(config, 12, {0});
        REQUIRE_MESSAGE(encoded.failure == VTC_OK, encoded.failure_text);
        const DecodeReport report =
            vtc::test::decode_stream(VTC_CODEC_HEVC, encoded.extradata, encoded.packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == 12);
        CHECK(report.frames[0].bit_depth == 10);
        CHECK(report.profile == 2); // Main 10
    }
}

TEST_CASE("extradata holds the parameter sets right after create") {
    for (int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        TestHost host;
        const vtc_encoder_config config = make_config(codec);
        CreateResult created = create(config, host);
        REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
        const uint8_t *data = nullptr;
        uint64_t size = 0;
        REQUIRE(vt(codec).get_extradata(created.encoder, &data, &size) == VTC_OK);
        const std::vector<uint8_t> bytes(data, data + size);
        const bool hevc = codec == VTC_CODEC_HEVC;
        CHECK(has_nal(bytes, hevc, hevc ? 33 : 7)); // SPS
        CHECK(has_nal(bytes, hevc, hevc ? 34 : 8)); // PPS
        if (hevc) {
            CHECK(has_nal(bytes, true, 32)); // VPS
        }
        vt(codec).destroy(created.encoder);
    }
}

TEST_CASE("rate control reaches the driver as the README's table says") {
    struct Case {
        int32_t codec;
        int32_t mode;
        int32_t quality;
        uint32_t bitrate;
        uint32_t max;
        uint32_t vbv;
        const char *expected;
    };
    const Case cases[] = {
        // VLog's capped CRF: quality target with a cap, buffer 2 s of the cap.
        {VTC_CODEC_H264, VTC_RATE_CONTROL_CAPPED_CRF, VTC_QUALITY_DEFAULT, 0, 1500, 0,
         "rc=vbr avg=0 max=1500000 vbv=3000000 cq=23"},
        {VTC_CODEC_HEVC, VTC_RATE_CONTROL_CAPPED_CRF, VTC_QUALITY_DEFAULT, 0, 1500, 4000,
         "rc=vbr avg=0 max=1500000 vbv=4000000 cq=28"},
        {VTC_CODEC_H264, VTC_RATE_CONTROL_CRF, 30, 0, 0, 0, "rc=vbr avg=0 max=0 vbv=0 cq=30"},
        {VTC_CODEC_H264, VTC_RATE_CONTROL_CQP, 27, 0, 0, 0, "rc=cqp avg=0 max=0 vbv=0 cq=0 qp=27"},
        {VTC_CODEC_HEVC, VTC_RATE_CONTROL_VBR, VTC_QUALITY_DEFAULT, 800, 1200, 0,
         "rc=vbr avg=800000 max=1200000 vbv=2400000 cq=0"},
        {VTC_CODEC_H264, VTC_RATE_CONTROL_CBR, VTC_QUALITY_DEFAULT, 900, 0, 0,
         "rc=cbr avg=900000 max=900000 vbv=1800000"},
    };
    for (const Case &c : cases) {
        vtc_encoder_config config = make_config(c.codec);
        config.rate_control = c.mode;
        config.quality = c.quality;
        config.bitrate_kbps = c.bitrate;
        config.max_bitrate_kbps = c.max;
        config.vbv_buffer_kbits = c.vbv;
        Trace trace;
        TestHost host;
        CreateResult created = create(config, host);
        REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
        vt(c.codec).destroy(created.encoder);
        CHECK_MESSAGE(trace.text().find(c.expected) != std::string::npos,
                      "expected '" << std::string(c.expected) << "' in: " << trace.text());
    }
}

TEST_CASE("presets: x264 names, SVT-AV1 numbers and p1..p7 map onto NVENC's scale") {
    const std::pair<const char *, const char *> mapped[] = {
        {nullptr, "preset=p4"},   {"ultrafast", "preset=p1"}, {"veryfast", "preset=p2"},
        {"medium", "preset=p4"},  {"slow", "preset=p5"},      {"veryslow", "preset=p7"},
        {"placebo", "preset=p7"}, {"0", "preset=p7"},         {"6", "preset=p4"},
        {"13", "preset=p1"},      {"p6", "preset=p6"},
    };
    for (const auto &[name, expected] : mapped) {
        const std::string wanted = expected;
        CAPTURE(wanted);
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.preset = name;
        Trace trace;
        TestHost host;
        CreateResult created = create(config, host);
        REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
        vt(VTC_CODEC_H264).destroy(created.encoder);
        const std::string text = trace.text();
        CHECK(text.find(expected) != std::string::npos);
        CHECK(text.find("tuning=1") != std::string::npos); // high quality
    }
    for (const char *bad : {"p8", "14", "fastest", "P4", ""}) {
        const std::string name = bad;
        CAPTURE(name);
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.preset = bad;
        TestHost host;
        const CreateResult created = create(config, host);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
        CHECK(created.error.find("unknown NVENC preset") != std::string::npos);
    }
}

TEST_CASE("options: known keys reach the driver, unknown ones are refused by name") {
    vtc_encoder_config config = make_config(VTC_CODEC_HEVC);
    const char *good[] = {"lookahead=8", "tune=hq", "spatial-aq=1", nullptr};
    config.options = good;
    {
        Trace trace;
        TestHost host;
        CreateResult created = create(config, host);
        REQUIRE_MESSAGE(created.status == VTC_OK, created.error);
        vt(VTC_CODEC_HEVC).destroy(created.encoder);
        CHECK(trace.text().find("lookahead=8") != std::string::npos);
    }
    const char *unknown[] = {"crf=20", nullptr};
    config.options = unknown;
    TestHost host;
    CreateResult created = create(config, host);
    CHECK(created.status == VTC_ERR_INVALID_ARG);
    CHECK(created.error.find("unknown NVENC option 'crf'") != std::string::npos);

    const char *bad_value[] = {"lookahead=99", nullptr};
    config.options = bad_value;
    created = create(config, host);
    CHECK(created.status == VTC_ERR_INVALID_ARG);
    CHECK(created.error.find("'lookahead'") != std::string::npos);
}

TEST_CASE("configs NVENC cannot honour are refused precisely") {
    TestHost host;
    SUBCASE("10-bit H.264") {
        const CreateResult created =
            create(make_config(VTC_CODEC_H264, VTC_PIXEL_FORMAT_I420_10), host);
        CHECK(created.status == VTC_ERR_UNSUPPORTED);
        CHECK(created.error.find("no 10-bit H.264") != std::string::npos);
    }
    SUBCASE("a device that does not exist") {
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.device = "3";
        const CreateResult created = create(config, host);
        CHECK(created.status == VTC_ERR_NO_DEVICE);
        CHECK(created.error.find("CUDA device 3 does not exist") != std::string::npos);
    }
    SUBCASE("a device name that is no ordinal") {
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.device = "/dev/dri/renderD128";
        const CreateResult created = create(config, host);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
    }
    SUBCASE("more B-frames than the GPU allows") {
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.max_b_frames = 7;
        const CreateResult created = create(config, host);
        CHECK(created.status == VTC_ERR_UNSUPPORTED);
    }
    SUBCASE("a quality outside the scale") {
        vtc_encoder_config config = make_config(VTC_CODEC_H264);
        config.quality = 52;
        const CreateResult created = create(config, host);
        CHECK(created.status == VTC_ERR_INVALID_ARG);
    }
}

TEST_CASE("the session limit gives DEVICE_BUSY naming it, and frees with destroy") {
    FakeEnv limit("FAKE_NVENC_MAX_SESSIONS", "1");
    TestHost host;
    const vtc_encoder_config config = make_config(VTC_CODEC_H264);
    CreateResult first = create(config, host);
    REQUIRE_MESSAGE(first.status == VTC_OK, first.error);
    const CreateResult second = create(config, host);
    CHECK(second.status == VTC_ERR_DEVICE_BUSY);
    CHECK(second.error.find("session limit") != std::string::npos);
    CHECK(second.encoder == nullptr);
    vt(VTC_CODEC_H264).destroy(first.encoder);
    CreateResult third = create(config, host);
    CHECK(third.status == VTC_OK);
    vt(VTC_CODEC_H264).destroy(third.encoder);
}

TEST_CASE("with every session taken at probe time, caps are the safe common set") {
    FakeEnv limit("FAKE_NVENC_MAX_SESSIONS", "0");
    for (const int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        CAPTURE(codec);
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof caps;
        char error[256] = "";
        REQUIRE_MESSAGE(vt(codec).query_caps(nullptr, &caps, error, sizeof error) == VTC_OK, error);
        CHECK(caps.bit_depths == VTC_BIT_DEPTH_8);
        CHECK((caps.flags & VTC_ENCODER_CAP_B_FRAMES) == 0);
        CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) != 0);
        CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)) != 0);
        CHECK(caps.max_width == 4096);
        CHECK(std::string(caps.device_name) == "Emulated NVENC GPU 0");
    }
    // The encoder itself still says precisely why it cannot start.
    TestHost host;
    const CreateResult created = create(make_config(VTC_CODEC_H264), host);
    CHECK(created.status == VTC_ERR_DEVICE_BUSY);
}

TEST_CASE("a device lost mid-stream is DEVICE_LOST with a clear last_error") {
    FakeEnv lose("FAKE_NVENC_LOSE_DEVICE_AFTER", "5");
    vtc_encoder_config config = make_config(VTC_CODEC_HEVC);
    const Encoded encoded = encode(config, 20);
    CHECK(encoded.failure == VTC_ERR_DEVICE_LOST);
    CHECK(encoded.failure_text.find("device was lost") != std::string::npos);
    CHECK(encoded.failure_text.find("NV_ENC_ERR_DEVICE_NOT_EXIST") != std::string::npos);
}
