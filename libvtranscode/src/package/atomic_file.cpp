// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/atomic_file.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vtc::detail {
namespace {

Unexpected io_error(const std::filesystem::path &path, std::string_view step, int error_number) {
    return fail(Errc::io, "package", path.string(),
                fmt::format("{}: {}", step, std::strerror(error_number)));
}

/// A name no other writer uses: pid + a process-wide counter + a random word, so
/// two processes, two threads or a stale file from a crash never collide (O_EXCL
/// catches the rest). The leading dot keeps it out of `*.m3u8` globs.
std::filesystem::path temporary_name(const std::filesystem::path &path) {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto name = fmt::format(".{}.tmp-{}-{}-{:08x}", path.filename().string(), ::getpid(),
                                  counter.fetch_add(1), static_cast<uint32_t>(random()));
    return path.parent_path() / name;
}

bool write_all(int fd, std::string_view content, int &error_number) {
    while (!content.empty()) {
        const ssize_t written = ::write(fd, content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            error_number = errno;
            return false;
        }
        content.remove_prefix(static_cast<size_t>(written));
    }
    return true;
}

int fsync_retrying(int fd) {
    int rc = 0;
    do {
        rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

} // namespace

Result<void> write_file_atomically(const std::filesystem::path &path, std::string_view content) {
    if (path.filename().empty()) {
        return fail(Errc::invalid_argument, "package", path.string(), "not a file path");
    }
    std::filesystem::path temporary;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        temporary = temporary_name(path);
        fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            return io_error(path, "create temporary file", errno);
        }
    }
    if (fd < 0) {
        return io_error(path, "create temporary file", EEXIST);
    }

    const auto abandon = [&](std::string_view step, int error_number) {
        if (fd >= 0) {
            ::close(fd);
        }
        ::unlink(temporary.c_str());
        return io_error(path, step, error_number);
    };

    int error_number = 0;
    if (!write_all(fd, content, error_number)) {
        return abandon("write temporary file", error_number);
    }
    // Data first, then the rename: otherwise a crash could leave the new name
    // pointing at an empty file.
    if (fsync_retrying(fd) != 0) {
        return abandon("fsync temporary file", errno);
    }
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) {
        return abandon("close temporary file", errno);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return abandon("rename over target", errno);
    }

    const auto directory =
        path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        return io_error(path, "open directory to fsync the rename", errno);
    }
    const int synced = fsync_retrying(dir_fd);
    const int sync_errno = errno;
    ::close(dir_fd);
    // Some file systems cannot fsync a directory; the rename is then as durable as
    // they allow, which is not a reason to fail the job.
    if (synced != 0 && sync_errno != EINVAL && sync_errno != ENOTSUP) {
        return io_error(path, "fsync directory", sync_errno);
    }
    return ok();
}

} // namespace vtc::detail
