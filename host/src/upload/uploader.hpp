// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file uploader.hpp
/// @brief Uploads a job's output: one gzip tar per rendition (§2.8) or, for CMAF with
///        streaming enabled, segment by segment with resume (§2.11–2.13); then the
///        finalize tar with master.m3u8, manifest.mpd and thumbnail.jpg (§2.9).
#pragma once

#include "api/api_client.hpp"
#include "config/config.hpp"
#include "runner/transcoder.hpp"
#include "upload/tar_writer.hpp"

#include <vtranscode/log.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

namespace vtc::host {

/// The archive members of one produced rendition, named as the server expects (§5.8):
/// "{q}.m3u8" and "{q}_NNNN.ts" for TS renditions (and "original"), "{q}/stream.m3u8",
/// "{q}/init.mp4", "{q}/seg_NNNN.m4s" for CMAF. Uses the rendition's file list when the
/// engine gave one, otherwise scans `output_dir` for that layout. A file that is not
/// inside output_dir, or not named after this rendition, is refused.
/// @return the members, or Errc::invalid_argument / Errc::not_found.
Result<std::vector<TarMember>> rendition_members(const std::filesystem::path &output_dir,
                                                 const ProducedRendition &rendition);

/// Progress of one rendition's upload: files (or bytes) done out of total.
using UploadProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

class UploadState;

class Uploader {
public:
    /// `scratch_dir` holds the archives while they upload (inside the job's work directory,
    /// never the system temp directory).
    Uploader(ApiClient &api, std::int64_t video_id, std::filesystem::path output_dir,
             std::filesystem::path scratch_dir, Logger logger);
    ~Uploader();
    Uploader(const Uploader &) = delete;
    Uploader &operator=(const Uploader &) = delete;

    /// Tars the members and uploads them; a failed transfer is retried by the API client
    /// with the same archive (this rendition only). The archive is deleted afterwards.
    Result<void> upload_tar(const std::string &quality, const std::vector<TarMember> &members,
                            std::stop_token cancel);

    /// Uploads a CMAF rendition file by file: init.mp4, the segments in order, then
    /// stream.m3u8, each with its lower-case SHA-256; then segment/finalize with the
    /// number of local media files and the playlist checksum. Files the server already
    /// holds from this same output (per segments/status and the local state file) are
    /// skipped, so an interrupted upload resumes. Fails unless the server says complete.
    Result<void> upload_streaming(const std::string &quality, const std::vector<TarMember> &members,
                                  const UploadProgressFn &progress, std::stop_token cancel);

    /// Sends one finished CMAF file while the transcode still runs: `name` is
    /// "{quality}/init.mp4" or "{quality}/seg_NNNN.m4s", relative to the output directory.
    /// It goes through the same segment endpoint and resume state as upload_streaming(),
    /// which then skips it. The first call for a quality asks segments/status, so a file
    /// this output already sent (before a restart) is not sent again. Thread-safe; must
    /// not overlap upload_streaming() for the same quality.
    /// @return Errc::invalid_argument for a name outside that layout; API errors as the
    ///         client reports them (is_job_lost() for 409/403/404); Errc::protocol when the
    ///         server does not confirm the checksum.
    Result<void> upload_segment_early(const std::string &quality, const std::string &name,
                                      std::stop_token cancel);

    /// Uploads the finalize archive with whichever of master.m3u8, manifest.mpd and
    /// thumbnail.jpg exist. Does nothing when none exists.
    Result<void> upload_finalize(const TranscodeOutcome &outcome, std::stop_token cancel);

private:
    /// Sends `path` (archive name `name`, lower-case SHA-256 `sha`) to the segment endpoint
    /// unless this output already sent these bytes: `on_server` (per segments/status) and
    /// recorded in the state. Records what it sends.
    /// @return true when sent, false when skipped; API or checksum errors.
    Result<bool> send_segment_once(const std::string &quality, const std::string &name,
                                   const std::filesystem::path &path, const std::string &sha,
                                   bool on_server, std::stop_token cancel);

    ApiClient &api_;
    std::int64_t video_id_;
    std::filesystem::path output_dir_;
    std::filesystem::path scratch_dir_;
    Logger logger_;
    /// What this output already sent, shared by early and final uploads (and persisted).
    std::unique_ptr<UploadState> state_;
    std::mutex early_mutex_;
    /// segments/status answers fetched by upload_segment_early(), per quality.
    std::map<std::string, std::set<std::string>> early_received_;
};

} // namespace vtc::host
