// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file atomic_file.hpp
/// @brief Writes small output files (playlists, manifests) so that a reader sees the
///        old file or the complete new one, never a partial one.
#pragma once

#include <vtranscode/result.hpp>

#include <filesystem>
#include <string_view>

namespace vtc::detail {

/// Replaces @p path with @p content atomically and durably.
///
/// Writes a uniquely named temporary file in the same directory (so the rename stays
/// on one file system), with mode 0644 (before the umask) and O_CLOEXEC, fsyncs it,
/// renames it over @p path and fsyncs the directory so the rename survives a crash.
/// On any failure the temporary file is removed and @p path is left as it was.
/// Thread-safe; concurrent writers to the same path each leave a complete file and
/// the last rename wins.
/// @return ok, or Errc::io with stage "package", file @p path and the failing step
///         with strerror (for example "create temporary file: Permission denied").
Result<void> write_file_atomically(const std::filesystem::path &path, std::string_view content);

} // namespace vtc::detail
