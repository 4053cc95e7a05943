// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file conformance.hpp
/// @brief The plugin conformance suite: the ABI contract checked against one
///        plugin module, as used by `vtc-conformance PLUGIN.so` and by one meson
///        test per built plugin.
///
/// Every check is a function that returns pass or fail with a one-line reason.
/// Checks run in child processes, grouped so that expensive work (an encode)
/// is shared: a plugin that crashes or hangs fails the check it was in, and
/// the run goes on with the next group. The parent process never loads the
/// plugin itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace vtc::conformance {

enum class Verdict { pass, fail, skip };

/// One line of the report: `PASS name`, `FAIL name: reason`, `SKIP name: reason`.
struct CheckResult {
    std::string name; ///< "descriptor", or "<encoder id>/<check>"
    Verdict verdict = Verdict::fail;
    std::string reason; ///< one line; empty for a pass
};

/// The report line for @p result, without a trailing newline.
std::string format(const CheckResult &result);

struct Options {
    /// Path of the plugin module (vtc-<name>.so).
    std::string plugin_path;
    /// Wall-clock limit for one group of checks, after which it fails as hung.
    unsigned group_timeout_s = 120;
};

struct Summary {
    std::vector<CheckResult> results;
    /// True when the plugin loaded but every encoder reported that it cannot
    /// work on this machine (VTC_ERR_NO_DEVICE or VTC_ERR_UNSUPPORTED from
    /// query_caps), so nothing could be exercised.
    bool no_usable_encoder = false;

    bool any_failed() const;
    /// 0 when everything passed, 77 (meson's "skipped") when no encoder was
    /// usable and nothing failed, 1 otherwise.
    int exit_code() const;
};

/// Runs every check against the plugin and returns the results. @p on_result,
/// when set, receives each result as soon as it is known (for streaming
/// output). Must be called from a process without other threads, because it
/// forks.
Summary run(const Options &options, const std::function<void(const CheckResult &)> &on_result);

} // namespace vtc::conformance
