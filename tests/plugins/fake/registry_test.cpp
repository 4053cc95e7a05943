// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The registry over the whole zoo: probing in child processes (crashes and
// hangs stay there), one log line per refusal, candidates, sessions, and
// module lifetime.
#include "fake_env.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <doctest/doctest.h>

#include <dlfcn.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using vtc::test::fake;

namespace {

// What scanning the zoo directory must give, plugin by plugin ("" = loaded).
std::map<std::string, std::string> expected_zoo() {
    return {
        {"abi_1_0", ""},
        {"abi_major_2", "built for plugin ABI 2.0, this host supports 1.1"},
        {"bad_id", "encoder id 'Bad ID' has characters outside [a-z0-9._-]"},
        {"caps_crash", ""},
        {"dup_a", ""},
        {"dup_b", "encoder id 'dup-h264' is already provided by " + fake("dup_a").string()},
        {"entry_crash", "probe crashed (signal 11)"},
        {"garbage_encoder_size",
         "encoder 0: struct_size 4294967295 is larger than ABI 1.1 defines (40 bytes)"},
        {"garbage_size",
         "descriptor struct_size 4294967295 is larger than ABI 1.1 defines (56 bytes)"},
        {"good", ""},
        {"gpl", "licence 'GPL-2.0-or-later' is GPL and this host does not allow GPL plugins"},
        {"missing_member", "encoder 'missing_member-h264': vtable member receive_packet is NULL"},
        {"named_device", ""},
        {"newer_minor", "built for plugin ABI 1.2, this host supports 1.1"},
        {"no_entry", "does not export vtc_plugin_entry"},
        {"nodevice", ""},
        {"null_descriptor", "vtc_plugin_entry returned NULL"},
        {"short_struct", "descriptor struct_size 16 is smaller than the ABI 1.0 size (56 bytes)"},
        {"throws", ""},
        {"unknown_codec", "encoder 'unknown_codec-h264': unknown codec 99"},
        {"wrong_name",
         "descriptor name 'other' does not match the file name (expected 'wrong_name')"},
    };
}

vtc::RegistryOptions zoo_options(const vtc::test::CapturedLog &log) {
    vtc::RegistryOptions options; // search path and probe from the environment meson sets
    options.allow_gpl = false;
    options.logger = log.logger();
    return options;
}

std::shared_ptr<vtc::EncoderRegistry> scan_good(const vtc::test::CapturedLog &log) {
    vtc::RegistryOptions options;
    options.plugin_files = {fake("good"), fake("nodevice"), fake("throws")};
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    return *registry;
}

vtc_encoder_config h264_config(uint32_t width = 64, uint32_t height = 64) {
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = VTC_CODEC_H264;
    config.width = width;
    config.height = height;
    config.pixel_format = VTC_PIXEL_FORMAT_I420;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 25};
    config.frame_rate = {25, 1};
    config.rate_control = VTC_RATE_CONTROL_CRF;
    return config;
}

// A frame the SDK adapter accepts (it checks size, format and that there are pixels).
struct Frame {
    std::vector<uint8_t> pixels = std::vector<uint8_t>(64 * 64 * 3 / 2, 0x80);
    vtc_frame frame{};
    Frame(int64_t pts, uint32_t flags = 0) {
        frame.struct_size = sizeof(frame);
        frame.pixel_format = VTC_PIXEL_FORMAT_I420;
        frame.width = 64;
        frame.height = 64;
        frame.memory_type = VTC_MEMORY_SYSTEM;
        frame.flags = flags;
        frame.pts = pts;
        frame.planes[0] = pixels.data();
        frame.planes[1] = pixels.data() + 64 * 64;
        frame.planes[2] = pixels.data() + 64 * 64 + 32 * 32;
        frame.strides[0] = 64;
        frame.strides[1] = 32;
        frame.strides[2] = 32;
    }
};

bool module_is_mapped(const std::filesystem::path &file) {
    void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) {
        return false;
    }
    dlclose(handle); // drop the reference RTLD_NOLOAD just took
    return true;
}

} // namespace

TEST_CASE("scanning the zoo gives each plugin its exact outcome, in one log line each") {
    vtc::test::CapturedLog log;
    auto registry = vtc::EncoderRegistry::scan(zoo_options(log));
    REQUIRE(registry);
    const auto expected = expected_zoo();
    REQUIRE((*registry)->plugins().size() == expected.size());
    for (const vtc::PluginInfo &plugin : (*registry)->plugins()) {
        const std::string stem = plugin.file.stem().string().substr(4); // drop "vtc-"
        CAPTURE(stem);
        REQUIRE(expected.count(stem) == 1);
        const std::string &reason = expected.at(stem);
        CHECK(plugin.rejection_reason == reason);
        CHECK(plugin.loaded == reason.empty());
        const auto lines = log.matching(" " + plugin.file.string() + ":");
        if (reason.empty()) {
            CHECK(plugin.name == stem);
            REQUIRE(lines.size() == 1);
            CHECK(lines[0].rfind("info registry: loaded " + plugin.file.string() + ": " + stem,
                                 0) == 0);
        } else {
            REQUIRE(lines.size() == 1);
            CHECK(lines[0] == "warning registry: refused " + plugin.file.string() + ": " + reason);
        }
    }
    // Nothing else was logged at warning level or above.
    CHECK(log.matching("warning ").size() == 14);
    CHECK(log.matching("error ").empty());
}

TEST_CASE("the zoo's encoders carry their caps or the reason they are unavailable") {
    vtc::test::CapturedLog log;
    auto registry = vtc::EncoderRegistry::scan(zoo_options(log));
    REQUIRE(registry);
    std::vector<std::string> ids;
    for (const vtc::EncoderInfo &encoder : (*registry)->encoders()) {
        ids.push_back(encoder.id);
    }
    CHECK(ids == std::vector<std::string>{"abi_1_0-h264", "caps_crash-h264", "dup-h264",
                                          "good-h264", "good-hevc", "named_device-h264",
                                          "nodevice-h264", "throws-h264"});

    // ABI 1.1 device names cross the probe child intact, made printable UTF-8;
    // a 1.0 plugin's caps end before the name, whatever bytes lie there.
    const vtc::EncoderInfo *named = (*registry)->find("named_device-h264");
    REQUIRE(named != nullptr);
    REQUIRE(named->available);
    CHECK(named->caps.struct_size == sizeof(vtc_encoder_caps));
    CHECK(named->device_name() == "Fake GPU ? 8\xc2\xb0");
    const vtc::EncoderInfo *old_abi = (*registry)->find("abi_1_0-h264");
    REQUIRE(old_abi != nullptr);
    REQUIRE(old_abi->available);
    CHECK(old_abi->caps.struct_size == 64);
    CHECK(old_abi->device_name().empty());
    CHECK(old_abi->caps.device_name[0] == '\0');
    CHECK((*registry)->find("good-h264")->device_name().empty());

    const vtc::EncoderInfo *crash = (*registry)->find("caps_crash-h264");
    REQUIRE(crash != nullptr);
    CHECK_FALSE(crash->available);
    CHECK(crash->unavailable_reason == "probe crashed (signal 11)");
    CHECK(crash->caps.struct_size == 0);

    const vtc::EncoderInfo *nodevice = (*registry)->find("nodevice-h264");
    REQUIRE(nodevice != nullptr);
    CHECK_FALSE(nodevice->available);
    CHECK(nodevice->status == VTC_ERR_NO_DEVICE);
    CHECK(nodevice->unavailable_reason == "no fake device here");
    CHECK(log.matching("encoder nodevice-h264 unavailable").size() == 1);
    CHECK(log.matching("encoder nodevice-h264 unavailable")[0] ==
          "info registry: encoder nodevice-h264 unavailable (VTC_ERR_NO_DEVICE): no fake device "
          "here");

    const vtc::EncoderInfo *good = (*registry)->find("good-hevc");
    REQUIRE(good != nullptr);
    CHECK(good->available);
    CHECK(good->plugin == "good");
    CHECK(good->plugin_file == fake("good"));
    CHECK(good->codec == VTC_CODEC_HEVC);
    CHECK(good->rank == VTC_RANK_MARGINAL);
    CHECK(good->caps.bit_depths == (VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10));
    CHECK(good->caps.max_width == 8192);

    vtc::EncoderRequirements h264;
    h264.codec = VTC_CODEC_H264;
    std::vector<std::string> order;
    for (const auto &candidate : (*registry)->candidates(h264)) {
        order.push_back(candidate.id);
    }
    CHECK(order == std::vector<std::string>{"abi_1_0-h264", "dup-h264", "good-h264",
                                            "named_device-h264", "throws-h264"});
    order.clear();
    h264.width = 1920;
    h264.height = 1080;
    h264.pixel_format = VTC_PIXEL_FORMAT_NV12;
    for (const auto &candidate : (*registry)->candidates(h264, {"throws"})) {
        order.push_back(candidate.id);
    }
    CHECK(order == std::vector<std::string>{"good-h264"});
}

TEST_CASE("in-process probing gives the same answers for plugins that do not crash") {
    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.probe_mode = vtc::ProbeMode::in_process;
    options.plugin_files = {fake("good"), fake("nodevice"), fake("abi_major_2"), fake("dup_a"),
                            fake("dup_b")};
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    const auto &plugins = (*registry)->plugins();
    REQUIRE(plugins.size() == 5);
    CHECK(plugins[0].loaded);
    CHECK(plugins[1].loaded);
    CHECK(plugins[2].rejection_reason == "built for plugin ABI 2.0, this host supports 1.1");
    CHECK(plugins[3].loaded);
    CHECK(plugins[4].rejection_reason ==
          "encoder id 'dup-h264' is already provided by " + fake("dup_a").string());
    const vtc::EncoderInfo *nodevice = (*registry)->find("nodevice-h264");
    REQUIRE(nodevice != nullptr);
    CHECK(nodevice->unavailable_reason == "no fake device here");
    CHECK((*registry)->find("good-h264")->available);
    CHECK(log.matching("warning registry: refused").size() == 2);
}

TEST_CASE("a probe that hangs is killed at the timeout and its encoder marked unavailable") {
    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.search_path = {vtc::test::fake_hang_dir()};
    options.probe_timeout = 300ms;
    options.logger = log.logger();
    const auto start = std::chrono::steady_clock::now();
    auto registry = vtc::EncoderRegistry::scan(options);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
    REQUIRE(registry);
    REQUIRE((*registry)->plugins().size() == 1);
    CHECK((*registry)->plugins()[0].loaded);
    const vtc::EncoderInfo *hang = (*registry)->find("hang-h264");
    REQUIRE(hang != nullptr);
    CHECK_FALSE(hang->available);
    CHECK(hang->unavailable_reason == "probe timed out after 300 ms");
}

TEST_CASE("without the probe executable the registry queries in-process, with one warning") {
    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.plugin_files = {fake("good")};
    options.probe_executable = "/nonexistent/vtc-probe";
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    CHECK((*registry)->find("good-h264")->available);
    const auto warnings = log.matching("warning ");
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "warning registry: probe helper /nonexistent/vtc-probe is missing; "
                         "querying plugins in this process (a crashing plugin will crash it)");
}

TEST_CASE("files that are not plugins are each refused with one line and skipped") {
    vtc::test::TempDir dir;
    {
        std::ofstream corrupt(dir.path() / "vtc-corrupt.so", std::ios::binary);
        for (int i = 0; i < 4096; ++i) {
            corrupt.put(static_cast<char>((i * 7919 + 13) & 0xFF));
        }
    }
    std::ofstream(dir.path() / "vtc-empty.so").close();
    std::filesystem::create_directory(dir.path() / "vtc-dir.so");
    std::filesystem::copy_file(fake("good"), dir.path() / "vtc-good.so");
    std::filesystem::copy_file(fake("good"), dir.path() / "vtc-truncated.so");
    std::filesystem::resize_file(dir.path() / "vtc-truncated.so", 2048);

    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.search_path = {dir.path()};
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    const auto refused = log.matching("refused");
    REQUIRE(refused.size() == 4);
    CHECK(refused[0] == "warning registry: refused " + (dir.path() / "vtc-corrupt.so").string() +
                            ": cannot load: invalid ELF header");
    CHECK(refused[1] == "warning registry: refused " + (dir.path() / "vtc-dir.so").string() +
                            ": not a regular file");
    CHECK(refused[2] ==
          "warning registry: refused " + (dir.path() / "vtc-empty.so").string() + ": empty file");
    CHECK(refused[3].rfind("warning registry: refused " +
                               (dir.path() / "vtc-truncated.so").string() +
                               ": truncated ELF file: segment ",
                           0) == 0);
    CHECK((*registry)->find("good-h264") != nullptr); // the real plugin next to them still loads
}

TEST_CASE("a plugin name already loaded from an earlier directory is skipped") {
    vtc::test::TempDir dir;
    std::filesystem::copy_file(fake("good"), dir.path() / "vtc-good.so");
    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.search_path = {dir.path(), vtc::test::fake_dir()};
    options.allow_gpl = true;
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    CHECK((*registry)->find("good-h264")->plugin_file == dir.path() / "vtc-good.so");
    const auto lines = log.matching("refused " + fake("good").string());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "warning registry: refused " + fake("good").string() +
                          ": plugin 'good' is already loaded from " +
                          (dir.path() / "vtc-good.so").string());
    // allow_gpl = true: the GPL fake loads this time.
    CHECK((*registry)->find("gpl-h264") != nullptr);
}

TEST_CASE("rank overrides change ranks and rank 0 keeps an encoder out unless named") {
    vtc::test::CapturedLog log;
    vtc::RegistryOptions options;
    options.plugin_files = {fake("good")};
    options.rank_overrides = "good-h264:0, good-hevc:500, nvenc-h264:1";
    options.logger = log.logger();
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    CHECK((*registry)->find("good-h264")->rank == 0);
    CHECK((*registry)->find("good-h264")->declared_rank == VTC_RANK_SECONDARY);
    CHECK((*registry)->find("good-hevc")->rank == 500);
    CHECK(
        log.matching("VTC_ENCODER_RANKS names nvenc-h264, which no plugin provides here").size() ==
        1);
    vtc::EncoderRequirements any;
    auto all = (*registry)->candidates(any);
    REQUIRE(all.size() == 1);
    CHECK(all[0].id == "good-hevc");
    auto named = (*registry)->candidates(any, {"good-h264"});
    REQUIRE(named.size() == 2);
    CHECK(named[0].id == "good-h264");

    options.rank_overrides = "good-h264";
    auto bad = vtc::EncoderRegistry::scan(options);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == vtc::Errc::invalid_argument);
    CHECK(bad.error().to_string() == "VTC_ENCODER_RANKS: 'good-h264' is not id:rank");
}

TEST_CASE("the rank override comes from VTC_ENCODER_RANKS when not given") {
    vtc::test::ScopedEnv ranks("VTC_ENCODER_RANKS", "good-hevc:7");
    vtc::RegistryOptions options;
    options.plugin_files = {fake("good")};
    auto registry = vtc::EncoderRegistry::scan(options);
    REQUIRE(registry);
    CHECK((*registry)->find("good-hevc")->rank == 7);
}

TEST_CASE("load_file loads one plugin or says why not") {
    auto good = vtc::EncoderRegistry::load_file(fake("good"), {});
    REQUIRE(good);
    CHECK((*good)->encoders().size() == 2);
    auto refused = vtc::EncoderRegistry::load_file(fake("abi_major_2"), {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == vtc::Errc::plugin);
    CHECK(refused.error().to_string() == "plugin: " + fake("abi_major_2").string() +
                                             ": built for plugin ABI 2.0, this host supports 1.1");
}

TEST_CASE("a session encodes, drains and copies packets out of the plugin") {
    vtc::test::CapturedLog log;
    auto registry = scan_good(log);
    auto session = registry->open("good-h264", h264_config());
    REQUIRE(session);
    CHECK((*session)->encoder_id() == "good-h264");
    CHECK(registry->sessions_in_use().at("good-h264") == 1);
    CHECK(registry->sessions_in_use().at("good-hevc") == 0);
    CHECK(log.matching("info plugin good: good-h264 created 64x64, test marker service absent")
              .size() == 1);

    auto extradata = (*session)->extradata();
    REQUIRE(extradata);
    CHECK(*extradata == std::vector<uint8_t>{0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f});

    std::vector<vtc::Packet> packets;
    auto collect = [&] {
        for (;;) {
            vtc::Packet packet;
            auto state = (*session)->receive_packet(packet);
            REQUIRE(state);
            if (*state != vtc::FlowState::ok) {
                return *state;
            }
            packets.push_back(packet);
        }
    };
    for (int64_t pts = 0; pts < 5; ++pts) {
        Frame frame(pts, pts == 3 ? VTC_FRAME_FORCE_KEYFRAME : 0);
        auto sent = (*session)->send_frame(frame.frame);
        REQUIRE(sent);
        CHECK(*sent == vtc::FlowState::ok);
        CHECK(collect() == vtc::FlowState::need_input);
    }
    REQUIRE((*session)->drain());
    CHECK(collect() == vtc::FlowState::end_of_stream);
    REQUIRE(packets.size() == 5);
    for (int64_t i = 0; i < 5; ++i) {
        CAPTURE(i);
        const vtc::Packet &p = packets[static_cast<size_t>(i)];
        CHECK(p.pts == i);
        CHECK(p.dts == i);
        CHECK(p.duration == 1);
        CHECK(p.keyframe == (i == 0 || i == 3));
        REQUIRE(p.data.size() == 12);
        CHECK(p.data[4] == static_cast<uint8_t>(i));
    }

    // After drain() the SDK refuses frames; the error names the encoder and the call.
    Frame late(10);
    auto refused = (*session)->send_frame(late.frame);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == vtc::Errc::invalid_state);
    CHECK(refused.error().to_string() ==
          "encoder: good-h264: send_frame failed "
          "(VTC_ERR_INVALID_STATE): send_frame: called after drain()");
    session->reset();
    CHECK(registry->sessions_in_use().at("good-h264") == 0);
}

TEST_CASE("a frame that does not fit the config is refused with the plugin's reason") {
    vtc::test::CapturedLog log;
    auto registry = scan_good(log);
    auto session = registry->open("good-h264", h264_config(128, 128));
    REQUIRE(session);
    Frame wrong(0); // 64x64
    auto sent = (*session)->send_frame(wrong.frame);
    REQUIRE_FALSE(sent);
    CHECK(sent.error().code == vtc::Errc::invalid_argument);
    CHECK(sent.error().file == "good-h264");
    CHECK(sent.error().message == "send_frame failed (VTC_ERR_INVALID_ARG): send_frame: frame "
                                  "size, pixel format or memory type differs from the config");
}

TEST_CASE("cancellation and services reach the plugin through vtc_host") {
    vtc::test::CapturedLog log;
    auto registry = scan_good(log);
    auto token = std::make_shared<vtc::CancellationToken>();
    static const int marker = 42;
    vtc::SessionOptions options;
    options.cancellation = token;
    options.services.emplace("vtc.test.marker", &marker);
    auto session = registry->open("good-h264", h264_config(), options);
    REQUIRE(session);
    CHECK(log.matching("good-h264 created 64x64, test marker service present").size() == 1);
    Frame first(0);
    REQUIRE((*session)->send_frame(first.frame));
    token->cancel();
    Frame second(1);
    auto sent = (*session)->send_frame(second.frame);
    REQUIRE_FALSE(sent);
    CHECK(sent.error().code == vtc::Errc::cancelled);
    CHECK(sent.error().message == "send_frame failed (VTC_ERR_CANCELLED): cancelled by the host");
}

TEST_CASE("open() reports unknown, unavailable and failing encoders as errors") {
    vtc::test::CapturedLog log;
    auto registry = scan_good(log);
    auto unknown = registry->open("nope-h264", h264_config());
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == vtc::Errc::not_found);
    CHECK(unknown.error().to_string() == "encoder: nope-h264: no such encoder");

    auto nodevice = registry->open("nodevice-h264", h264_config());
    REQUIRE_FALSE(nodevice);
    CHECK(nodevice.error().code == vtc::Errc::no_device);
    CHECK(nodevice.error().to_string() ==
          "encoder: nodevice-h264: unavailable (VTC_ERR_NO_DEVICE): no fake device here");

    // The SDK turns the constructor's std::runtime_error into INTERNAL + its text.
    auto throws = registry->open("throws-h264", h264_config());
    REQUIRE_FALSE(throws);
    CHECK(throws.error().code == vtc::Errc::internal);
    CHECK(
        throws.error().to_string() ==
        "encoder: throws-h264: create failed (VTC_ERR_INTERNAL): internal error: boom from create");
    CHECK(registry->sessions_in_use().at("throws-h264") == 0);

    vtc_encoder_config wrong_codec = h264_config();
    wrong_codec.codec = VTC_CODEC_AV1;
    auto mismatch = registry->open("good-h264", wrong_codec);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().code == vtc::Errc::invalid_argument);
    CHECK(mismatch.error().message ==
          "create failed (VTC_ERR_INVALID_ARG): create: config codec does not match this encoder");
}

TEST_CASE("a session keeps its plugin module loaded after the registry is gone") {
    // dup_a is plain C: nothing in it pins the module, so the unload is observable.
    const std::filesystem::path file = fake("dup_a");
    REQUIRE_FALSE(module_is_mapped(file));
    std::unique_ptr<vtc::EncoderSession> session;
    {
        auto registry = vtc::EncoderRegistry::load_file(file, {});
        REQUIRE(registry);
        auto opened = (*registry)->open("dup-h264", h264_config());
        REQUIRE(opened);
        session = std::move(*opened);
        CHECK(module_is_mapped(file));
    }
    // The registry is destroyed; the session still works.
    CHECK(module_is_mapped(file));
    Frame frame(7);
    auto sent = session->send_frame(frame.frame);
    REQUIRE(sent);
    vtc::Packet packet;
    auto received = session->receive_packet(packet);
    REQUIRE(received);
    CHECK(*received == vtc::FlowState::ok);
    CHECK(packet.pts == 7);
    CHECK(packet.keyframe);
    session.reset();
    CHECK_FALSE(module_is_mapped(file));
}
