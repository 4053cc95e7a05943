// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "upload/uploader.hpp"

#include "upload/sha256.hpp"
#include "util/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace vtc::host {

namespace fs = std::filesystem;

namespace {

/// `path` relative to `root` when it lies inside it (lexically); nullopt otherwise.
std::optional<std::string> relative_inside(const fs::path &root, const fs::path &path) {
    const fs::path abs = path.is_absolute() ? path : root / path;
    const fs::path rel = abs.lexically_normal().lexically_relative(root.lexically_normal());
    const std::string s = rel.generic_string();
    if (s.empty() || s == "." || s.rfind("..", 0) == 0 || rel.is_absolute()) {
        return std::nullopt;
    }
    return s;
}

bool belongs_to(const std::string &name, const std::string &quality) {
    // TS: "{q}.m3u8" or "{q}_NNNN.ts" at the root; CMAF: anything under "{q}/".
    if (name.rfind(quality + "/", 0) == 0) {
        return name.find('/', quality.size() + 1) == std::string::npos;
    }
    if (name == quality + ".m3u8") {
        return true;
    }
    static const std::regex ts_re(R"(^(.+)_\d{4,}\.ts$)");
    std::smatch m;
    return std::regex_match(name, m, ts_re) && m[1] == quality;
}

/// Order within a rendition: init segment, media segments by name, playlist last (a
/// player that sees the playlist early would request segments not yet there).
int rank(const std::string &name) {
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "init.mp4") == 0) {
        return 0;
    }
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".m3u8") == 0) {
        return 2;
    }
    return 1;
}

void sort_members(std::vector<TarMember> &members) {
    std::sort(members.begin(), members.end(), [](const TarMember &a, const TarMember &b) {
        const int ra = rank(a.name), rb = rank(b.name);
        return ra != rb ? ra < rb : a.name < b.name;
    });
}

std::string basename_of(const std::string &name) {
    const std::size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(slash + 1);
}

} // namespace

/// Per-rendition record of what this output already sent: file name -> SHA-256.
/// Thread-safe: the early uploader and the final pass share it.
class UploadState {
public:
    explicit UploadState(fs::path path) : path_(std::move(path)) {
        std::ifstream in(path_);
        if (!in) {
            return;
        }
        std::ostringstream text;
        text << in.rdbuf();
        Json j = Json::parse(text.str(), nullptr, false);
        if (j.is_object()) {
            state_ = std::move(j);
        }
    }
    bool has(const std::string &quality, const std::string &file, const std::string &sha) const {
        std::lock_guard lock(mutex_);
        auto q = state_.find(quality);
        if (q == state_.end() || !q->is_object()) {
            return false;
        }
        auto f = q->find(file);
        return f != q->end() && f->is_string() && f->get<std::string>() == sha;
    }
    void record(const std::string &quality, const std::string &file, const std::string &sha) {
        std::lock_guard lock(mutex_);
        state_[quality][file] = sha;
        // Written after every file (temp + rename), so a crash loses at most one entry.
        const fs::path tmp = path_.string() + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << state_.dump();
        }
        std::error_code ec;
        fs::rename(tmp, path_, ec);
    }

private:
    mutable std::mutex mutex_;
    fs::path path_;
    Json state_ = Json::object();
};

Result<std::vector<TarMember>> rendition_members(const fs::path &output_dir,
                                                 const ProducedRendition &rendition) {
    std::vector<TarMember> members;
    const TarRules rules = quality_tar_rules();
    if (!rendition.files.empty()) {
        for (const fs::path &file : rendition.files) {
            const std::optional<std::string> name = relative_inside(output_dir, file);
            if (!name) {
                return fail(Errc::invalid_argument, "upload", file.string(),
                            "rendition file lies outside the output directory");
            }
            if (!belongs_to(*name, rendition.name)) {
                return fail(Errc::invalid_argument, "upload", *name,
                            "file is not named after rendition " + rendition.name);
            }
            if (Result<void> ok_name = check_member_name(*name, rules); !ok_name) {
                return Unexpected(std::move(ok_name).error());
            }
            members.push_back({*name, output_dir / *name});
        }
    } else {
        std::error_code ec;
        const fs::path dir = output_dir / rendition.name;
        if (fs::is_directory(dir, ec)) {
            for (const auto &entry : fs::directory_iterator(dir, ec)) {
                const std::string name = rendition.name + "/" + entry.path().filename().string();
                if (entry.is_regular_file() && check_member_name(name, rules)) {
                    members.push_back({name, entry.path()});
                }
            }
        } else {
            for (const auto &entry : fs::directory_iterator(output_dir, ec)) {
                const std::string name = entry.path().filename().string();
                if (entry.is_regular_file() && belongs_to(name, rendition.name)) {
                    members.push_back({name, entry.path()});
                }
            }
        }
    }
    if (members.empty()) {
        return fail(Errc::not_found, "upload", rendition.name, "rendition has no files");
    }
    sort_members(members);
    return members;
}

Uploader::Uploader(ApiClient &api, std::int64_t video_id, fs::path output_dir, fs::path scratch_dir,
                   Logger logger)
    : api_(api), video_id_(video_id), output_dir_(std::move(output_dir)),
      scratch_dir_(std::move(scratch_dir)), logger_(std::move(logger)),
      state_(std::make_unique<UploadState>(output_dir_ / ".upload_state.json")) {}

Uploader::~Uploader() = default;

Result<void> Uploader::upload_tar(const std::string &quality, const std::vector<TarMember> &members,
                                  std::stop_token cancel) {
    std::error_code ec;
    fs::create_directories(scratch_dir_, ec);
    const fs::path archive = scratch_dir_ / (quality + ".tar.gz");
    Result<std::uint64_t> size = write_tar_gz(members, archive, quality_tar_rules());
    if (!size) {
        return Unexpected(std::move(size).error());
    }
    logger_.log(LogLevel::info, "upload",
                fmt::format("uploading {} ({} files, {} bytes)", quality, members.size(), *size));
    Result<void> sent = api_.upload_quality(video_id_, quality, archive, cancel);
    fs::remove(archive, ec);
    return sent;
}

Result<void> Uploader::upload_streaming(const std::string &quality,
                                        const std::vector<TarMember> &members,
                                        const UploadProgressFn &progress, std::stop_token cancel) {
    Result<SegmentStatus> status = api_.segments_status(video_id_, quality, cancel);
    if (!status) {
        return Unexpected(std::move(status).error());
    }
    const std::set<std::string> received(status->received_segments.begin(),
                                         status->received_segments.end());
    std::uint64_t done = 0;
    int skipped = 0;
    int media_files = 0;
    std::string playlist_sha;
    for (const TarMember &m : members) {
        const std::string file = basename_of(m.name);
        if (m.name.find('/') == std::string::npos) {
            return fail(Errc::invalid_argument, "upload", m.name,
                        "streaming upload needs the CMAF layout ({q}/file)");
        }
        Result<std::string> sha = sha256_file(m.file);
        if (!sha) {
            return Unexpected(std::move(sha).error());
        }
        const bool is_playlist = rank(m.name) == 2;
        if (is_playlist) {
            playlist_sha = *sha;
        } else {
            ++media_files;
        }
        Result<bool> sent =
            send_segment_once(quality, m.name, m.file, *sha, received.count(file) > 0, cancel);
        if (!sent) {
            return Unexpected(std::move(sent).error());
        }
        skipped += *sent ? 0 : 1;
        ++done;
        if (progress) {
            progress(done, members.size());
        }
    }
    if (skipped > 0) {
        logger_.log(LogLevel::info, "upload",
                    fmt::format("{}: {} of {} files were already on the server (sent during the "
                                "encode or before a restart)",
                                quality, skipped, members.size()));
    }
    Result<SegmentFinalizeReply> fin =
        api_.segment_finalize(video_id_, quality, media_files, playlist_sha, cancel);
    if (!fin) {
        return Unexpected(std::move(fin).error());
    }
    if (!fin->complete) {
        std::string missing;
        for (const std::string &m : fin->missing_segments) {
            missing += (missing.empty() ? "" : ", ") + printable(m, 80);
        }
        return fail(Errc::protocol, "upload", quality,
                    "server reports the rendition incomplete: " + missing);
    }
    return ok();
}

Result<void> Uploader::upload_segment_early(const std::string &quality, const std::string &name,
                                            std::stop_token cancel) {
    const std::string file = basename_of(name);
    if (name != quality + "/" + file || rank(name) == 2 ||
        !check_member_name(name, quality_tar_rules())) {
        return fail(Errc::invalid_argument, "upload", name,
                    "not a CMAF media file of rendition " + quality);
    }
    bool on_server = false;
    {
        std::lock_guard lock(early_mutex_);
        auto known = early_received_.find(quality);
        if (known == early_received_.end()) {
            Result<SegmentStatus> status = api_.segments_status(video_id_, quality, cancel);
            if (!status) {
                return Unexpected(std::move(status).error());
            }
            known = early_received_
                        .emplace(quality, std::set<std::string>(status->received_segments.begin(),
                                                                status->received_segments.end()))
                        .first;
        }
        on_server = known->second.count(file) > 0;
    }
    const fs::path path = output_dir_ / name;
    Result<std::string> sha = sha256_file(path);
    if (!sha) {
        return Unexpected(std::move(sha).error());
    }
    Result<bool> sent = send_segment_once(quality, name, path, *sha, on_server, cancel);
    if (!sent) {
        return Unexpected(std::move(sent).error());
    }
    return ok();
}

Result<bool> Uploader::send_segment_once(const std::string &quality, const std::string &name,
                                         const fs::path &path, const std::string &sha,
                                         bool on_server, std::stop_token cancel) {
    const std::string file = basename_of(name);
    // Skip only what this very output sent before: the server's name list alone cannot
    // tell our segments from an earlier encode's (§12.20).
    if (on_server && state_->has(quality, file, sha)) {
        return false;
    }
    Result<SegmentUploadReply> reply =
        api_.upload_segment(video_id_, quality, file, path, sha, cancel);
    if (!reply) {
        return Unexpected(std::move(reply).error());
    }
    if (!reply->checksum_verified) {
        return fail(Errc::protocol, "upload", name, "server did not verify the segment checksum");
    }
    state_->record(quality, file, sha);
    return true;
}

Result<void> Uploader::upload_finalize(const TranscodeOutcome &outcome, std::stop_token cancel) {
    std::vector<TarMember> members;
    std::error_code ec;
    const std::pair<const char *, fs::path> files[] = {
        {"master.m3u8", outcome.master.empty() ? output_dir_ / "master.m3u8" : outcome.master},
        {"manifest.mpd",
         outcome.manifest.empty() ? output_dir_ / "manifest.mpd" : outcome.manifest},
        {"thumbnail.jpg",
         outcome.thumbnail.empty() ? output_dir_ / "thumbnail.jpg" : outcome.thumbnail},
    };
    for (const auto &[name, path] : files) {
        if (fs::is_regular_file(path, ec)) {
            members.push_back({name, path});
        }
    }
    if (members.empty()) {
        logger_.log(LogLevel::warning, "upload",
                    "nothing to finalize: no master, manifest or thumbnail");
        return ok();
    }
    fs::create_directories(scratch_dir_, ec);
    const fs::path archive = scratch_dir_ / "finalize.tar.gz";
    Result<std::uint64_t> size = write_tar_gz(members, archive, finalize_tar_rules());
    if (!size) {
        return Unexpected(std::move(size).error());
    }
    Result<void> sent = api_.upload_finalize(video_id_, archive, cancel);
    fs::remove(archive, ec);
    return sent;
}

} // namespace vtc::host
