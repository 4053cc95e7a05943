// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Where plugins and the probe helper are looked for.
#pragma once

#include <vtranscode/log.hpp>

#include <filesystem>
#include <string_view>
#include <vector>

namespace vtc::detail {

/// Splits a colon-separated list, dropping empty entries.
std::vector<std::filesystem::path> split_path_list(std::string_view list);

/// VTC_PLUGIN_PATH, then VTC_PLUGIN_SYSTEM_PATH when set (set but empty = no
/// system directory), else the installed plugin directory.
std::vector<std::filesystem::path> default_plugin_search_path();

/// VTC_PROBE_PATH when set and non-empty, else the installed vtc-probe.
std::filesystem::path default_probe_executable();

/// Every entry named vtc-*.so in @p directories, in directory order and by
/// name within a directory. Entries of any type are returned (a directory
/// named vtc-x.so is refused later with its own log line). A directory listed
/// twice is read once; a missing one is skipped with a debug line, an
/// unreadable one with a warning line.
std::vector<std::filesystem::path>
find_plugin_files(const std::vector<std::filesystem::path> &directories, const Logger &logger);

} // namespace vtc::detail
