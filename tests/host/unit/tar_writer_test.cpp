// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "upload/sha256.hpp"
#include "upload/tar_writer.hpp"
#include "upload/uploader.hpp"

#include "../fake_api/fake_api.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace vtc;
using namespace vtc::host;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        static int n = 0;
        path = fs::temp_directory_path() /
               ("vtc-tar-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path write(const std::string &name, const std::string &content) const {
        const fs::path p = path / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
};

std::string slurp(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

struct Entry {
    std::string name;
    unsigned type;
    unsigned perm;
    std::int64_t uid;
};

std::vector<Entry> list(const fs::path &archive_path, int &filter) {
    archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    REQUIRE(archive_read_open_filename(a, archive_path.c_str(), 65536) == ARCHIVE_OK);
    std::vector<Entry> out;
    archive_entry *e = nullptr;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        out.push_back({archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_perm(e),
                       archive_entry_uid(e)});
    }
    filter = archive_filter_code(a, 0);
    archive_read_free(a);
    return out;
}

} // namespace

TEST_CASE("tars are gzip, bare names, regular files, mode 0644, owner 0, no directory entries") {
    TempDir t;
    const fs::path a = t.write("out/720p.m3u8", "#EXTM3U\n");
    const fs::path b = t.write("out/720p_0000.ts", std::string(1000, 'G'));
    ::chmod(b.c_str(), 0600); // the archive mode does not depend on the file's
    const fs::path c = t.write("out/720p/init.mp4", "....ftyp");
    auto size = write_tar_gz({{"720p.m3u8", a}, {"720p_0000.ts", b}, {"720p/init.mp4", c}},
                             t.path / "q.tar.gz", quality_tar_rules());
    REQUIRE(size);
    CHECK(*size > 0);
    int filter = 0;
    const auto entries = list(t.path / "q.tar.gz", filter);
    CHECK(filter == ARCHIVE_FILTER_GZIP);
    REQUIRE(entries.size() == 3);
    for (const Entry &e : entries) {
        CHECK(e.type == AE_IFREG);
        CHECK(e.perm == 0644);
        CHECK(e.uid == 0);
        CHECK(e.name.rfind("./", 0) != 0);
    }
    CHECK(entries[2].name == "720p/init.mp4");
    // And the server's own rules accept it.
    auto check = vtc::host::test::check_vlog_tar(slurp(t.path / "q.tar.gz"), false, {});
    CHECK(check.status == 200);
    CHECK(check.files.size() == 3);
}

TEST_CASE("tar member names the server would refuse are refused before writing") {
    const TarRules q = quality_tar_rules();
    for (const char *bad : {"./master.m3u8", "/abs.ts", "../up.ts", "a/../b.ts", "a//b.ts", "x.sh",
                            "manifest.mpd", "", "dir\\x.ts", "ctl\x01.ts"}) {
        CAPTURE(bad);
        CHECK_FALSE(check_member_name(bad, q));
    }
    const TarRules f = finalize_tar_rules();
    CHECK(check_member_name("master.m3u8", f));
    CHECK(check_member_name("manifest.mpd", f));
    CHECK(check_member_name("thumbnail.jpg", f));
    CHECK_FALSE(check_member_name("./master.m3u8", f));
    CHECK_FALSE(check_member_name("720p.m3u8", f));
}

TEST_CASE("links, special files and oversized files never get archived") {
    TempDir t;
    const fs::path real = t.write("real.ts", "G");
    fs::create_symlink(real, t.path / "link.ts");
    auto linked =
        write_tar_gz({{"link.ts", t.path / "link.ts"}}, t.path / "a.tar.gz", quality_tar_rules());
    REQUIRE_FALSE(linked);
    CHECK(linked.error().message.find("not a regular file") != std::string::npos);
    CHECK_FALSE(fs::exists(t.path / "a.tar.gz"));
    CHECK_FALSE(fs::exists(t.path / "a.tar.gz.part"));
    ::mkfifo((t.path / "fifo.ts").c_str(), 0644);
    CHECK_FALSE(
        write_tar_gz({{"fifo.ts", t.path / "fifo.ts"}}, t.path / "b.tar.gz", quality_tar_rules()));
    TarRules small = quality_tar_rules();
    small.max_file_bytes = 10;
    const fs::path big = t.write("big.ts", std::string(11, 'G'));
    auto too_big = write_tar_gz({{"big.ts", big}}, t.path / "c.tar.gz", small);
    REQUIRE_FALSE(too_big);
    CHECK(too_big.error().message.find("per-file limit") != std::string::npos);
    small.max_members = 1;
    CHECK_FALSE(write_tar_gz({{"a.ts", real}, {"b.ts", real}}, t.path / "d.tar.gz", small));
    CHECK_FALSE(
        write_tar_gz({{"a.ts", real}, {"a.ts", real}}, t.path / "e.tar.gz", quality_tar_rules()));
}

TEST_CASE("rendition members follow the §5.8 names and stay inside the output") {
    TempDir t;
    t.write("original.m3u8", "#EXTM3U");
    t.write("original_0000.ts", "G");
    t.write("original_0001.ts", "G");
    t.write("480p/init.mp4", "x");
    t.write("480p/seg_0000.m4s", "x");
    t.write("480p/stream.m3u8", "#EXTM3U");
    ProducedRendition original{"original", 640, 360, 900, "", {}};
    auto scanned = rendition_members(t.path, original);
    REQUIRE(scanned);
    REQUIRE(scanned->size() == 3);
    CHECK(scanned->back().name == "original.m3u8"); // playlist last
    ProducedRendition cmaf{"480p", 854, 480,
                           1000,   "",  {"480p/stream.m3u8", "480p/seg_0000.m4s", "480p/init.mp4"}};
    auto listed = rendition_members(t.path, cmaf);
    REQUIRE(listed);
    CHECK(listed->front().name == "480p/init.mp4");
    CHECK(listed->back().name == "480p/stream.m3u8");
    ProducedRendition outside{"480p", 0, 0, 0, "", {"../evil.ts"}};
    CHECK_FALSE(rendition_members(t.path, outside));
    ProducedRendition foreign{"480p", 0, 0, 0, "", {"original_0000.ts"}};
    CHECK_FALSE(rendition_members(t.path, foreign));
    ProducedRendition none{"720p", 0, 0, 0, "", {}};
    CHECK_FALSE(rendition_members(t.path, none));
}

TEST_CASE("SHA-256 is lower-case hex, for files and buffers") {
    TempDir t;
    const fs::path p = t.write("abc", "abc");
    auto sum = sha256_file(p);
    REQUIRE(sum);
    CHECK(*sum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_FALSE(sha256_file(t.path / "missing"));
}
