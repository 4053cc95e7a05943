// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file tar_writer.hpp
/// @brief Gzip tar archives that VLog's tar checks accept (protocol §2.8, §2.9, §10.3).
#pragma once

#include <vtranscode/result.hpp>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace vtc::host {

/// One archive member: the name stored in the tar and the file it comes from.
struct TarMember {
    std::string name; ///< bare relative name: "720p.m3u8" or "720p/seg_0000.m4s"
    std::filesystem::path file;
};

/// The server-side limits an archive must satisfy.
struct TarRules {
    std::size_t max_members = 50000;
    std::uint64_t max_file_bytes = 500ull << 20;
    std::uint64_t max_total_bytes = 200ull << 30;
    std::set<std::string> extensions;  ///< allowed suffixes, lower case, with the dot
    std::set<std::string> exact_names; ///< when non-empty, the only names allowed
};

/// Rules of POST .../quality/{q} (§2.8).
TarRules quality_tar_rules();
/// Rules of POST .../finalize (§2.9): only master.m3u8, manifest.mpd, thumbnail.jpg.
TarRules finalize_tar_rules();

/// Checks a member name: relative, no "./" prefix, no "." or ".." component, no empty
/// component, no backslash or control character, at most 255 bytes, an allowed suffix,
/// and one of the exact names when the rules have them.
/// @return ok, or Errc::invalid_argument saying what is wrong.
Result<void> check_member_name(const std::string &name, const TarRules &rules);

/// Writes `members` to `archive_path` as a gzip-compressed PAX/ustar tar: regular files
/// only (a symlink or anything else is refused, checked with lstat), mode 0644, owner 0,
/// no directory entries, names exactly as given. Files are checked against `rules` before
/// anything is written; the archive is written to a temporary name and renamed, so a
/// failure leaves no partial archive.
/// @return the archive size, or Errc::invalid_argument (a rule), Errc::io (a file).
Result<std::uint64_t> write_tar_gz(const std::vector<TarMember> &members,
                                   const std::filesystem::path &archive_path,
                                   const TarRules &rules);

} // namespace vtc::host
