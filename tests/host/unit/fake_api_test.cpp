// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The fake Worker API must refuse what the real server refuses, or the end-to-end tests
// prove nothing. These tests pin its rules independently of the worker.
#include "../fake_api/fake_api.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <httplib.h>

#include <fstream>
#include <unistd.h>

using namespace vtc::host::test;
namespace fs = std::filesystem;

namespace {

struct Member {
    Member(std::string n, std::string c, unsigned t = AE_IFREG, std::string l = {})
        : name(std::move(n)), content(std::move(c)), type(t), link(std::move(l)) {}
    std::string name;
    std::string content;
    unsigned type;
    std::string link; // symlink target or hardlink source
};

std::string make_tar(const std::vector<Member> &members, bool gzip = true) {
    archive *a = archive_write_new();
    if (gzip) {
        archive_write_add_filter_gzip(a);
    }
    archive_write_set_format_pax_restricted(a);
    std::vector<char> buffer(1 << 22);
    size_t used = 0;
    archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
    for (const Member &m : members) {
        archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m.name.c_str());
        archive_entry_set_perm(e, 0644);
        if (!m.link.empty() && m.type == AE_IFREG) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, m.link.c_str());
            archive_entry_set_size(e, 0);
        } else {
            archive_entry_set_filetype(e, m.type);
            if (m.type == AE_IFLNK) {
                archive_entry_set_symlink(e, m.link.c_str());
            }
            archive_entry_set_size(e, m.type == AE_IFREG ? static_cast<la_int64_t>(m.content.size())
                                                         : 0);
        }
        archive_write_header(a, e);
        if (m.type == AE_IFREG && m.link.empty()) {
            archive_write_data(a, m.content.data(), m.content.size());
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return std::string(buffer.data(), used);
}

const FakeVlogApi::Options limits{};

} // namespace

TEST_CASE("fake API tar rules: what the real server accepts") {
    auto ts = check_vlog_tar(make_tar({{"720p.m3u8", "#EXTM3U\n"}, {"720p_0000.ts", "G..."}}),
                             false, limits);
    CHECK(ts.status == 200);
    CHECK(ts.files.size() == 2);
    auto cmaf = check_vlog_tar(make_tar({{"720p/init.mp4", "x"}, {"720p/seg_0000.m4s", "y"}}),
                               false, limits);
    CHECK(cmaf.status == 200);
    auto fin = check_vlog_tar(make_tar({{"master.m3u8", "#EXTM3U"},
                                        {"manifest.mpd", "<MPD/>"},
                                        {"thumbnail.jpg", "\xff\xd8\xff"}}),
                              true, limits);
    CHECK(fin.status == 200);
}

TEST_CASE("fake API tar rules: what the real server refuses") {
    struct Row {
        const char *what;
        std::string tar;
        bool finalize;
        int status;
        const char *detail;
    };
    const std::vector<Row> rows = {
        {"not gzip", make_tar({{"720p.m3u8", "x"}}, false), false, 500, ""},
        {"not a tar", std::string("\x1f\x8b garbage", 10), false, 500, ""},
        {"symlink", make_tar({{"720p.m3u8", "", AE_IFLNK, "/etc/passwd"}}), false, 400,
         "symlinks not allowed"},
        {"hardlink", make_tar({{"a.ts", "G"}, {"b.ts", "", AE_IFREG, "a.ts"}}), false, 400,
         "symlinks not allowed"},
        {"fifo", make_tar({{"x.ts", "", AE_IFIFO}}), false, 400, "only regular files"},
        {"traversal", make_tar({{"../../etc/x.ts", "G"}}), false, 400, "Path traversal"},
        {"absolute", make_tar({{"/tmp/x.ts", "G"}}), false, 400, "Path traversal"},
        {"extension", make_tar({{"720p.sh", "#!/bin/sh"}}), false, 400, "Invalid file type"},
        {"mpd in a quality tar", make_tar({{"manifest.mpd", "<MPD/>"}}), false, 400,
         "Invalid file type"},
        {"./ prefix in finalize", make_tar({{"./master.m3u8", "#EXTM3U"}}), true, 400,
         "Unexpected file in archive: ./master.m3u8"},
        {"other name in finalize", make_tar({{"720p.m3u8", "#EXTM3U"}}), true, 400,
         "Unexpected file"},
        {"ts in finalize", make_tar({{"x.ts", "G"}}), true, 400, "Invalid file type"},
    };
    for (const Row &row : rows) {
        CAPTURE(row.what);
        TarCheck c = check_vlog_tar(row.tar, row.finalize, limits);
        CHECK(c.status == row.status);
        CHECK(c.detail.find(row.detail) != std::string::npos);
    }
    FakeVlogApi::Options small;
    small.max_single_file_bytes = 10;
    small.max_archive_files = 2;
    CHECK(check_vlog_tar(make_tar({{"a.ts", std::string(11, 'G')}}), false, small).status == 400);
    CHECK(check_vlog_tar(make_tar({{"a.ts", "G"}, {"b.ts", "G"}, {"c.ts", "G"}}), false, small)
              .status == 400);
}

TEST_CASE("fake API: auth, ownership, leases and segment rules") {
    const fs::path root =
        fs::temp_directory_path() / ("vtc-fake-test-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    const fs::path src = root / "src.mp4";
    { std::ofstream(src, std::ios::binary) << std::string(1000, 'v'); }
    FakeVlogApi::Options options;
    options.lease = std::chrono::milliseconds(400);
    FakeVlogApi api(root / "storage", options);
    const std::string key = api.add_worker("w1");
    const std::string other = api.add_worker("w2");
    const std::int64_t job = api.add_job(15, "my-video", src);
    api.start();
    httplib::Client cli("127.0.0.1", api.port());
    const httplib::Headers auth = {{"X-Worker-API-Key", key}};

    auto missing = cli.Post("/api/worker/claim");
    REQUIRE(missing);
    CHECK(missing->status == 401);
    auto bad =
        cli.Post("/api/worker/claim", httplib::Headers{{"X-Worker-API-Key", "nope"}}, "", "");
    CHECK(bad->status == 401);

    auto claim = cli.Post("/api/worker/claim", auth, "", "");
    REQUIRE(claim);
    auto claimed = Json::parse(claim->body);
    CHECK(claimed["job_id"] == job);
    CHECK(claimed["source_filename"] == "15.mp4");
    CHECK(claimed["existing_qualities"].is_null());

    auto theirs =
        cli.Post("/api/worker/" + std::to_string(job) + "/progress",
                 httplib::Headers{{"X-Worker-API-Key", other}},
                 R"({"current_step":"download","progress_percent":1})", "application/json");
    CHECK(theirs->status == 403);
    auto bad_step =
        cli.Post("/api/worker/" + std::to_string(job) + "/progress", auth,
                 R"({"current_step":"claimed","progress_percent":1})", "application/json");
    CHECK(bad_step->status == 422);
    CHECK(Json::parse(bad_step->body)["detail"].is_array());
    auto bad_quality = cli.Post("/api/worker/" + std::to_string(job) + "/progress", auth,
                                R"({"current_step":"transcode","progress_percent":1,
                                    "quality_progress":[{"name":"4k","status":"pending","progress":0}]})",
                                "application/json");
    CHECK(bad_quality->status == 500);

    // Segments: SHA-256 must be lower-case hex of the body; magic bytes; filename rules.
    std::string seg = std::string("\0\0\0\x10moof", 8) + "payload";
    const std::string path = "/api/worker/upload/15/segment/720p/seg_0000.m4s";
    auto wrong_sum = cli.Post(
        path,
        httplib::Headers{{"X-Worker-API-Key", key}, {"X-Content-SHA256", std::string(64, 'a')}},
        seg, "application/octet-stream");
    CHECK(wrong_sum->status == 400);
    std::string upper = sha256_hex(seg);
    for (char &c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    auto upper_sum =
        cli.Post(path, httplib::Headers{{"X-Worker-API-Key", key}, {"X-Content-SHA256", upper}},
                 seg, "application/octet-stream");
    CHECK(upper_sum->status == 400);
    auto good = cli.Post(
        path, httplib::Headers{{"X-Worker-API-Key", key}, {"X-Content-SHA256", sha256_hex(seg)}},
        seg, "application/octet-stream");
    CHECK(good->status == 200);
    CHECK(Json::parse(good->body)["written"] == true);
    auto again = cli.Post(path,
                          httplib::Headers{{"X-Worker-API-Key", key},
                                           {"X-Content-SHA256", "sha256:" + sha256_hex(seg)}},
                          seg, "application/octet-stream");
    CHECK(Json::parse(again->body)["written"] == false);
    auto no_header = cli.Post(path, auth, seg, "application/octet-stream");
    CHECK(no_header->status == 422);
    auto bad_magic = cli.Post(
        "/api/worker/upload/15/segment/720p/x.mp4",
        httplib::Headers{{"X-Worker-API-Key", key}, {"X-Content-SHA256", sha256_hex("notanmp4")}},
        "notanmp4", "application/octet-stream");
    CHECK(bad_magic->status == 400);
    auto bad_quality_seg =
        cli.Post("/api/worker/upload/15/segment/4k/seg_0000.m4s",
                 httplib::Headers{{"X-Worker-API-Key", key}, {"X-Content-SHA256", sha256_hex(seg)}},
                 seg, "application/octet-stream");
    CHECK(bad_quality_seg->status == 400);

    // Leases: only progress (and new segments, finalize) renew; expiry gives 409, then a
    // claim by anyone releases the job and the old owner gets 403.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto expired =
        cli.Post("/api/worker/" + std::to_string(job) + "/progress", auth,
                 R"({"current_step":"download","progress_percent":1})", "application/json");
    CHECK(expired->status == 409);
    auto reclaim =
        cli.Post("/api/worker/claim", httplib::Headers{{"X-Worker-API-Key", other}}, "", "");
    CHECK(Json::parse(reclaim->body)["job_id"] == job);
    auto lost = cli.Post("/api/worker/" + std::to_string(job) + "/progress", auth,
                         R"({"current_step":"download","progress_percent":1})", "application/json");
    CHECK(lost->status == 403);
    auto source = cli.Get("/api/worker/source/15", auth);
    CHECK(source->status == 403);

    api.stop();
    fs::remove_all(root);
}
