// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Running a helper executable (vtc-probe) with a deadline and collecting what
// it prints, so whatever the helper does cannot hurt the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace vtc::detail {

struct ChildOutcome {
    /// False when the process could not be started; start_error says why.
    bool started = false;
    std::string start_error;
    /// The deadline passed; the process group was killed (SIGKILL).
    bool timed_out = false;
    /// Exit status when it exited normally, else -1.
    int exit_code = -1;
    /// The terminating signal when it was killed by one (not by our timeout), else 0.
    int signal = 0;
    std::string stdout_text; ///< at most max_output_bytes
    std::string stderr_text; ///< at most max_output_bytes
};

/// Starts @p executable with @p arguments (argv[1..]) in its own process
/// group, stdin from /dev/null, the environment inherited; reads its stdout
/// and stderr until both close or @p timeout passes; then reaps it. On
/// timeout the whole process group is killed. Output beyond
/// @p max_output_bytes per stream is read and dropped.
///
/// Thread-safe (posix_spawn, O_CLOEXEC pipes). Never throws except bad_alloc.
ChildOutcome run_child(const std::filesystem::path &executable,
                       const std::vector<std::string> &arguments, std::chrono::milliseconds timeout,
                       size_t max_output_bytes = 1 << 20);

} // namespace vtc::detail
