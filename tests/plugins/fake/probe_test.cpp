// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-probe as a program: its report, its exit statuses, and the host side
// that runs it (crash isolation per encoder, timeouts).
#include "fake_env.hpp"
#include "plugin/child_process.hpp"
#include "plugin/probe.hpp"
#include "plugin/probe_report.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>

using namespace std::chrono_literals;
using vtc::detail::run_child;
using vtc::test::fake;

namespace {

vtc::detail::ChildOutcome probe(std::vector<std::string> args) {
    auto outcome = run_child(vtc::test::probe_path(), args, 20s);
    REQUIRE(outcome.started);
    return outcome;
}

vtc::detail::ProbeRequest request_for(const std::string &name) {
    vtc::detail::ProbeRequest request;
    request.executable = vtc::test::probe_path();
    request.plugin_file = fake(name);
    request.timeout = 20s;
    return request;
}

} // namespace

TEST_CASE("vtc-probe prints the descriptor and each encoder's caps as one JSON object") {
    const auto out = probe({fake("good").string()});
    CHECK(out.exit_code == 0);
    CHECK(out.stdout_text.find('\n') == out.stdout_text.size() - 1); // one line
    auto report = vtc::detail::parse_probe_report(out.stdout_text);
    REQUIRE(report);
    CHECK(report->accepted);
    CHECK(report->file == fake("good").string());
    CHECK(report->name == "good");
    CHECK(report->version == "1.0.0");
    CHECK(report->license == "MIT");
    CHECK(report->abi_major == VTC_PLUGIN_ABI_MAJOR);
    CHECK(report->abi_minor == VTC_PLUGIN_ABI_MINOR);
    REQUIRE(report->encoders.size() == 2);
    CHECK(report->encoders[0].id == "good-h264");
    CHECK(report->encoders[0].status == VTC_OK);
    CHECK(report->encoders[0].caps.max_height == 1088);
    CHECK(report->encoders[1].id == "good-hevc");
    CHECK(report->encoders[1].caps.size_alignment == 8);
    CHECK(out.stdout_text.find("\"names\"") != std::string::npos); // readable lists for people
}

TEST_CASE("vtc-probe exits 0 with unavailable encoders and 1 with a refused plugin") {
    const auto nodevice = probe({fake("nodevice").string()});
    CHECK(nodevice.exit_code == 0);
    auto report = vtc::detail::parse_probe_report(nodevice.stdout_text);
    REQUIRE(report);
    REQUIRE(report->encoders.size() == 1);
    CHECK(report->encoders[0].status == VTC_ERR_NO_DEVICE);
    CHECK(report->encoders[0].reason == "no fake device here");

    const auto refused = probe({fake("abi_major_2").string()});
    CHECK(refused.exit_code == 1);
    CHECK(refused.stderr_text == "vtc-probe: refused " + fake("abi_major_2").string() +
                                     ": built for plugin ABI 2.0, this host supports 1.1\n");
    auto refused_report = vtc::detail::parse_probe_report(refused.stdout_text);
    REQUIRE(refused_report);
    CHECK_FALSE(refused_report->accepted);
    CHECK(refused_report->reason == "built for plugin ABI 2.0, this host supports 1.1");
}

TEST_CASE("vtc-probe follows --allow-gpl, --refuse-gpl, --no-caps and --encoder") {
    CHECK(probe({"--refuse-gpl", fake("gpl").string()}).exit_code == 1);
    CHECK(probe({"--allow-gpl", fake("gpl").string()}).exit_code == 0);

    const auto no_caps = probe({"--no-caps", fake("caps_crash").string()});
    CHECK(no_caps.exit_code == 0);
    auto report = vtc::detail::parse_probe_report(no_caps.stdout_text);
    REQUIRE(report);
    REQUIRE(report->encoders.size() == 1);
    CHECK(report->encoders[0].reason == "not queried");

    const auto one = probe({"--encoder", "good-hevc", "--", fake("good").string()});
    CHECK(one.exit_code == 0);
    auto only_hevc = vtc::detail::parse_probe_report(one.stdout_text);
    REQUIRE(only_hevc);
    REQUIRE(only_hevc->encoders.size() == 2);
    CHECK(only_hevc->encoders[0].reason == "not queried");
    CHECK(only_hevc->encoders[1].status == VTC_OK);
}

TEST_CASE("vtc-probe crashes with the plugin, and only the child goes down") {
    const auto caps = probe({fake("caps_crash").string()});
    CHECK(caps.signal == SIGSEGV);
    CHECK(caps.stdout_text.empty());
    const auto entry = probe({fake("entry_crash").string()});
    CHECK(entry.signal == SIGSEGV);
}

TEST_CASE("vtc-probe rejects bad command lines with status 2") {
    CHECK(probe({}).exit_code == 2);
    CHECK(probe({"--bogus", fake("good").string()}).exit_code == 2);
    CHECK(probe({fake("good").string(), fake("nodevice").string()}).exit_code == 2);
    CHECK(probe({"--encoder"}).exit_code == 2);
    const auto help = probe({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.stdout_text.rfind("usage: vtc-probe", 0) == 0);
}

TEST_CASE("the host's probe client maps crashes and timeouts to one-line reasons") {
    auto crashed = vtc::detail::run_probe_child(request_for("entry_crash"));
    REQUIRE_FALSE(crashed);
    CHECK(crashed.error().message == "probe crashed (signal 11)");

    auto hang = request_for("hang");
    hang.plugin_file = vtc::test::fake_hang_dir() / "vtc-hang.so";
    hang.timeout = 250ms;
    auto timed_out = vtc::detail::run_probe_child(hang);
    REQUIRE_FALSE(timed_out);
    CHECK(timed_out.error().code == vtc::Errc::timeout);
    CHECK(timed_out.error().message == "probe timed out after 250 ms");

    auto missing = request_for("good");
    missing.executable = "/nonexistent/vtc-probe";
    auto not_started = vtc::detail::run_probe_child(missing);
    REQUIRE_FALSE(not_started);
    CHECK(not_started.error().message ==
          "cannot start probe: cannot start /nonexistent/vtc-probe: No such file or directory");

    // Not a probe at all: exits 0 without a report.
    auto wrong = request_for("good");
    wrong.executable = "/bin/true";
    auto garbage = vtc::detail::run_probe_child(wrong);
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error().message == "the probe's report is not a JSON object");
}

TEST_CASE("crash isolation keeps the descriptor and blames only the crashing encoder") {
    auto report = vtc::detail::probe_isolated(request_for("caps_crash"));
    REQUIRE(report);
    CHECK(report->accepted);
    CHECK(report->name == "caps_crash");
    REQUIRE(report->encoders.size() == 1);
    CHECK(report->encoders[0].status == VTC_ERR_INTERNAL);
    CHECK(report->encoders[0].reason == "probe crashed (signal 11)");

    auto entry = vtc::detail::probe_isolated(request_for("entry_crash"));
    REQUIRE_FALSE(entry);
    CHECK(entry.error().message == "probe crashed (signal 11)");
}
