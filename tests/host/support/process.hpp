// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file process.hpp
/// @brief Child processes for end-to-end tests: the worker binary and redis-server.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace vtc::host::test {

/// A child process with stdout and stderr sent to one file. Killed (SIGKILL) on destruction
/// if still running.
class Child {
public:
    /// Starts `argv[0]` with exactly `env` as its environment (nothing inherited).
    Child(std::vector<std::string> argv, const std::map<std::string, std::string> &env,
          const std::filesystem::path &output);
    ~Child();
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    /// Waits up to `timeout` for the exit. @return the exit status (or 128 + signal), or
    /// nullopt when still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();
    /// Everything the child wrote so far.
    std::string output() const;

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::filesystem::path output_;
};

/// A port nothing listens on right now (bound, read back and released).
int free_port();

/// Waits until `predicate` holds, checking every 25 ms.
bool eventually(const std::function<bool()> &predicate, std::chrono::milliseconds timeout);

/// A real redis-server on 127.0.0.1:(free port), without persistence, in `dir`.
class RedisServer {
public:
    explicit RedisServer(const std::filesystem::path &dir);
    ~RedisServer();
    int port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    /// Runs a command with redis' own protocol client (hiredis) and returns the reply
    /// flattened to strings (nested arrays joined; integers as text).
    std::vector<std::string> command(const std::vector<std::string> &args) const;

private:
    int port_ = 0;
    std::unique_ptr<Child> child_;
};

} // namespace vtc::host::test
