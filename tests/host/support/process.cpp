// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vtc::host::test {

Child::Child(std::vector<std::string> argv, const std::map<std::string, std::string> &env,
             const std::filesystem::path &output)
    : output_(output) {
    std::vector<char *> args;
    for (std::string &a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto &[k, v] : env) {
        env_strings.push_back(k + "=" + v);
    }
    std::vector<char *> envp;
    for (std::string &e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    // The test process may have signals blocked or ignored; the child starts clean.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + argv[0]);
    }
}

Child::~Child() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait(std::chrono::seconds(5));
    }
}

void Child::signal(int sig) const {
    ::kill(pid_, sig);
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
    if (status_) {
        return status_;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return status_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

bool Child::running() {
    return !wait(std::chrono::milliseconds(0)).has_value();
}

std::string Child::output() const {
    std::ifstream in(output_);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()> &predicate, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return predicate();
}

namespace {

void flatten(const redisReply *r, std::vector<std::string> &out) {
    if (r == nullptr) {
        return;
    }
    switch (r->type) {
    case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < r->elements; ++i) {
            flatten(r->element[i], out);
        }
        break;
    case REDIS_REPLY_INTEGER:
        out.push_back(std::to_string(r->integer));
        break;
    case REDIS_REPLY_NIL:
        out.emplace_back("(nil)");
        break;
    default:
        out.emplace_back(r->str, r->len);
    }
}

} // namespace

std::vector<std::string> RedisServer::command(const std::vector<std::string> &args) const {
    timeval tv{2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    std::vector<std::string> out;
    if (c == nullptr || c->err) {
        if (c) {
            redisFree(c);
        }
        throw std::runtime_error("redis test client cannot connect");
    }
    std::vector<const char *> argv;
    std::vector<size_t> lens;
    for (const std::string &a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    auto *reply = static_cast<redisReply *>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    flatten(reply, out);
    if (reply) {
        freeReplyObject(reply);
    }
    redisFree(c);
    return out;
}

RedisServer::RedisServer(const std::filesystem::path &dir) {
    std::filesystem::create_directories(dir);
    std::string binary = "/usr/bin/redis-server";
    if (const char *env = std::getenv("REDIS_SERVER")) {
        binary = env;
    }
    if (!std::filesystem::exists(binary)) {
        throw std::runtime_error(binary +
                                 " not found: install redis-server (scripts/install-deps.sh)");
    }
    port_ = free_port();
    child_ = std::make_unique<Child>(
        std::vector<std::string>{binary, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", dir.string(),
                                 "--protected-mode", "yes"},
        std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}}, dir / "redis.log");
    const bool up = eventually(
        [&] {
            try {
                return command({"PING"}) == std::vector<std::string>{"PONG"};
            } catch (const std::exception &) {
                return false;
            }
        },
        std::chrono::seconds(10));
    if (!up) {
        throw std::runtime_error("redis-server did not start: " + child_->output());
    }
}

RedisServer::~RedisServer() {
    if (child_) {
        child_->signal(SIGTERM);
        child_->wait(std::chrono::seconds(5));
    }
}

} // namespace vtc::host::test
