// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The conformance suite's own tests: run it against vtc-mutant, which wraps a
// real plugin and breaks one rule at a time, and check that exactly the
// matching checks fail (and that the unbroken wrapper passes).
#include <doctest/doctest.h>

#include <conformance.hpp>

#include <cstdlib>
#include <string>

namespace {

using vtc::conformance::CheckResult;
using vtc::conformance::Summary;
using vtc::conformance::Verdict;

Summary run_fake(const char *name) {
    const char *dir = std::getenv("VTC_FAKE_PLUGIN_DIR");
    REQUIRE_MESSAGE(dir != nullptr, "VTC_FAKE_PLUGIN_DIR must name the fake plugin zoo");
    vtc::conformance::Options options;
    options.plugin_path = std::string(dir) + "/vtc-" + name + ".so";
    return vtc::conformance::run(options, {});
}

Summary run_mutant(const char *mode, unsigned timeout_s = 60) {
    setenv("VTC_MUTANT_MODE", mode, 1);
    vtc::conformance::Options options;
    const char *path = std::getenv("VTC_MUTANT_PLUGIN");
    REQUIRE_MESSAGE(path != nullptr, "VTC_MUTANT_PLUGIN must name vtc-mutant.so");
    options.plugin_path = path;
    options.group_timeout_s = timeout_s;
    return vtc::conformance::run(options, {});
}

// The verdict of the check whose name ends with @p suffix ("/keyframe-flags").
const CheckResult *find(const Summary &summary, const std::string &suffix) {
    for (const CheckResult &result : summary.results) {
        if (result.name.size() >= suffix.size() &&
            result.name.compare(result.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return &result;
        }
    }
    return nullptr;
}

std::string failures(const Summary &summary) {
    std::string text;
    for (const CheckResult &result : summary.results) {
        if (result.verdict == Verdict::fail) {
            text += vtc::conformance::format(result) + "\n";
        }
    }
    return text;
}

void expect_fail(const Summary &summary, const std::string &suffix, const std::string &reason) {
    const CheckResult *result = find(summary, suffix);
    REQUIRE_MESSAGE(result != nullptr, "no check named *", suffix);
    CHECK_MESSAGE(result->verdict == Verdict::fail, suffix, " did not fail");
    CHECK_MESSAGE(result->reason.find(reason) != std::string::npos, suffix, ": ", result->reason);
}

void expect_pass(const Summary &summary, const std::string &suffix) {
    const CheckResult *result = find(summary, suffix);
    REQUIRE_MESSAGE(result != nullptr, "no check named *", suffix);
    CHECK_MESSAGE(result->verdict == Verdict::pass, suffix, ": ", result->reason);
}

} // namespace

TEST_CASE("the wrapper with nothing broken passes every check") {
    const Summary summary = run_mutant("none");
    CHECK_MESSAGE(summary.exit_code() == 0, failures(summary));
    CHECK(summary.results.size() > 30);
}

TEST_CASE("a plugin with no device is skipped with exit code 77") {
    const Summary summary = run_mutant("no-device");
    CHECK(summary.exit_code() == 77);
    const CheckResult *caps = find(summary, "/query-caps");
    REQUIRE(caps != nullptr);
    CHECK(caps->verdict == Verdict::skip);
    CHECK(caps->reason.find("no device on purpose") != std::string::npos);
    CHECK(find(summary, "/encode") == nullptr);
}

TEST_CASE("a crash fails the check it happened in, and later groups still run") {
    const Summary summary = run_mutant("crash-null-frame");
    CHECK(summary.exit_code() == 1);
    expect_fail(summary, "/last-error", "crashed with signal");
    expect_pass(summary, "/encode");
    expect_pass(summary, "/keyframe-flags");
}

TEST_CASE("ignored forced key frames fail both key-frame checks, not the decode") {
    const Summary summary = run_mutant("ignore-forced-keyframes");
    CHECK(summary.exit_code() == 1);
    expect_fail(summary, "av1/keyframe-flags", "forced on {0,13,30,47}");
    expect_fail(summary, "av1/keyframes-decoded", "forced on {0,13,30,47}");
    expect_pass(summary, "av1/decode");
}

TEST_CASE("dts that does not increase fails the timestamp check") {
    const Summary summary = run_mutant("constant-dts");
    expect_fail(summary, "av1/timestamps", "dts does not increase");
    expect_pass(summary, "av1/keyframe-flags");
}

TEST_CASE("writing to stderr fails the quiet check") {
    const Summary summary = run_mutant("noisy");
    expect_fail(summary, "/quiet", "mutant: chatter on stderr");
}

TEST_CASE("accepting a NULL packet fails the receive_packet argument check") {
    const Summary summary = run_mutant("lenient-null-packet");
    expect_fail(summary, "/receive-packet-invalid", "packet = NULL");
    CHECK(summary.exit_code() == 1);
}

TEST_CASE("a hang is cut off by the timeout and reported as hung") {
    const Summary summary = run_mutant("hang-drain", 2);
    CHECK(summary.exit_code() == 1);
    bool hung = false;
    for (const CheckResult &result : summary.results) {
        hung = hung || (result.verdict == Verdict::fail &&
                        result.reason.find("hung: no result within 2 s") != std::string::npos);
    }
    CHECK_MESSAGE(hung, failures(summary));
    expect_pass(summary, "/create-destroy"); // checks before the hang still count
}

// The loader's fake zoo: the suite loads plugins through libvtranscode's
// loader, so its refusals surface as the load check's reason.
TEST_CASE("a plugin the loader refuses fails the load check with the loader's reason") {
    const Summary summary = run_fake("abi_major_2");
    CHECK(summary.exit_code() == 1);
    expect_fail(summary, "load", "built for plugin ABI 2.0");
    CHECK(summary.results.size() == 1);
}

TEST_CASE("a plugin whose entry point crashes fails the load check") {
    const Summary summary = run_fake("entry_crash");
    expect_fail(summary, "load", "crashed with signal");
}

TEST_CASE("a plugin whose query_caps crashes fails that check") {
    const Summary summary = run_fake("caps_crash");
    expect_fail(summary, "/query-caps", "crashed with signal");
    CHECK(summary.exit_code() == 1);
}

TEST_CASE("a plugin without its device is skipped") {
    const Summary summary = run_fake("nodevice");
    CHECK_MESSAGE(summary.exit_code() == 77, failures(summary));
    CHECK(summary.no_usable_encoder);
}
