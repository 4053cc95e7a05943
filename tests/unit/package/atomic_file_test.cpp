// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/atomic_file.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using vtc::detail::write_file_atomically;

namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "vtc-atomic-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::permissions(path_, fs::perms::owner_all, ignored);
        fs::remove_all(path_, ignored);
    }
    const fs::path &path() const { return path_; }

private:
    fs::path path_;
};

std::string read_text(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::string text(static_cast<size_t>(fs::file_size(path)), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    REQUIRE(in.gcount() == static_cast<std::streamsize>(text.size()));
    return text;
}

std::vector<std::string> names_in(const fs::path &dir) {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

/// Tries the write in @p dir made read-only. Root ignores directory permissions, so
/// as root the attempt runs in a child that has dropped to an unprivileged uid;
/// either way the error line comes back as text ("OK" when the write succeeded).
std::string write_into_read_only_dir(const fs::path &dir) {
    REQUIRE(::chmod(dir.c_str(), 0555) == 0);
    const fs::path target = dir / "master.m3u8";
    if (::geteuid() != 0) {
        auto result = write_file_atomically(target, "#EXTM3U\n");
        return result ? "OK" : result.error().to_string();
    }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(fds[0]);
        std::string line;
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
            line = std::string("setuid failed: ") + std::strerror(errno);
        } else {
            auto result = write_file_atomically(target, "#EXTM3U\n");
            line = result ? "OK" : result.error().to_string();
        }
        const ssize_t written = ::write(fds[1], line.data(), line.size());
        ::_exit(written == static_cast<ssize_t>(line.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string line;
    char buffer[512];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        line.append(buffer, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return line;
}

} // namespace

TEST_CASE("the content arrives whole, replaces the old file, and no temp file is left") {
    TempDir dir;
    const fs::path target = dir.path() / "stream.m3u8";
    REQUIRE(write_file_atomically(target, "first\n"));
    CHECK(read_text(target) == "first\n");

    std::string big(1 << 20, 'x');
    big.back() = '\n';
    REQUIRE(write_file_atomically(target, big));
    CHECK(read_text(target) == big);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"stream.m3u8"});

    struct stat info {};
    REQUIRE(::stat(target.c_str(), &info) == 0);
    // 0644 before the umask: readable by the web server, never group/other-writable.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((info.st_mode & 0777) == (0644 & ~mask));

    REQUIRE(write_file_atomically(target, ""));
    CHECK(fs::file_size(target) == 0);
}

TEST_CASE("a relative path writes into the current directory") {
    TempDir dir;
    const auto previous = fs::current_path();
    fs::current_path(dir.path());
    auto result = write_file_atomically("manifest.mpd", "<MPD/>\n");
    fs::current_path(previous);
    REQUIRE(result);
    CHECK(read_text(dir.path() / "manifest.mpd") == "<MPD/>\n");
}

TEST_CASE("a read-only directory gives a one-line error naming the path and the cause") {
    TempDir dir;
    const std::string line = write_into_read_only_dir(dir.path());
    CHECK(line.find("package: " + (dir.path() / "master.m3u8").string()) == 0);
    CHECK(line.find(std::strerror(EACCES)) != std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("failures leave the target alone and remove the temporary file") {
    TempDir dir;
    // rename() cannot replace a non-empty directory: the failure comes after the temp
    // file was written, so this checks the clean-up path.
    const fs::path target = dir.path() / "720p";
    fs::create_directory(target);
    std::ofstream(target / "init.mp4") << "x";
    auto result = write_file_atomically(target, "text");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == vtc::Errc::io);
    CHECK(result.error().file == target.string());
    CHECK(result.error().message.find("rename") != std::string::npos);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"720p"});
    CHECK(fs::is_directory(target));

    auto missing = write_file_atomically(dir.path() / "no" / "such" / "master.m3u8", "x");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find(std::strerror(ENOENT)) != std::string::npos);

    CHECK_FALSE(write_file_atomically(dir.path() / "", "x"));
}
