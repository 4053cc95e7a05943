// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Shared helpers of the loader tests: where meson put the zoo, a logger that
// keeps every line, and scratch directories.
#pragma once

#include <vtranscode/log.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vtc::test {

inline std::filesystem::path env_path(const char *name) {
    const char *value = std::getenv(name);
    REQUIRE_MESSAGE(value != nullptr, name << " is not set (run the tests through meson test)");
    return value;
}

inline std::filesystem::path fake_dir() {
    return env_path("VTC_FAKE_PLUGIN_DIR");
}
inline std::filesystem::path fake_hang_dir() {
    return env_path("VTC_FAKE_HANG_DIR");
}
inline std::filesystem::path fake(const std::string &name) {
    return fake_dir() / ("vtc-" + name + ".so");
}
inline std::filesystem::path probe_path() {
    return env_path("VTC_PROBE_PATH");
}
inline std::filesystem::path cli_path() {
    return env_path("VTC_CLI_PATH");
}

/// A Logger that records "level component: message" lines.
class CapturedLog {
public:
    CapturedLog() : lines_(std::make_shared<State>()) {}

    Logger logger(LogLevel max_level = LogLevel::trace) const {
        auto state = lines_;
        return Logger(
            [state](LogLevel level, std::string_view component, std::string_view message) {
                std::lock_guard<std::mutex> lock(state->mutex);
                state->lines.push_back(std::string(log_level_name(level)) + " " +
                                       std::string(component) + ": " + std::string(message));
            },
            max_level);
    }

    std::vector<std::string> lines() const {
        std::lock_guard<std::mutex> lock(lines_->mutex);
        return lines_->lines;
    }

    /// Lines that contain @p needle.
    std::vector<std::string> matching(const std::string &needle) const {
        std::vector<std::string> found;
        for (const std::string &line : lines()) {
            if (line.find(needle) != std::string::npos) {
                found.push_back(line);
            }
        }
        return found;
    }

private:
    struct State {
        std::mutex mutex;
        std::vector<std::string> lines;
    };
    std::shared_ptr<State> lines_;
};

/// Sets (or, with nullptr, unsets) an environment variable for a scope. Child
/// processes started meanwhile inherit it. Not thread-safe: tests only.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const char *value) : name_(name) {
        if (const char *old = std::getenv(name)) {
            old_ = old;
            had_old_ = true;
        }
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (had_old_) {
            ::setenv(name_, old_.c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *name_;
    std::string old_;
    bool had_old_ = false;
};

/// A fresh directory, removed with its contents at scope exit.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "vtc-test-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::filesystem::path &path() const { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace vtc::test
