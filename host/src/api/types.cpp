// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/types.hpp"

#include <algorithm>

namespace vtc::host {

const std::vector<std::string> &vlog_quality_names() {
    static const std::vector<std::string> names = {"2160p", "1440p", "1080p",   "720p",
                                                   "480p",  "360p",  "original"};
    return names;
}

bool is_vlog_quality(const std::string &name) {
    const auto &names = vlog_quality_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace vtc::host
