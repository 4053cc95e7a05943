// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Each module of the fake zoo, loaded on its own in this process, gives its
// exact expected outcome; so do files that are not plugins at all.
#include "fake_env.hpp"
#include "plugin/caps.hpp"
#include "plugin/module.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>
#include <utility>

using vtc::detail::AbiVersion;
using vtc::detail::LoadContext;
using vtc::detail::PluginModule;
using vtc::test::fake;

namespace {

std::string load_outcome(const std::filesystem::path &file, const LoadContext &context = {}) {
    auto module = PluginModule::load(file, context);
    if (!module) {
        CHECK(module.error().code == vtc::Errc::plugin);
        return module.error().message;
    }
    return "loaded";
}

LoadContext allowing_gpl(bool allow) {
    LoadContext context;
    context.allow_gpl = allow;
    return context;
}

} // namespace

TEST_CASE("each fake plugin loads or is refused with its exact reason") {
    // entry_crash is left out: loading it in this process is what the probe
    // child is for (see registry_test.cpp).
    const std::pair<const char *, const char *> zoo[] = {
        {"good", "loaded"},
        {"throws", "loaded"},
        {"nodevice", "loaded"},
        {"caps_crash", "loaded"}, // query_caps crashes; loading alone is fine
        {"dup_a", "loaded"},
        {"dup_b", "loaded"}, // alone, its id is not taken
        {"abi_major_2", "built for plugin ABI 2.0, this host supports 1.1"},
        {"newer_minor", "built for plugin ABI 1.2, this host supports 1.1"},
        {"no_entry", "does not export vtc_plugin_entry"},
        {"null_descriptor", "vtc_plugin_entry returned NULL"},
        {"short_struct", "descriptor struct_size 16 is smaller than the ABI 1.0 size (56 bytes)"},
        {"garbage_size",
         "descriptor struct_size 4294967295 is larger than ABI 1.1 defines (56 bytes)"},
        {"garbage_encoder_size",
         "encoder 0: struct_size 4294967295 is larger than ABI 1.1 defines (40 bytes)"},
        {"missing_member", "encoder 'missing_member-h264': vtable member receive_packet is NULL"},
        {"wrong_name", "descriptor name 'other' does not match the file name (expected "
                       "'wrong_name')"},
        {"bad_id", "encoder id 'Bad ID' has characters outside [a-z0-9._-]"},
        {"unknown_codec", "encoder 'unknown_codec-h264': unknown codec 99"},
    };
    for (const auto &[name, expected] : zoo) {
        CAPTURE(name);
        CHECK(load_outcome(fake(name)) == expected);
    }
}

TEST_CASE("a GPL plugin is refused unless GPL plugins are allowed") {
    CHECK(load_outcome(fake("gpl"), allowing_gpl(false)) ==
          "licence 'GPL-2.0-or-later' is GPL and this host does not allow GPL plugins");
    CHECK(load_outcome(fake("gpl"), allowing_gpl(true)) == "loaded");
}

TEST_CASE("an encoder id already taken by another plugin is refused") {
    const vtc::detail::TakenIds taken = {{"dup-h264", fake("dup_a").string()}};
    LoadContext context;
    context.taken_ids = &taken;
    CHECK(load_outcome(fake("dup_b"), context) ==
          "encoder id 'dup-h264' is already provided by " + fake("dup_a").string());
}

TEST_CASE("this 1.1 host loads 1.0 and 1.1 plugins, not a 1.2 one; a 1.2 host loads all three") {
    LoadContext host_1_1; // this build's ABI
    CHECK(load_outcome(fake("abi_1_0"), host_1_1) == "loaded");
    CHECK(load_outcome(fake("good"), host_1_1) == "loaded");
    CHECK(load_outcome(fake("newer_minor"), host_1_1) ==
          "built for plugin ABI 1.2, this host supports 1.1");
    LoadContext host_1_2;
    host_1_2.host_abi = AbiVersion{1, 2};
    CHECK(load_outcome(fake("abi_1_0"), host_1_2) == "loaded");
    CHECK(load_outcome(fake("good"), host_1_2) == "loaded");
    CHECK(load_outcome(fake("newer_minor"), host_1_2) == "loaded");
    CHECK(load_outcome(fake("abi_major_2"), host_1_2) ==
          "built for plugin ABI 2.0, this host supports 1.2");
}

TEST_CASE("the good plugin's descriptor and caps are read through the module") {
    auto module = PluginModule::load(fake("good"), {});
    REQUIRE(module);
    const vtc_plugin_descriptor &d = (*module)->descriptor();
    CHECK(std::string(d.name) == "good");
    CHECK(std::string(d.version) == "1.0.0");
    CHECK(std::string(d.license) == "MIT");
    REQUIRE((*module)->encoders().size() == 2);
    const vtc_encoder_info &h264 = *(*module)->encoders()[0];
    CHECK(std::string(h264.id) == "good-h264");
    const auto caps = vtc::detail::query_encoder_caps(h264, nullptr);
    REQUIRE(caps.status == VTC_OK);
    CHECK(caps.caps.struct_size == sizeof(vtc_encoder_caps));
    CHECK(caps.caps.codec == VTC_CODEC_H264);
    CHECK(caps.caps.max_width == 1920);
    CHECK(vtc::detail::caps_summary(caps.caps) ==
          "8-bit i420,nv12 system 16x16..1920x1088 crf,capped-crf "
          "forced-keyframe,b-frames,extradata");
}

TEST_CASE("files that are not plugins give one plain reason each") {
    vtc::test::TempDir dir;
    {
        std::mt19937 random(20240611u);
        std::ofstream corrupt(dir.path() / "vtc-corrupt.so", std::ios::binary);
        for (int i = 0; i < 4096; ++i) {
            corrupt.put(static_cast<char>(random() & 0xFF));
        }
    }
    std::ofstream(dir.path() / "vtc-empty.so").close();
    std::filesystem::create_directory(dir.path() / "vtc-dir.so");
    {
        // The first kilobyte of a real plugin: a valid ELF header, then nothing.
        std::ifstream good(fake("good"), std::ios::binary);
        std::string head(1024, '\0');
        good.read(head.data(), static_cast<std::streamsize>(head.size()));
        std::ofstream(dir.path() / "vtc-truncated.so", std::ios::binary) << head;
    }

    CHECK(load_outcome(dir.path() / "vtc-corrupt.so") == "cannot load: invalid ELF header");
    CHECK(load_outcome(dir.path() / "vtc-empty.so") == "empty file");
    CHECK(load_outcome(dir.path() / "vtc-dir.so") == "not a regular file");
    CHECK(load_outcome(dir.path() / "vtc-missing.so") == "no such file");
    // glibc's dlopen() would die of SIGBUS on this one; the loader must not get there.
    const std::string truncated = load_outcome(dir.path() / "vtc-truncated.so");
    CHECK(truncated.rfind("truncated ELF file: segment ", 0) == 0);
    CHECK(truncated.find("the file has 1024 bytes") != std::string::npos);
    CHECK(load_outcome(dir.path() / "not-a-plugin.so") == "no such file");
    std::ofstream(dir.path() / "plugin.so") << "x";
    CHECK(load_outcome(dir.path() / "plugin.so") == "file name is not vtc-<name>.so");
}
