// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file fake_api.hpp
/// @brief A contract-faithful fake of VLog's Worker API for tests (loopback, cpp-httplib).
///
/// It implements the endpoints the worker uses with the real server's rules (protocol §1–§3):
/// authentication errors, ownership (403/404), lease expiry (409) renewed only by progress,
/// new segment writes and segment finalize, global release of expired leases on every claim,
/// targeted claims, existing_qualities, pydantic-style 422s, the tar validation of §2.8/§2.9
/// (gzip only, no links, no traversal, extension allow-lists, strict finalize names, limits),
/// the segment rules of §2.11 (enum, filename, magic bytes, SHA-256 before writing,
/// idempotency), segment finalize counting, and verify-complete, including the server bug
/// mode where verify answers 500 for every job. Uploads are extracted under a storage root
/// laid out like the server's (`videos/{slug}/`, `uploads/{video_id}{ext}`).
///
/// Faults are injected per endpoint (status, count, body, Retry-After), source transfers can
/// be cut after N bytes, leases can be expired or released, and stop()/start() simulate a
/// Worker API restart (which releases every claimed job, §3.2).
/// Thread-safe: handlers run on httplib's pool, tests inspect from their own thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace vtc::host::test {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

/// One request the fake answered.
struct RecordedCall {
    std::string endpoint; ///< "heartbeat", "claim", "progress", "upload_quality", ...
    std::string method;
    std::string path; ///< with query string
    int status = 0;
    std::int64_t job_id = 0; ///< job or video the call was about (0 when none)
    Json body;               ///< parsed JSON body, or null
    std::string request_id;  ///< X-Request-ID as sent
    Clock::time_point at;
};

struct FakeJob {
    std::int64_t job_id = 0;
    std::int64_t video_id = 0;
    std::string slug;
    std::string source_ext = ".mp4";
    std::string worker_id; ///< owner; empty when unclaimed
    std::optional<Clock::time_point> claim_expires_at;
    bool claimed = false;
    std::optional<Clock::time_point> completed_at;
    int attempt_number = 1;
    int max_attempts = 3;
    std::string last_error;
    std::string current_step;
    int progress_percent = 0;
    std::vector<std::string> existing_qualities;
    std::string video_status = "pending";  ///< pending, processing, ready, failed
    std::string streaming_format = "cmaf"; ///< the server's DB value (its env decides)
    double duration = 0;
    int source_width = 0;
    int source_height = 0;
    std::map<std::string, std::string> quality_progress; ///< name -> status
    std::vector<Json> video_qualities;                   ///< rows from complete
    std::set<std::string> completion_tokens;
    int complete_calls = 0;
    int fail_calls = 0;
    /// Test control, not server behaviour: only a targeted claim (?job_id=) takes this job,
    /// so a test can prove that a Redis hint, not the plain poll, led to it.
    bool targeted_only = false;
};

struct FakeWorker {
    std::string worker_id; ///< UUID
    std::string api_key;
    std::string name;
    std::string status = "active";
    Json metadata;
    std::int64_t current_job_id = 0;
    int heartbeats = 0;
};

class FakeVlogApi {
public:
    struct Options {
        std::chrono::milliseconds lease{30 * 60 * 1000};
        std::string admin_secret = "admin-secret-for-tests";
        std::string required_version = "c2ffad0";
        bool require_version_match = true;
        /// Per-file and total limits of §2.8 (tests may lower them).
        std::uint64_t max_single_file_bytes = 500ull << 20;
        std::uint64_t max_archive_bytes = 200ull << 30;
        std::size_t max_archive_files = 50000;
        /// The server DB's streaming format for new videos (its VLOG_STREAMING_FORMAT).
        std::string server_streaming_format = "cmaf";
    };

    FakeVlogApi(std::filesystem::path storage_root, Options options);
    ~FakeVlogApi();
    FakeVlogApi(const FakeVlogApi &) = delete;
    FakeVlogApi &operator=(const FakeVlogApi &) = delete;

    /// Starts serving on 127.0.0.1:`port` (0: any free port; later starts reuse it).
    void start(int port = 0);
    /// Stops serving. With `release_jobs` (the real API's shutdown hook, §3.2 item 4), every
    /// claimed, uncompleted job loses its worker and goes back to pending.
    void stop(bool release_jobs = true);
    bool running() const;
    int port() const;
    std::string url() const;

    /// Registers a worker directly (as `vlog worker register` would). @return its API key.
    std::string add_worker(const std::string &name, const std::string &worker_id = "");
    std::string worker_id_of(const std::string &api_key) const;
    void disable_worker(const std::string &api_key);

    /// Adds a pending job whose source (written to uploads/{video_id}{ext}) is `source`.
    std::int64_t add_job(std::int64_t video_id, const std::string &slug,
                         const std::filesystem::path &source, const std::string &ext = ".mp4",
                         std::vector<std::string> existing_qualities = {},
                         bool targeted_only = false);

    // --- faults ---
    /// The next `times` calls to `endpoint` answer `status` with `body` (and Retry-After
    /// when given) before any other check.
    void inject(const std::string &endpoint, int status, int times, std::string body = "",
                std::optional<int> retry_after_s = std::nullopt);
    /// The next `times` source transfers are cut after `bytes` body bytes.
    void cut_source_after(std::uint64_t bytes, int times);
    /// Puts the job's lease in the past (the next job-scoped call gets 409).
    void expire_lease(std::int64_t job_id);
    /// Releases the job as a claim by another worker would after expiry (next call: 403).
    void release(std::int64_t job_id);
    /// verify-complete answers 500 for every job (the real server's current behaviour).
    void set_verify_bug(bool on);
    /// Replaces the claim reply body (for invalid or oversized JSON tests).
    void set_claim_reply_override(std::optional<std::string> body);
    /// Claim source_filename override (for path traversal tests); nullopt: the real name.
    void set_source_filename_override(std::optional<std::string> name);

    // --- observations ---
    FakeJob job(std::int64_t job_id) const;
    FakeWorker worker(const std::string &api_key) const;
    std::vector<RecordedCall> calls() const;
    std::vector<RecordedCall> calls(const std::string &endpoint) const;
    int count(const std::string &endpoint, int status = 0) const;
    std::filesystem::path video_dir(const std::string &slug) const;
    std::filesystem::path storage_root() const;
    /// Waits until `predicate` holds (checked every 20 ms) or `timeout` passes.
    bool wait_for(const std::function<bool()> &predicate, std::chrono::milliseconds timeout) const;

private:
    struct Fault {
        int status;
        int times;
        std::string body;
        std::optional<int> retry_after_s;
    };

    void install_routes(httplib::Server &server);
    void record(const std::string &endpoint, const httplib::Request &req, int status,
                std::int64_t id, const Json &body);
    bool apply_fault(const std::string &endpoint, const httplib::Request &req,
                     httplib::Response &res);
    FakeWorker *authenticate(const httplib::Request &req, httplib::Response &res);
    FakeJob *job_for_worker(std::int64_t job_id, const FakeWorker &w, httplib::Response &res);
    FakeJob *video_job_for_worker(std::int64_t video_id, const FakeWorker &w,
                                  httplib::Response &res, bool segment_endpoint);
    bool lease_ok(FakeJob &job, httplib::Response &res, bool segment_endpoint);
    void renew(FakeJob &job);
    void release_expired();

    void on_register(const httplib::Request &req, httplib::Response &res);
    void on_heartbeat(const httplib::Request &req, httplib::Response &res);
    void on_claim(const httplib::Request &req, httplib::Response &res);
    void on_progress(const httplib::Request &req, httplib::Response &res);
    void on_complete(const httplib::Request &req, httplib::Response &res);
    void on_fail(const httplib::Request &req, httplib::Response &res);
    void on_source(const httplib::Request &req, httplib::Response &res);
    void on_upload(const httplib::Request &req, httplib::Response &res, bool finalize);
    void on_segment(const httplib::Request &req, httplib::Response &res);
    void on_segments_status(const httplib::Request &req, httplib::Response &res);
    void on_segment_finalize(const httplib::Request &req, httplib::Response &res);
    void on_verify(const httplib::Request &req, httplib::Response &res);

    std::filesystem::path root_;
    Options options_;
    mutable std::mutex mutex_;
    std::map<std::string, FakeWorker> workers_;        ///< by api key
    std::map<std::int64_t, FakeJob> jobs_;             ///< by job id
    std::map<std::string, std::vector<Fault>> faults_; ///< by endpoint
    std::vector<RecordedCall> calls_;
    std::uint64_t cut_source_bytes_ = 0;
    int cut_source_times_ = 0;
    bool verify_bug_ = false;
    std::optional<std::string> claim_override_;
    std::optional<std::string> source_name_override_;
    std::int64_t next_job_id_ = 1;

    std::unique_ptr<httplib::Server> server_;
    std::unique_ptr<std::thread> thread_;
    int port_ = 0;
};

/// Expected results of checking a gzip tar against the server's rules (exposed for tests).
struct TarCheck {
    int status = 200;   ///< 200, 400 (rule violation) or 500 (not a gzip tar)
    std::string detail; ///< the server's message on failure
    std::vector<std::pair<std::string, std::string>> files; ///< name, content (on success)
};

/// Checks `data` like `_extract_tar_sync` (quality upload) or the finalize variant.
TarCheck check_vlog_tar(const std::string &data, bool finalize, const FakeVlogApi::Options &limits);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string &data);

} // namespace vtc::host::test
