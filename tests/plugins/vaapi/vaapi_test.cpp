// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Tests of vtc-vaapi.so against the emulated VA-API driver
// (tests/emulated/va): meson runs this with the driver's environment and the
// plugin's path in VTC_TEST_PLUGIN. What the plugin asked the driver to do is
// read back from the driver's trace (FAKE_VA_TRACE); what it produced is
// decoded with libavcodec. The driver's failure switches (FAKE_VA_*) are read
// at vaInitialize, so each case sets them before it creates an encoder.
#include <av_decode.hpp>
#include <synthetic_frames.hpp>
#include <vtranscode/plugin/vtc_plugin.h>

#include <doctest/doctest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using vtc::test::EncodedPacket;
using vtc::test::SyntheticFrame;

const vtc_plugin_descriptor &descriptor() {
    static const vtc_plugin_descriptor *loaded = [] {
        const char *path = std::getenv("VTC_TEST_PLUGIN");
        if (path == nullptr) {
            throw std::runtime_error("VTC_TEST_PLUGIN is not set; run this through meson test");
        }
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL); // resident for the whole run
        if (handle == nullptr) {
            throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
        }
        void *symbol = dlsym(handle, VTC_PLUGIN_ENTRY_SYMBOL);
        vtc_plugin_entry_fn entry = nullptr;
        std::memcpy(&entry, &symbol, sizeof entry);
        if (entry == nullptr) {
            throw std::runtime_error("no entry point");
        }
        return entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
    }();
    return *loaded;
}

const vtc_encoder_vtbl &vt(int32_t codec) {
    const vtc_plugin_descriptor &d = descriptor();
    for (uint32_t i = 0; i < d.encoder_count; ++i) {
        if (d.encoders[i]->codec == codec) {
            return *d.encoders[i]->vtbl;
        }
    }
    throw std::runtime_error("the plugin has no encoder for codec " + std::to_string(codec));
}

// Sets an environment variable for one scope.
class Env {
public:
    Env(const char *name, const std::string &value) : name_(name) {
        if (const char *old = std::getenv(name)) {
            old_ = old;
        }
        setenv(name, value.c_str(), 1);
    }
    ~Env() {
        if (old_) {
            setenv(name_, old_->c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    Env(const Env &) = delete;
    Env &operator=(const Env &) = delete;

private:
    const char *name_;
    std::optional<std::string> old_;
};

// The driver's trace for one scope, in a fresh temporary file.
class Trace {
public:
    Trace() : path_(make_path()), env_("FAKE_VA_TRACE", path_) {}
    ~Trace() { unlink(path_.c_str()); }
    std::vector<std::string> lines(const std::string &prefix) const {
        std::vector<std::string> out;
        std::ifstream in(path_);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(prefix, 0) == 0) {
                out.push_back(line);
            }
        }
        return out;
    }
    std::string session() const {
        const auto all = lines("session ");
        return all.empty() ? std::string() : all.back();
    }

private:
    static std::string make_path() {
        char name[] = "/tmp/vtc-vaapi-trace-XXXXXX";
        const int fd = mkstemp(name);
        if (fd >= 0) {
            close(fd);
        }
        return name;
    }
    std::string path_;
    Env env_;
};

class Host {
public:
    Host() {
        host_.struct_size = sizeof host_;
        host_.log_level = VTC_LOG_TRACE;
        host_.ctx = this;
        host_.log = [](void *ctx, int32_t level, const char *message) {
            auto *self = static_cast<Host *>(ctx);
            const std::lock_guard lock(self->mutex_);
            self->lines_.emplace_back(level, message);
        };
        host_.is_cancelled = [](void *) -> int32_t { return 0; };
        host_.get_service = [](void *, const char *) -> const void * { return nullptr; };
    }
    const vtc_host *get() const { return &host_; }
    int count(int32_t level, const std::string &needle) const {
        const std::lock_guard lock(mutex_);
        int n = 0;
        for (const auto &[l, text] : lines_) {
            n += l == level && text.find(needle) != std::string::npos ? 1 : 0;
        }
        return n;
    }

private:
    vtc_host host_{};
    mutable std::mutex mutex_;
    std::vector<std::pair<int32_t, std::string>> lines_;
};

vtc_encoder_config base_config(int32_t codec, uint32_t width = 192, uint32_t height = 108,
                               int32_t pixel_format = VTC_PIXEL_FORMAT_I420) {
    vtc_encoder_config c;
    vtc_encoder_config_defaults(&c);
    c.codec = codec;
    c.width = width;
    c.height = height;
    c.pixel_format = pixel_format;
    c.memory_type = VTC_MEMORY_SYSTEM;
    c.time_base = {1, 90000};
    c.frame_rate = {25, 1};
    c.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
    c.quality = VTC_QUALITY_DEFAULT;
    c.max_bitrate_kbps = 1000;
    c.max_keyframe_interval = 250;
    return c;
}

constexpr int64_t kTicks = 3600;

struct Run {
    vtc_status create = VTC_ERR_INTERNAL;
    std::string create_error;
    vtc_status end = VTC_ERR_INTERNAL; // VTC_END_OF_STREAM when everything went well
    std::string last_error;
    int failed_at = -1; // frame whose send failed
    std::vector<uint8_t> extradata;
    std::vector<EncodedPacket> packets;
};

class Session {
public:
    // The host must outlive the encoder (vtc_encoder.h); without one the
    // session lends its own.
    explicit Session(const vtc_encoder_config &config, const Host *host = nullptr)
        : config_(config), vt_(vt(config.codec)) {
        char error[512] = {};
        status_ = vt_.create((host != nullptr ? host : &own_host_)->get(), &config, &enc_, error,
                             sizeof error);
        error_ = error;
    }
    ~Session() { vt_.destroy(enc_); }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;
    vtc_status status() const { return status_; }
    const std::string &error() const { return error_; }

    Run encode(int count, int32_t pixel_format, const std::set<int> &forced) {
        Run run;
        run.create = status_;
        run.create_error = error_;
        if (status_ != VTC_OK) {
            return run;
        }
        const uint8_t *data = nullptr;
        uint64_t size = 0;
        if (vt_.get_extradata(enc_, &data, &size) == VTC_OK) {
            run.extradata.assign(data, data + size);
        }
        SyntheticFrame frame(pixel_format, width_of(), height_of());
        for (int i = 0; i < count; ++i) {
            const vtc_frame &f =
                frame.fill(i, i * kTicks, forced.count(i) != 0 ? VTC_FRAME_FORCE_KEYFRAME : 0u);
            vtc_status s;
            while ((s = vt_.send_frame(enc_, &f)) == VTC_OUTPUT_PENDING) {
                collect(run);
            }
            if (s == VTC_OK) {
                s = collect(run);
                s = s == VTC_NEED_INPUT ? VTC_OK : s;
            }
            if (s != VTC_OK) {
                run.end = s;
                run.failed_at = i;
                run.last_error = vt_.last_error(enc_);
                return run;
            }
        }
        vt_.drain(enc_);
        run.end = collect(run);
        run.last_error = vt_.last_error(enc_);
        return run;
    }

private:
    uint32_t width_of() const { return config_.width; }
    uint32_t height_of() const { return config_.height; }
    vtc_status collect(Run &run) {
        for (;;) {
            vtc_packet p{};
            p.struct_size = sizeof p;
            const vtc_status s = vt_.receive_packet(enc_, &p);
            if (s != VTC_OK) {
                return s;
            }
            EncodedPacket e;
            e.data.assign(p.data, p.data + p.size);
            e.pts = p.pts;
            e.dts = p.dts;
            e.is_keyframe = (p.flags & VTC_PACKET_KEYFRAME) != 0;
            run.packets.push_back(std::move(e));
        }
    }

    vtc_encoder_config config_;
    Host own_host_;
    const vtc_encoder_vtbl &vt_;
    vtc_encoder *enc_ = nullptr;
    vtc_status status_ = VTC_ERR_INTERNAL;
    std::string error_;
};

Run encode(const vtc_encoder_config &config, int count, const std::set<int> &forced = {0},
           const Host &host = Host()) {
    Session session(config, &host);
    return session.encode(count, config.pixel_format, forced);
}

std::set<int64_t> key_frames(const std::vector<EncodedPacket> &packets) {
    std::set<int64_t> out;
    for (const auto &p : packets) {
        if (p.is_keyframe) {
            out.insert(p.pts / kTicks);
        }
    }
    return out;
}

// NAL unit types of an Annex B stream, in order.
std::vector<int> nal_types(const std::vector<uint8_t> &data, int32_t codec) {
    std::vector<int> out;
    for (size_t i = 0; i + 3 < data.size(); ++i) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            const uint8_t h = data[i + 3];
            out.push_back(codec == VTC_CODEC_H264 ? h & 0x1f : (h >> 1) & 0x3f);
            i += 2;
        }
    }
    return out;
}

vtc_status caps_of(int32_t codec, vtc_encoder_caps &caps, std::string &error) {
    caps = vtc_encoder_caps{};
    caps.struct_size = sizeof caps;
    char buffer[512] = {};
    Host host;
    const vtc_status s = vt(codec).query_caps(host.get(), &caps, buffer, sizeof buffer);
    error = buffer;
    return s;
}

bool has(const std::string &text, const std::string &needle) {
    return text.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("capabilities come from the driver") {
    vtc_encoder_caps caps;
    std::string error;
    REQUIRE(caps_of(VTC_CODEC_H264, caps, error) == VTC_OK);
    CHECK((caps.flags & VTC_ENCODER_CAP_HARDWARE) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0);
    CHECK((caps.flags & VTC_ENCODER_CAP_B_FRAMES) == 0); // the driver reports L1 = 0
    CHECK(caps.max_width == 4096);
    CHECK(caps.bit_depths == VTC_BIT_DEPTH_8);
    CHECK((caps.profiles & VTC_BIT(VTC_PROFILE_H264_HIGH)) != 0);
    CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)) != 0);
    CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CBR)) != 0);
    CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CRF)) == 0); // no ICQ
    CHECK(caps.memory_types == VTC_BIT(VTC_MEMORY_SYSTEM));

    REQUIRE(caps_of(VTC_CODEC_HEVC, caps, error) == VTC_OK);
    CHECK(caps.bit_depths == (VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10));
    CHECK((caps.pixel_formats & VTC_BIT(VTC_PIXEL_FORMAT_P010)) != 0);

    // No AV1 here: FFmpeg 5.1 has no av1_vaapi and the driver no AV1 profile.
    CHECK(caps_of(VTC_CODEC_AV1, caps, error) == VTC_ERR_UNSUPPORTED);
    CHECK(has(error, "AV1") + has(error, "av1_vaapi") > 0);
    CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("no device or no driver: NO_DEVICE with a one-line reason") {
    vtc_encoder_caps caps;
    std::string error;
    {
        Env device("VTC_VAAPI_DEVICE", "/nonexistent/renderD128");
        CHECK(caps_of(VTC_CODEC_H264, caps, error) == VTC_ERR_NO_DEVICE);
        CHECK(has(error, "/nonexistent/renderD128"));
        CHECK(has(error, "No such file"));
    }
    {
        Env device("VTC_VAAPI_DEVICE", "/dev/null"); // not a DRM node
        CHECK(caps_of(VTC_CODEC_H264, caps, error) == VTC_ERR_NO_DEVICE);
        CHECK(has(error, "not a DRM render node"));
    }
    {
        Env driver("LIBVA_DRIVER_NAME", "vtc_no_such_driver");
        CHECK(caps_of(VTC_CODEC_HEVC, caps, error) == VTC_ERR_NO_DEVICE);
        CHECK(has(error, "vaInitialize failed"));
        CHECK(error.find('\n') == std::string::npos);
        Session session(base_config(VTC_CODEC_H264));
        CHECK(session.status() == VTC_ERR_NO_DEVICE);
        CHECK(has(session.error(), "vaInitialize failed"));
    }
}

TEST_CASE("forced keyframes are IDRs exactly on the flagged frames") {
    for (int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        CAPTURE(codec);
        Trace trace;
        const Run run = encode(base_config(codec), 30, {0, 7, 19});
        REQUIRE(run.create == VTC_OK);
        REQUIRE(run.end == VTC_END_OF_STREAM);
        REQUIRE(run.packets.size() == 30);
        CHECK(key_frames(run.packets) == std::set<int64_t>{0, 7, 19});
        const auto report = vtc::test::decode_stream(codec, {}, run.packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == 30);
        std::set<int64_t> decoded_keys;
        for (const auto &f : report.frames) {
            if (f.is_keyframe) {
                decoded_keys.insert(f.pts / kTicks);
            }
            CHECK(f.picture_type != 'B');
        }
        CHECK(decoded_keys == std::set<int64_t>{0, 7, 19});
        // Each IDR packet carries its parameter sets in-band.
        for (int64_t k : {0, 7, 19}) {
            const auto types = nal_types(run.packets[static_cast<size_t>(k)].data, codec);
            const std::set<int> seen(types.begin(), types.end());
            CHECK(seen.count(codec == VTC_CODEC_H264 ? 7 : 33) == 1);
            CHECK(seen.count(codec == VTC_CODEC_H264 ? 5 : 19) + seen.count(20) > 0);
        }
        CHECK(trace.lines("picture ").size() == 30);
    }
}

TEST_CASE("GOP length and a B-frame request on a device without B-frames") {
    auto config = base_config(VTC_CODEC_H264);
    config.max_keyframe_interval = 10;
    config.max_b_frames = 3;
    config.flags |= VTC_ENCODER_CONFIG_CLOSED_GOP;
    const Run run = encode(config, 25);
    REQUIRE(run.end == VTC_END_OF_STREAM);
    CHECK(key_frames(run.packets) == std::set<int64_t>{0, 10, 20});
    for (const auto &p : run.packets) {
        CHECK(p.dts == p.pts); // P-only: decode order is presentation order
    }
}

TEST_CASE("capped CRF maps onto QVBR: quality, cap and buffer") {
    Trace trace;
    auto config = base_config(VTC_CODEC_H264);
    config.quality = 21;
    config.max_bitrate_kbps = 1500;
    config.vbv_buffer_kbits = 3000;
    REQUIRE(encode(config, 3).end == VTC_END_OF_STREAM);
    const std::string session = trace.session();
    CHECK(has(session, "rc=QVBR"));
    CHECK(has(session, "quality=21"));
    CHECK(has(session, "bps=1500000"));
    CHECK(has(session, "target=100"));
    CHECK(has(session, "hrd=3000000"));
    CHECK(has(session, "fps=25/1"));
}

TEST_CASE("capped CRF without QVBR runs as VBR at the cap, with one warning") {
    Env no_qvbr("FAKE_VA_NO_QVBR", "1");
    vtc_encoder_caps caps;
    std::string error;
    REQUIRE(caps_of(VTC_CODEC_HEVC, caps, error) == VTC_OK);
    CHECK((caps.rate_control_modes & VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF)) != 0);
    Trace trace;
    Host host;
    auto config = base_config(VTC_CODEC_HEVC);
    config.max_bitrate_kbps = 800;
    REQUIRE(encode(config, 3, {0}, host).end == VTC_END_OF_STREAM);
    CHECK(has(trace.session(), "rc=VBR"));
    CHECK(has(trace.session(), "bps=800000"));
    CHECK(has(trace.session(), "target=75"));
    CHECK(host.count(VTC_LOG_WARNING, "has no QVBR") == 1);
    // Once per process, not once per rung.
    Host second;
    REQUIRE(encode(config, 2, {0}, second).end == VTC_END_OF_STREAM);
    CHECK(second.count(VTC_LOG_WARNING, "has no QVBR") == 0);
}

TEST_CASE("CQP, CBR and VBR reach the driver") {
    struct Case {
        int32_t mode;
        const char *expect_rc;
        const char *expect_bps;
        const char *expect_target;
    };
    for (const Case &k : {Case{VTC_RATE_CONTROL_CQP, "rc=CQP", "bps=0", "target=100"},
                          Case{VTC_RATE_CONTROL_CBR, "rc=CBR", "bps=600000", "target=100"},
                          Case{VTC_RATE_CONTROL_VBR, "rc=VBR", "bps=1200000", "target=50"}}) {
        CAPTURE(k.expect_rc);
        Trace trace;
        auto config = base_config(VTC_CODEC_H264);
        config.rate_control = k.mode;
        config.quality = 30;
        config.bitrate_kbps = 600;
        config.max_bitrate_kbps = k.mode == VTC_RATE_CONTROL_VBR ? 1200 : 0;
        const Run run = encode(config, 3);
        REQUIRE_MESSAGE(run.end == VTC_END_OF_STREAM, run.create_error, run.last_error);
        CHECK(has(trace.session(), k.expect_rc));
        CHECK(has(trace.session(), k.expect_bps));
        CHECK(has(trace.session(), k.expect_target));
    }
    auto config = base_config(VTC_CODEC_H264);
    config.rate_control = VTC_RATE_CONTROL_CRF; // needs ICQ, which the driver lacks
    Session session(config);
    CHECK(session.status() == VTC_ERR_UNSUPPORTED);
    CHECK(has(session.error(), "ICQ"));
}

TEST_CASE("presets map onto the driver's quality levels") {
    for (const auto &[preset, level] :
         std::vector<std::pair<const char *, const char *>>{{"veryslow", "level=1"},
                                                            {"medium", "level=4"},
                                                            {"faster", "level=6"},
                                                            {"ultrafast", "level=7"},
                                                            {"level2", "level=2"}}) {
        CAPTURE(preset);
        Trace trace;
        auto config = base_config(VTC_CODEC_H264);
        config.preset = preset;
        REQUIRE(encode(config, 1).end == VTC_END_OF_STREAM);
        CHECK(has(trace.session(), level));
    }
    for (const char *bad : {"bogus", "6", "level0", "level8", ""}) {
        CAPTURE(bad);
        auto config = base_config(VTC_CODEC_H264);
        config.preset = bad;
        Session session(config);
        CHECK(session.status() == VTC_ERR_INVALID_ARG);
        CHECK(has(session.error(), "preset"));
    }
}

TEST_CASE("options: unknown keys and bad values are refused, naming the key") {
    const char *unknown[] = {"tune=film", nullptr};
    auto config = base_config(VTC_CODEC_HEVC);
    config.options = unknown;
    Session a(config);
    CHECK(a.status() == VTC_ERR_INVALID_ARG);
    CHECK(has(a.error(), "'tune'"));
    const char *bad_value[] = {"low_power=2", nullptr};
    config.options = bad_value;
    Session b(config);
    CHECK(b.status() == VTC_ERR_INVALID_ARG);
    CHECK(has(b.error(), "low_power"));
    const char *good[] = {"async_depth=2", nullptr};
    config.options = good;
    CHECK(encode(config, 2).end == VTC_END_OF_STREAM);
}

TEST_CASE("global header: extradata right after create, equal to the in-band parameter sets") {
    for (int32_t codec : {VTC_CODEC_H264, VTC_CODEC_HEVC}) {
        CAPTURE(codec);
        auto config = base_config(codec);
        config.flags |= VTC_ENCODER_CONFIG_GLOBAL_HEADER;
        const Run run = encode(config, 10, {0, 5});
        REQUIRE(run.end == VTC_END_OF_STREAM);
        REQUIRE(run.extradata.size() > 4);
        const auto types = nal_types(run.extradata, codec);
        const std::vector<int> want =
            codec == VTC_CODEC_H264 ? std::vector<int>{7, 8} : std::vector<int>{32, 33, 34};
        CHECK(types == want);
        // The harvested sets are the stream's own: its first packet starts with them.
        const auto &first = run.packets.front().data;
        REQUIRE(first.size() > run.extradata.size());
        CHECK(std::search(first.begin(), first.end(), run.extradata.begin() + 4,
                          run.extradata.end()) != first.end());
        const auto report = vtc::test::decode_stream(codec, run.extradata, run.packets);
        CHECK_MESSAGE(report.ok, report.error);
        CHECK(report.frames.size() == 10);
    }
    // Without the flag there is none.
    Session session(base_config(VTC_CODEC_H264));
    const uint8_t *data = nullptr;
    uint64_t size = 0;
    CHECK(vt(VTC_CODEC_H264).get_extradata(nullptr, &data, &size) == VTC_ERR_INVALID_ARG);
}

TEST_CASE("10-bit HEVC from I420_10 and P010") {
    for (int32_t format : {VTC_PIXEL_FORMAT_I420_10, VTC_PIXEL_FORMAT_P010}) {
        CAPTURE(format);
        const Run run = encode(base_config(VTC_CODEC_HEVC, 128, 72, format), 5);
        REQUIRE(run.end == VTC_END_OF_STREAM);
        const auto report = vtc::test::decode_stream(VTC_CODEC_HEVC, {}, run.packets);
        REQUIRE_MESSAGE(report.ok, report.error);
        REQUIRE(report.frames.size() == 5);
        CHECK(report.frames[0].bit_depth == 10);
        CHECK(report.profile == 2); // Main 10
    }
    // H.264 has no 10-bit VA profile.
    Session session(base_config(VTC_CODEC_H264, 128, 72, VTC_PIXEL_FORMAT_I420_10));
    CHECK(session.status() == VTC_ERR_UNSUPPORTED);
}

TEST_CASE("session limit: DEVICE_BUSY once the device's sessions are taken") {
    Env limit("FAKE_VA_MAX_CONTEXTS", "1");
    // MAX_NUM_EXCEEDED (a session limit) and ALLOCATION_FAILED (iHD's answer
    // when its resources run out) both mean "busy".
    for (const auto &[global_header, error] :
         std::vector<std::pair<bool, const char *>>{{false, ""}, {true, ""}, {false, "alloc"}}) {
        CAPTURE(global_header);
        CAPTURE(error);
        Env kind("FAKE_VA_CONTEXT_ERROR", error);
        auto config = base_config(VTC_CODEC_H264);
        if (global_header) {
            config.flags |= VTC_ENCODER_CONFIG_GLOBAL_HEADER;
        }
        Session first(config);
        REQUIRE_MESSAGE(first.status() == VTC_OK, first.error());
        Session second(config);
        CHECK(second.status() == VTC_ERR_DEVICE_BUSY);
        CHECK(has(second.error(), "no free encode session"));
        CHECK(second.error().find('\n') == std::string::npos);
    }
    // Freed sessions are available again.
    Session again(base_config(VTC_CODEC_HEVC));
    CHECK(again.status() == VTC_OK);
}

TEST_CASE("device lost mid-stream: DEVICE_LOST and a clear last_error") {
    Env lose("FAKE_VA_LOSE_DEVICE_AFTER", "6");
    const Run run = encode(base_config(VTC_CODEC_HEVC), 20);
    REQUIRE(run.create == VTC_OK);
    CHECK(run.end == VTC_ERR_DEVICE_LOST);
    CHECK(run.failed_at == 6);
    CHECK(run.packets.size() == 6);
    CHECK(has(run.last_error, "lost"));
    CHECK(run.last_error.find('\n') == std::string::npos);
}

TEST_CASE("bad configs are refused before the device is touched") {
    auto config = base_config(VTC_CODEC_H264, 190, 107); // odd height
    Session odd(config);
    CHECK(odd.status() == VTC_ERR_UNSUPPORTED);
    config = base_config(VTC_CODEC_H264, 8192, 4320);
    Session big(config);
    CHECK(big.status() == VTC_ERR_UNSUPPORTED);
    CHECK(has(big.error(), "4096"));
    config = base_config(VTC_CODEC_H264);
    config.quality = 60;
    Session quality(config);
    CHECK(quality.status() == VTC_ERR_INVALID_ARG);
    config = base_config(VTC_CODEC_HEVC);
    config.profile = VTC_PROFILE_HEVC_MAIN10; // 8-bit input
    Session profile(config);
    CHECK(profile.status() == VTC_ERR_UNSUPPORTED);
}

TEST_CASE("planar and interleaved input give the same stream (the upload converts exactly)") {
    // The synthetic pictures hold the same samples in every layout, and the
    // emulated driver encodes deterministically, so the conversion to
    // NV12/P010 is right exactly when the bitstreams are equal.
    const std::vector<std::tuple<int32_t, int32_t, int32_t>> pairs = {
        {VTC_CODEC_H264, VTC_PIXEL_FORMAT_I420, VTC_PIXEL_FORMAT_NV12},
        {VTC_CODEC_HEVC, VTC_PIXEL_FORMAT_I420_10, VTC_PIXEL_FORMAT_P010},
    };
    for (const auto &[codec, planar, interleaved] : pairs) {
        CAPTURE(codec);
        const Run a = encode(base_config(codec, 128, 72, planar), 4);
        const Run b = encode(base_config(codec, 128, 72, interleaved), 4);
        REQUIRE(a.end == VTC_END_OF_STREAM);
        REQUIRE(b.end == VTC_END_OF_STREAM);
        REQUIRE(a.packets.size() == b.packets.size());
        for (size_t i = 0; i < a.packets.size(); ++i) {
            CHECK(a.packets[i].data == b.packets[i].data);
        }
    }
}
