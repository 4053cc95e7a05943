// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/search_path.hpp"

#include "plugin/validate.hpp"
#include "vtc_build_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

namespace vtc::detail {

std::vector<std::filesystem::path> split_path_list(std::string_view list) {
    std::vector<std::filesystem::path> paths;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(':', start);
        if (end == std::string_view::npos) {
            end = list.size();
        }
        if (end > start) {
            paths.emplace_back(std::string(list.substr(start, end - start)));
        }
        start = end + 1;
    }
    return paths;
}

std::vector<std::filesystem::path> default_plugin_search_path() {
    std::vector<std::filesystem::path> paths;
    if (const char *user = std::getenv("VTC_PLUGIN_PATH")) {
        paths = split_path_list(user);
    }
    if (const char *system = std::getenv("VTC_PLUGIN_SYSTEM_PATH")) {
        for (auto &path : split_path_list(system)) {
            paths.push_back(std::move(path));
        }
    } else {
        paths.emplace_back(VTC_INSTALLED_PLUGIN_DIR);
    }
    return paths;
}

std::filesystem::path default_probe_executable() {
    const char *probe = std::getenv("VTC_PROBE_PATH");
    if (probe != nullptr && *probe != '\0') {
        return probe;
    }
    return VTC_INSTALLED_PROBE_PATH;
}

std::vector<std::filesystem::path>
find_plugin_files(const std::vector<std::filesystem::path> &directories, const Logger &logger) {
    std::vector<std::filesystem::path> files;
    std::set<std::filesystem::path> seen_directories;
    for (const std::filesystem::path &directory : directories) {
        std::error_code ec;
        const std::filesystem::path key = std::filesystem::weakly_canonical(directory, ec);
        if (!seen_directories.insert(ec ? directory : key).second) {
            continue;
        }
        std::filesystem::directory_iterator it(directory, ec);
        if (ec) {
            if (ec == std::errc::no_such_file_or_directory) {
                logger.log(LogLevel::debug, "registry",
                           fmt::format("plugin directory {} does not exist", directory.string()));
            } else {
                logger.log(LogLevel::warning, "registry",
                           fmt::format("cannot read plugin directory {}: {}", directory.string(),
                                       ec.message()));
            }
            continue;
        }
        std::vector<std::filesystem::path> found;
        for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
            if (plugin_name_from_file(it->path())) {
                found.push_back(it->path());
            }
        }
        if (ec) {
            logger.log(LogLevel::warning, "registry",
                       fmt::format("error while reading plugin directory {}: {}",
                                   directory.string(), ec.message()));
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

} // namespace vtc::detail
