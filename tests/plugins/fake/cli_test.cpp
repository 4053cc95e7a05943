// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// `vtranscode backends` against the zoo: its listing, JSON and exit statuses.
#include "fake_env.hpp"
#include "plugin/child_process.hpp"
#include "vtc_build_config.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>

using namespace std::chrono_literals;
using vtc::test::fake;

namespace {

vtc::detail::ChildOutcome cli(std::vector<std::string> args) {
    auto outcome = vtc::detail::run_child(vtc::test::cli_path(), args, 60s);
    REQUIRE(outcome.started);
    return outcome;
}

bool contains(const std::string &text, const std::string &needle) {
    return text.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("vtranscode without a known command prints usage and exits 2") {
    const auto none = cli({});
    CHECK(none.exit_code == 2);
    CHECK(contains(none.stderr_text, "usage: vtranscode COMMAND"));
    const auto unknown = cli({"frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(contains(unknown.stderr_text, "unknown command 'frobnicate'"));
    const auto help = cli({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.stdout_text, "backends"));
}

TEST_CASE("vtranscode backends --help and bad options") {
    const auto help = cli({"backends", "--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.stdout_text, "usage: vtranscode backends"));
    const auto bad = cli({"backends", "--bogus"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.stderr_text == "vtranscode backends: unknown argument '--bogus' (see --help)\n");
    CHECK(cli({"backends", "--log-level", "loud"}).exit_code == 2);
}

TEST_CASE("vtranscode backends lists plugins and encoders with reasons") {
    const auto out = cli({"backends"});
    CHECK(out.exit_code == 0);
    const std::string &text = out.stdout_text;
    CHECK(contains(text, "Plugins (search path: " + vtc::test::fake_dir().string() + ")"));
    CHECK(contains(text, "  abi_major_2           refused: built for plugin ABI 2.0, this host "
                         "supports 1.1  " +
                             fake("abi_major_2").string() + "\n"));
    CHECK(contains(text, "  entry_crash           refused: probe crashed (signal 11)  " +
                             fake("entry_crash").string() + "\n"));
    CHECK(contains(text, "  good                  1.0.0 (MIT, ABI 1.1)  " + fake("good").string() +
                             "\n"));
    CHECK(contains(text, "good-h264          h264  rank 128  usable  8-bit i420,nv12 system "
                         "16x16..1920x1088 crf,capped-crf forced-keyframe,b-frames,extradata"));
    CHECK(contains(text, "nodevice-h264      h264  rank 128  unavailable (VTC_ERR_NO_DEVICE): no "
                         "fake device here"));
    CHECK(contains(text, "caps_crash-h264    h264  rank 128  unavailable (VTC_ERR_INTERNAL): probe "
                         "crashed (signal 11)"));
    // A plugin built for ABI 1.0 still loads; a hardware device name is shown (made
    // printable) after the caps.
    CHECK(contains(text, "  abi_1_0               0.0.1 (MIT, ABI 1.0)  "));
    CHECK(contains(text, "named_device-h264  h264  rank 128  usable  8-bit i420 system "
                         "16x16..4096x4096 crf forced-keyframe  on Fake GPU ? 8\xc2\xb0\n"));
    // The refusals are in the listing, not repeated on stderr at the default level.
    CHECK(out.stderr_text.empty());
}

TEST_CASE("vtranscode backends --json describes the same registry") {
    const auto out = cli({"backends", "--json"});
    CHECK(out.exit_code == 0);
    const auto root = nlohmann::json::parse(out.stdout_text, nullptr, false);
    REQUIRE(root.is_object());
    // gpl loads only when this build allows GPL plugins.
    const size_t usable = VTC_GPL_ALLOWED ? 7 : 6;
    CHECK(root["usable_encoders"].get<size_t>() == usable);
    CHECK(root["plugins"].size() == 21);
    bool saw_good = false;
    bool saw_named = false;
    for (const auto &encoder : root["encoders"]) {
        if (encoder["id"] == "good-h264") {
            saw_good = true;
            CHECK(encoder["available"] == true);
            CHECK(encoder["codec"] == "h264");
            CHECK(encoder["caps"]["max_width"] == 1920);
            CHECK(encoder["caps"]["device_name"] == "");
        } else if (encoder["id"] == "named_device-h264") {
            saw_named = true;
            CHECK(encoder["caps"]["device_name"] == "Fake GPU ? 8\xc2\xb0");
        }
    }
    CHECK(saw_good);
    CHECK(saw_named);
}

TEST_CASE("vtranscode backends exits 1 when no encoder is usable") {
    vtc::test::TempDir empty;
    vtc::test::ScopedEnv path("VTC_PLUGIN_PATH", empty.path().c_str());
    const auto out = cli({"backends"});
    CHECK(out.exit_code == 1);
    CHECK(contains(out.stdout_text, "none found"));
    CHECK(contains(out.stdout_text, "0 of 0 encoder(s) usable."));
}

TEST_CASE("vtranscode backends reports a malformed VTC_ENCODER_RANKS and exits 2") {
    vtc::test::ScopedEnv ranks("VTC_ENCODER_RANKS", "good-h264=1");
    const auto out = cli({"backends"});
    CHECK(out.exit_code == 2);
    CHECK(out.stderr_text ==
          "vtranscode backends: VTC_ENCODER_RANKS: 'good-h264=1' is not id:rank\n");
}
