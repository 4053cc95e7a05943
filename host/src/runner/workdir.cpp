// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "runner/workdir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace vtc::host {

namespace fs = std::filesystem;

std::string local_source_name(const std::optional<std::string> &server_name, bool &rejected) {
    rejected = false;
    if (!server_name || server_name->empty()) {
        return "source.bin";
    }
    const std::string &name = *server_name;
    const std::size_t dot = name.rfind('.');
    bool plain = dot != std::string::npos && dot > 0 && name.size() <= 255;
    for (std::size_t i = 0; plain && i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        plain = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i == dot);
    }
    if (plain) {
        std::string ext = name.substr(dot);
        for (char &c : ext) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        for (const char *allowed : {".mp4", ".mkv", ".webm", ".mov", ".avi"}) {
            if (ext == allowed) {
                return "source" + ext;
            }
        }
    }
    rejected = true;
    return "source.bin";
}

fs::path job_dir(const fs::path &work_dir, std::int64_t job_id) {
    return work_dir / std::to_string(job_id);
}

void remove_job_output(const fs::path &dir) {
    std::error_code ec;
    fs::remove_all(dir / "output", ec);
    fs::remove_all(dir / "upload", ec);
}

void remove_job_dir(const fs::path &dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
}

int sweep_work_dir(const fs::path &work_dir, std::chrono::hours max_age, int max_jobs,
                   std::int64_t keep_job_id, const Logger &logger) {
    struct Entry {
        fs::path path;
        fs::file_time_type mtime;
    };
    std::vector<Entry> jobs;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(work_dir, ec)) {
        const std::string name = entry.path().filename().string();
        const bool digits =
            !name.empty() && name.size() < 20 && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c)) != 0;
            });
        std::error_code type_ec;
        if (!digits || !entry.is_directory(type_ec) || entry.is_symlink(type_ec)) {
            continue;
        }
        if (keep_job_id > 0 && name == std::to_string(keep_job_id)) {
            continue;
        }
        jobs.push_back({entry.path(), entry.last_write_time(type_ec)});
    }
    std::sort(jobs.begin(), jobs.end(),
              [](const Entry &a, const Entry &b) { return a.mtime > b.mtime; });
    const auto now = fs::file_time_type::clock::now();
    int removed = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const bool too_old = now - jobs[i].mtime > max_age;
        const bool too_many = static_cast<int>(i) >= max_jobs;
        if (too_old || too_many) {
            remove_job_dir(jobs[i].path);
            ++removed;
            logger.log(
                LogLevel::info, "workdir",
                fmt::format("removed kept job directory {} ({})", jobs[i].path.string(),
                            too_old ? "older than the retention age" : "over the count limit"));
        }
    }
    return removed;
}

} // namespace vtc::host
