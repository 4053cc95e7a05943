// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Probing a plugin file: in this process (what vtc-probe does inside itself),
// or through a vtc-probe child so a crash or a hang cannot reach the caller.
#pragma once

#include "plugin/module.hpp"
#include "plugin/probe_report.hpp"

#include <vtranscode/result.hpp>

#include <chrono>
#include <filesystem>
#include <string>

namespace vtc::detail {

/// The report of a module that is loaded: its descriptor, and the caps of
/// each encoder when @p query_caps (all of them, or only @p only_encoder when
/// it is not empty). Encoders not queried get status VTC_ERR_INTERNAL and the
/// reason "not queried". @p host is passed to query_caps().
ProbeReport report_for_module(const PluginModule &module, const vtc_host *host, bool query_caps,
                              std::string_view only_encoder);

/// The report of a refused file.
ProbeReport refused_report(const std::filesystem::path &file, std::string reason);

/// Exit statuses of vtc-probe.
inline constexpr int probe_exit_report = 0;  ///< a report was printed
inline constexpr int probe_exit_refused = 1; ///< the plugin was refused (report says why)
inline constexpr int probe_exit_usage = 2;   ///< bad command line
inline constexpr int probe_exit_failure = 3; ///< the report could not be written

struct ProbeRequest {
    std::filesystem::path executable; ///< vtc-probe
    std::filesystem::path plugin_file;
    bool allow_gpl = false;
    bool query_caps = true;
    std::string only_encoder; ///< empty = every encoder
    std::chrono::milliseconds timeout{10000};
};

/// Runs one vtc-probe child.
/// @return its report (accepted or refused); or an Error (Errc::plugin, or
///         Errc::timeout) whose message is the reason the probe gave nothing
///         usable: "probe crashed (signal 11)", "probe timed out after 10000 ms",
///         "probe exited with status 4: <its last stderr line>", "cannot start
///         probe: ...", or a malformed report.
Result<ProbeReport> run_probe_child(const ProbeRequest &request);

/// run_probe_child() with crash isolation. When the full probe fails, the
/// descriptor alone is probed: if that fails too, the plugin as a whole gets
/// the first failure; otherwise each encoder is probed on its own, so one
/// crashing encoder does not take its siblings down, and an encoder whose
/// probe fails gets that failure as its reason.
Result<ProbeReport> probe_isolated(const ProbeRequest &request);

} // namespace vtc::detail
