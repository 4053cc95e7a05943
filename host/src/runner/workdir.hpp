// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file workdir.hpp
/// @brief The work directory: per-job layout, safe local names for server-supplied
///        strings, and the bounded retention of what is kept after a job.
///
/// Layout: {work}/{job_id}/source{.ext}, {work}/{job_id}/output/ (the engine's §5.8
/// layout), {work}/{job_id}/upload/ (archives in flight). The job id is a positive integer
/// from the claim, the only server value that reaches a path; the server's source_filename
/// contributes at most a vetted extension.
#pragma once

#include <vtranscode/log.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace vtc::host {

/// The local source file name for a server-supplied `source_filename`:
/// "source" + its extension when the name is a plain file name ending in .mp4, .mkv,
/// .webm, .mov or .avi (any case), else "source.bin". `rejected` is set when a name was
/// given but not accepted (a path, traversal, control characters), for logging.
std::string local_source_name(const std::optional<std::string> &server_name, bool &rejected);

/// {work_dir}/{job_id}.
std::filesystem::path job_dir(const std::filesystem::path &work_dir, std::int64_t job_id);

/// Removes the job's output and archives, keeping the (resumable) source. Never throws.
void remove_job_output(const std::filesystem::path &job_dir);

/// Removes the whole job directory. Never throws.
void remove_job_dir(const std::filesystem::path &job_dir);

/// Deletes job directories (names made of digits only; nothing else is touched) older than
/// `max_age`, then the oldest beyond `max_jobs`, never `keep_job_id`. Logs each deletion.
/// @return the number of directories deleted.
int sweep_work_dir(const std::filesystem::path &work_dir, std::chrono::hours max_age, int max_jobs,
                   std::int64_t keep_job_id, const Logger &logger);

} // namespace vtc::host
