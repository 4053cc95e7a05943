// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file types.hpp
/// @brief Typed requests and replies of VLog's Worker API (protocol §2).
#pragma once

#include "util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vtc::host {

/// The seven quality names the server accepts anywhere (protocol §5.4).
const std::vector<std::string> &vlog_quality_names();
bool is_vlog_quality(const std::string &name);

/// POST /api/worker/heartbeat reply (§2.2).
struct HeartbeatReply {
    bool version_ok = true;
    std::string required_version;
    std::string worker_status;
    std::optional<std::int64_t> current_job_id;
    std::optional<SystemTime> server_time;
};

/// A job handed out by POST /api/worker/claim (§2.3). Every server-supplied string is
/// kept as received; callers validate before using one in a path.
struct ClaimedJob {
    std::int64_t job_id = 0;
    std::int64_t video_id = 0;
    std::string video_slug;
    std::optional<std::string> source_filename;
    std::optional<SystemTime> claim_expires_at;
    std::vector<std::string> existing_qualities; ///< only valid quality names are kept
    std::vector<std::string> ignored_qualities;  ///< names the server sent that are not valid
    double video_duration = 0;
    int source_width = 0;
    int source_height = 0;
};

/// Claim reply: a job, or the server's reason for giving none.
struct ClaimReply {
    std::optional<ClaimedJob> job;
    std::string message;
};

/// One item of ProgressUpdate::qualities (§2.4).
struct QualityProgress {
    std::string name;   ///< one of vlog_quality_names()
    std::string status; ///< pending, in_progress, uploading, completed, uploaded, failed, skipped
    int progress = 0;   ///< 0..100
};

/// POST /api/worker/{job_id}/progress body (§2.4).
struct ProgressUpdate {
    std::string
        current_step; ///< download, probe, thumbnail, transcode, master_playlist, upload, finalize
    int progress_percent = 0;
    std::vector<QualityProgress> qualities; ///< omitted when empty
    std::optional<double> duration;
    std::optional<int> source_width;
    std::optional<int> source_height;
};

/// One entry of the complete call's `qualities` (§2.5).
struct CompletedQuality {
    std::string name;
    int width = 0;
    int height = 0;
    int bitrate_kbps = 0;
};

/// POST /api/worker/{job_id}/complete body (§2.5).
struct CompleteRequest {
    std::vector<CompletedQuality> qualities;
    std::optional<double> duration;
    std::optional<int> source_width;
    std::optional<int> source_height;
    std::string streaming_format;
    std::string streaming_codec;
    std::string completion_token; ///< "{job_id}-{uuid4}", reused on every retry
};

struct FailReply {
    bool will_retry = false;
    std::int64_t attempt_number = 0;
};

/// GET /api/worker/{job_id}/verify-complete reply (§2.14).
struct VerifyReport {
    bool all_files_present = false;
    bool job_completed = false;
    std::string video_status;
    std::vector<std::string> qualities_present;
    std::vector<std::string> missing_files;
};

/// What the host concluded from verify-complete.
enum class VerifyOutcome {
    verified,   ///< all_files_present: local output may be deleted
    incomplete, ///< the server answered, and something is missing
    unknown     ///< the server could not say (500, known server bug; or network)
};

/// GET /api/worker/upload/{video_id}/segments/status reply (§2.12).
struct SegmentStatus {
    std::vector<std::string> received_segments;
    std::int64_t total_size_bytes = 0;
};

/// POST .../segment/{quality}/{filename} reply (§2.11).
struct SegmentUploadReply {
    bool written = false;
    bool checksum_verified = false;
};

/// POST .../segment/finalize reply (§2.13).
struct SegmentFinalizeReply {
    bool complete = false;
    std::vector<std::string> missing_segments;
};

/// POST /api/worker/register reply (§2.1).
struct RegisterReply {
    std::string worker_id;
    std::string api_key; ///< shown once; never logged
};

/// Source download summary.
struct DownloadReport {
    std::uint64_t size_bytes = 0;   ///< final size of the local file
    std::uint64_t resumed_from = 0; ///< bytes already present before this call
    int attempts = 0;               ///< transfer attempts made
};

} // namespace vtc::host
