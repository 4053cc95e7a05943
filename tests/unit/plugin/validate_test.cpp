// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The descriptor validation as a pure function: each rule of the contract on
// vtc_plugin_descriptor, one mutation of a valid descriptor at a time.
#include "plugin/validate.hpp"

#include <doctest/doctest.h>

#include <string>

using vtc::detail::AbiVersion;
using vtc::detail::validate_descriptor;
using vtc::detail::ValidationContext;

namespace {

vtc_status stub_query_caps(const vtc_host *, vtc_encoder_caps *, char *, uint32_t) {
    return VTC_OK;
}
vtc_status stub_create(const vtc_host *, const vtc_encoder_config *, vtc_encoder **, char *,
                       uint32_t) {
    return VTC_ERR_UNSUPPORTED;
}
void stub_destroy(vtc_encoder *) {}
vtc_status stub_get_extradata(vtc_encoder *, const uint8_t **, uint64_t *) {
    return VTC_ERR_UNSUPPORTED;
}
vtc_status stub_send_frame(vtc_encoder *, const vtc_frame *) {
    return VTC_OK;
}
vtc_status stub_drain(vtc_encoder *) {
    return VTC_OK;
}
vtc_status stub_receive_packet(vtc_encoder *, vtc_packet *) {
    return VTC_NEED_INPUT;
}
const char *stub_last_error(const vtc_encoder *) {
    return "";
}

// A valid plugin "demo" with two encoders; tests break one thing at a time.
struct Fixture {
    vtc_encoder_vtbl vtbl{sizeof(vtc_encoder_vtbl),
                          0,
                          &stub_query_caps,
                          &stub_create,
                          &stub_destroy,
                          &stub_get_extradata,
                          &stub_send_frame,
                          &stub_drain,
                          &stub_receive_packet,
                          &stub_last_error};
    vtc_encoder_info h264{sizeof(vtc_encoder_info),
                          VTC_CODEC_H264,
                          "demo-h264",
                          "demo H.264",
                          &vtbl,
                          VTC_RANK_SECONDARY,
                          0};
    vtc_encoder_info av1{sizeof(vtc_encoder_info),
                         VTC_CODEC_AV1,
                         "demo-av1",
                         "demo AV1",
                         &vtbl,
                         VTC_RANK_SECONDARY,
                         0};
    const vtc_encoder_info *list[2] = {&h264, &av1};
    vtc_plugin_descriptor descriptor{sizeof(vtc_plugin_descriptor),
                                     VTC_PLUGIN_ABI_MAJOR,
                                     VTC_PLUGIN_ABI_MINOR,
                                     "demo",
                                     "1.0",
                                     "MIT",
                                     "demo plugin",
                                     list,
                                     2,
                                     0};
    ValidationContext context;

    Fixture() { context.expected_name = "demo"; }

    std::string reason() const {
        auto result = validate_descriptor(&descriptor, context);
        if (result) {
            return "accepted";
        }
        CHECK(result.error().code == vtc::Errc::plugin);
        return result.error().message;
    }
};

} // namespace

TEST_CASE("a valid descriptor is accepted") {
    Fixture f;
    CHECK(f.reason() == "accepted");
}

TEST_CASE("the ABI 1.0 struct sizes are what layout_test pins") {
    CHECK(vtc::detail::descriptor_size_1_0 == 56);
    CHECK(vtc::detail::encoder_info_size_1_0 == 40);
    CHECK(vtc::detail::encoder_vtbl_size_1_0 == 72);
    CHECK(vtc::detail::encoder_caps_size_1_0 == 64);
}

TEST_CASE("a NULL descriptor is refused") {
    ValidationContext context;
    context.expected_name = "demo";
    auto result = validate_descriptor(nullptr, context);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "vtc_plugin_entry returned NULL");
}

TEST_CASE("descriptor struct sizes outside the known range are refused") {
    Fixture f;
    f.descriptor.struct_size = 8;
    CHECK(f.reason() == "descriptor struct_size 8 is smaller than the ABI 1.0 size (56 bytes)");
    f.descriptor.struct_size = 0xFFFFFFFFu;
    CHECK(f.reason() == "descriptor struct_size 4294967295 is larger than ABI 1.1 defines (56 "
                        "bytes)");
    f.descriptor.struct_size = 57;
    CHECK(f.reason() == "descriptor struct_size 57 is larger than ABI 1.1 defines (56 bytes)");
}

TEST_CASE("another major, or a newer minor, is refused; an older minor is accepted") {
    Fixture f; // this host: ABI 1.1
    f.descriptor.abi_minor = 0;
    f.descriptor.abi_major = 2;
    CHECK(f.reason() == "built for plugin ABI 2.0, this host supports 1.1");
    f.descriptor.abi_major = 0;
    CHECK(f.reason() == "built for plugin ABI 0.0, this host supports 1.1");
    f.descriptor.abi_major = 1;
    CHECK(f.reason() == "accepted"); // built for 1.0: an older minor loads
    f.descriptor.abi_minor = 1;
    CHECK(f.reason() == "accepted");
    f.descriptor.abi_minor = 2;
    CHECK(f.reason() == "built for plugin ABI 1.2, this host supports 1.1");

    // The same descriptors through a host of ABI 1.2 (the tables repeat their
    // newest sizes for minors this build does not know).
    f.context.host_abi = AbiVersion{1, 2};
    CHECK(f.reason() == "accepted"); // built for 1.2
    f.descriptor.abi_minor = 0;
    CHECK(f.reason() == "accepted");
    f.descriptor.abi_minor = 3;
    CHECK(f.reason() == "built for plugin ABI 1.3, this host supports 1.2");
    f.descriptor.abi_minor = 0;
    f.descriptor.abi_major = 2;
    CHECK(f.reason() == "built for plugin ABI 2.0, this host supports 1.2");
}

TEST_CASE("name, version and licence must be present and the name must match the file") {
    Fixture f;
    f.descriptor.name = nullptr;
    CHECK(f.reason() == "descriptor has no name");
    f.descriptor.name = "";
    CHECK(f.reason() == "descriptor has no name");
    f.descriptor.name = "Demo";
    CHECK(f.reason() == "descriptor name 'Demo' has characters outside [a-z0-9_]");
    f.descriptor.name = "other";
    CHECK(f.reason() == "descriptor name 'other' does not match the file name (expected 'demo')");
    f.descriptor.name = "demo";
    f.descriptor.version = "";
    CHECK(f.reason() == "descriptor has no version");
    f.descriptor.version = "1.0";
    f.descriptor.license = nullptr;
    CHECK(f.reason() == "descriptor has no licence");
    const std::string long_name(300, 'a');
    f.descriptor.license = "MIT";
    f.descriptor.name = long_name.c_str();
    CHECK(f.reason() == "descriptor name is longer than 255 bytes");
}

TEST_CASE("a GPL licence is refused unless GPL plugins are allowed") {
    Fixture f;
    f.descriptor.license = "GPL-2.0-or-later";
    f.context.allow_gpl = false;
    CHECK(f.reason() ==
          "licence 'GPL-2.0-or-later' is GPL and this host does not allow GPL plugins");
    f.context.allow_gpl = true;
    CHECK(f.reason() == "accepted");
    f.context.allow_gpl = false;
    f.descriptor.license = "LGPL-2.1-or-later";
    CHECK(f.reason() == "accepted");
}

TEST_CASE("SPDX expressions are classified conservatively") {
    using vtc::detail::is_gpl_license;
    CHECK(is_gpl_license("GPL-2.0-only"));
    CHECK(is_gpl_license("GPL-3.0+"));
    CHECK(is_gpl_license("GPL"));
    CHECK(is_gpl_license("AGPL-3.0-or-later"));
    CHECK(is_gpl_license("(MIT OR GPL-2.0-or-later)"));
    CHECK_FALSE(is_gpl_license("LGPL-2.1-or-later"));
    CHECK_FALSE(is_gpl_license("BSD-3-Clause-Clear"));
    CHECK_FALSE(is_gpl_license("MIT AND Apache-2.0"));
    CHECK_FALSE(is_gpl_license("GPLv2ish-Custom"));
}

TEST_CASE("encoder lists must be consistent") {
    Fixture f;
    f.descriptor.encoders = nullptr;
    CHECK(f.reason() == "descriptor lists 2 encoders but encoders is NULL");
    f.descriptor.encoders = f.list;
    f.descriptor.encoder_count = 0xFFFFFFFFu;
    CHECK(f.reason() == "descriptor lists 4294967295 encoders (at most 256 are allowed)");
    f.descriptor.encoder_count = 2;
    f.list[1] = nullptr;
    CHECK(f.reason() == "encoder 1 is NULL");
    f.list[1] = &f.av1;
    f.descriptor.encoder_count = 0;
    CHECK(f.reason() == "accepted");
}

TEST_CASE("each encoder needs a valid size, id, codec and a complete vtable") {
    Fixture f;
    f.av1.struct_size = 4;
    CHECK(f.reason() == "encoder 1: struct_size 4 is smaller than the ABI 1.0 size (40 bytes)");
    f.av1.struct_size = 0xFFFFFFFFu;
    CHECK(f.reason() == "encoder 1: struct_size 4294967295 is larger than ABI 1.1 defines (40 "
                        "bytes)");
    f.av1.struct_size = sizeof(vtc_encoder_info);
    f.av1.id = nullptr;
    CHECK(f.reason() == "encoder 1 has no id");
    f.av1.id = "Demo AV1";
    CHECK(f.reason() == "encoder id 'Demo AV1' has characters outside [a-z0-9._-]");
    f.av1.id = "demo-av1";
    f.av1.codec = VTC_CODEC_UNSET;
    CHECK(f.reason() == "encoder 'demo-av1': unknown codec 0");
    f.av1.codec = 42;
    CHECK(f.reason() == "encoder 'demo-av1': unknown codec 42");
    f.av1.codec = VTC_CODEC_AV1;
    f.av1.vtbl = nullptr;
    CHECK(f.reason() == "encoder 'demo-av1' has no vtable");
    f.av1.vtbl = &f.vtbl;
    f.vtbl.struct_size = 16;
    CHECK(f.reason() == "encoder 'demo-h264': vtable struct_size 16 is smaller than the ABI 1.0 "
                        "size (72 bytes)");
    f.vtbl.struct_size = 0xFFFFFFFFu;
    CHECK(f.reason() == "encoder 'demo-h264': vtable struct_size 4294967295 is larger than ABI "
                        "1.1 defines (72 bytes)");
    f.vtbl.struct_size = sizeof(vtc_encoder_vtbl);
    f.av1.id = "demo-h264";
    CHECK(f.reason() == "encoder id 'demo-h264' appears twice in this plugin");
}

TEST_CASE("every ABI 1.0 vtable member is required") {
    const std::pair<void (*)(vtc_encoder_vtbl &), const char *> cases[] = {
        {[](vtc_encoder_vtbl &v) { v.query_caps = nullptr; }, "query_caps"},
        {[](vtc_encoder_vtbl &v) { v.create = nullptr; }, "create"},
        {[](vtc_encoder_vtbl &v) { v.destroy = nullptr; }, "destroy"},
        {[](vtc_encoder_vtbl &v) { v.get_extradata = nullptr; }, "get_extradata"},
        {[](vtc_encoder_vtbl &v) { v.send_frame = nullptr; }, "send_frame"},
        {[](vtc_encoder_vtbl &v) { v.drain = nullptr; }, "drain"},
        {[](vtc_encoder_vtbl &v) { v.receive_packet = nullptr; }, "receive_packet"},
        {[](vtc_encoder_vtbl &v) { v.last_error = nullptr; }, "last_error"},
    };
    for (const auto &[clear, member] : cases) {
        Fixture f;
        clear(f.vtbl);
        CHECK(f.reason() ==
              std::string("encoder 'demo-h264': vtable member ") + member + " is NULL");
    }
}

TEST_CASE("an encoder id another plugin already provides is refused") {
    Fixture f;
    const vtc::detail::TakenIds taken = {{"demo-av1", "/plugins/vtc-other.so"}};
    f.context.taken_ids = &taken;
    CHECK(f.reason() == "encoder id 'demo-av1' is already provided by /plugins/vtc-other.so");
}

TEST_CASE("plugin names come from vtc-<name>.so file names only") {
    using vtc::detail::plugin_name_from_file;
    CHECK(plugin_name_from_file("/usr/lib/vtranscode-1/vtc-x264.so") == "x264");
    CHECK(plugin_name_from_file("vtc-a_b.so") == "a_b");
    CHECK(plugin_name_from_file("vtc-.so") == "");
    CHECK_FALSE(plugin_name_from_file("libvtc-x264.so"));
    CHECK_FALSE(plugin_name_from_file("vtc-x264.so.1"));
    CHECK_FALSE(plugin_name_from_file("vtc-probe"));
}
