// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

extern char **environ;

namespace vtc::detail {
namespace {

// Closes a descriptor once, on every path out.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() { reset(); }
    int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    int *out() noexcept { return &fd_; }

private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

bool make_pipe(Pipe &pipe) {
    int fds[2];
    // O_CLOEXEC atomically: another thread's fork/exec must not inherit these.
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return false;
    }
    *pipe.read.out() = fds[0];
    *pipe.write.out() = fds[1];
    return true;
}

std::string errno_text(const std::string &what, int error) {
    return what + ": " + std::strerror(error);
}

} // namespace

ChildOutcome run_child(const std::filesystem::path &executable,
                       const std::vector<std::string> &arguments, std::chrono::milliseconds timeout,
                       size_t max_output_bytes) {
    ChildOutcome outcome;
    const std::string program = executable.string();
    // posix_spawn() reports a missing executable only where the C library
    // implements it with vfork/clone (glibc does; a fork-based one, such as
    // valgrind's, exits 127 instead): check first, for one answer everywhere.
    if (::access(program.c_str(), X_OK) != 0) {
        outcome.start_error = errno_text("cannot start " + program, errno);
        return outcome;
    }
    Pipe out_pipe;
    Pipe err_pipe;
    if (!make_pipe(out_pipe) || !make_pipe(err_pipe)) {
        outcome.start_error = errno_text("pipe", errno);
        return outcome;
    }

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    // dup2 clears O_CLOEXEC on the target, so only these two survive the exec.
    posix_spawn_file_actions_adddup2(&actions, out_pipe.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe.write.get(), STDERR_FILENO);
    // Its own process group, so a timeout kills whatever it started as well;
    // default signal dispositions, whatever the embedding program set.
    sigset_t default_signals;
    sigemptyset(&default_signals);
    sigaddset(&default_signals, SIGPIPE);
    sigaddset(&default_signals, SIGCHLD);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setsigdefault(&attributes, &default_signals);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                              POSIX_SPAWN_SETSIGMASK);

    std::vector<char *> argv;
    argv.reserve(arguments.size() + 2);
    argv.push_back(const_cast<char *>(program.c_str()));
    for (const std::string &argument : arguments) {
        argv.push_back(const_cast<char *>(argument.c_str()));
    }
    argv.push_back(nullptr);

    pid_t pid = -1;
    const int spawn_error =
        posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    out_pipe.write.reset();
    err_pipe.write.reset();
    if (spawn_error != 0) {
        outcome.start_error = errno_text("cannot start " + program, spawn_error);
        return outcome;
    }
    outcome.started = true;

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> fds = {
        {{out_pipe.read.get(), POLLIN, 0}, {err_pipe.read.get(), POLLIN, 0}}};
    std::array<std::string *, 2> sinks = {&outcome.stdout_text, &outcome.stderr_text};
    int open_streams = 2;
    std::array<char, 4096> buffer;
    while (open_streams > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            outcome.timed_out = true;
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            const ssize_t count = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (count > 0) {
                std::string &sink = *sinks[i];
                const size_t room = max_output_bytes - std::min(max_output_bytes, sink.size());
                sink.append(buffer.data(), std::min(room, static_cast<size_t>(count)));
            } else if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
                fds[i].fd = -1; // poll() ignores negative descriptors
                --open_streams;
            }
        }
    }

    // The streams may close before the process ends (or a grandchild may keep
    // them open after it ended), so reaping honours the same deadline.
    int status = 0;
    pid_t reaped = 0;
    for (;;) {
        reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped < 0 && errno == EINTR) {
            continue;
        }
        if (reaped != 0) {
            break; // reaped, or an error such as ECHILD (SIGCHLD ignored by the caller)
        }
        if (outcome.timed_out || std::chrono::steady_clock::now() >= deadline) {
            outcome.timed_out = true;
            ::kill(-pid, SIGKILL);
            do {
                reaped = ::waitpid(pid, &status, 0);
            } while (reaped < 0 && errno == EINTR);
            break;
        }
        ::usleep(2000);
    }
    if (reaped == pid) {
        // Exited before the deadline after all: not a timeout.
        if (WIFEXITED(status)) {
            outcome.timed_out = false;
            outcome.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status) && !(outcome.timed_out && WTERMSIG(status) == SIGKILL)) {
            outcome.timed_out = false;
            outcome.signal = WTERMSIG(status);
        }
    }
    // Something still holds the pipes: a grandchild in the group. A process
    // group id is not reused while a member lives, so this hits only it.
    if (open_streams > 0) {
        ::kill(-pid, SIGKILL);
    }
    return outcome;
}

} // namespace vtc::detail
