// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file api_client.hpp
/// @brief Typed client of VLog's Worker API. Retries and backoff live here and nowhere else.
///
/// Error mapping (every method):
///   * a job that is no longer ours — 409 anywhere, 403/404 on a job_id-scoped call, 403 on a
///     video_id-scoped call — gives Errc::invalid_state (see is_job_lost());
///   * 404 on a video_id-scoped call ("Source file not found", "Video not found") gives
///     Errc::not_found;
///   * 401, and 403 on worker-scoped calls (disabled worker), give Errc::protocol with the
///     server's detail;
///   * other 4xx give Errc::protocol with the detail of either error body shape (§1.3);
///   * connection errors, 429, 500, 502, 503 and 504 are retried with jittered exponential
///     backoff (429 waits as the limit requires); when attempts run out: Errc::network;
///   * a malformed, oversized or wrongly typed reply gives Errc::protocol;
///   * a fired stop token gives Errc::cancelled.
/// The API key is sent only in the X-Worker-API-Key header and never appears in an Error.
#pragma once

#include "api/backoff.hpp"
#include "api/http.hpp"
#include "api/types.hpp"
#include "util/json.hpp"

#include <vtranscode/log.hpp>
#include <vtranscode/result.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

namespace vtc::host {

/// The Worker API endpoints, as named in metrics and logs.
enum class Endpoint {
    register_worker,
    heartbeat,
    claim,
    progress,
    complete,
    fail,
    source,
    upload_quality,
    upload_finalize,
    upload_segment,
    segments_status,
    segment_finalize,
    verify_complete,
    health,
};

/// "heartbeat", "claim", "upload_quality", ...
std::string_view endpoint_name(Endpoint endpoint) noexcept;

/// True when `error` says the server took the job away (stop quietly, do not call fail).
bool is_job_lost(const Error &error) noexcept;

/// Renders an error reply: the `detail` string, the 422 `detail` list
/// ("body.progress_percent: Input should be less than or equal to 100"), the 429 limit text,
/// or the first 200 printable characters of a plain body.
std::string describe_error_body(long status, const std::string &body);

/// Hooks for metrics; called from whatever thread made the call. May be empty.
struct ApiObserver {
    /// One failed exchange: `code` is the HTTP status, or "network"/"timeout".
    std::function<void(Endpoint endpoint, const std::string &code)> on_error;
    std::function<void(std::uint64_t bytes)> on_downloaded;
    std::function<void(std::uint64_t bytes)> on_uploaded;
};

struct ApiClientOptions {
    std::string base_url; ///< no trailing '/'
    std::string api_key;  ///< secret
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10000};
    std::string user_agent = "vtranscode-worker";
    /// Multiplies every retry delay; tests shrink it, production keeps 1.
    double backoff_scale = 1.0;
};

/// Thread-safe: heartbeat, claim and job threads share one client.
class ApiClient {
public:
    ApiClient(ApiClientOptions options, Logger logger, ApiObserver observer = {});

    /// POST /api/worker/heartbeat with a body built by the caller (status, metadata, version).
    Result<HeartbeatReply> heartbeat(const Json &body);

    /// POST /api/worker/claim, or /claim?job_id=N for a targeted claim after a Redis hint.
    /// A reply with a null job_id yields ClaimReply::job == nullopt whatever the message.
    Result<ClaimReply> claim(std::optional<std::int64_t> job_id = std::nullopt);

    /// POST /api/worker/{job_id}/progress; renews the lease. @return the new expiry, if sent.
    Result<std::optional<SystemTime>> progress(std::int64_t job_id, const ProgressUpdate &update,
                                               std::stop_token cancel = {});

    /// POST /api/worker/{job_id}/complete. Retries reuse the request's completion token.
    Result<void> complete(std::int64_t job_id, const CompleteRequest &request);

    /// POST /api/worker/{job_id}/fail. `message` is cut to `max_chars` (≤ 500).
    Result<FailReply> fail(std::int64_t job_id, const std::string &message, bool retry,
                           std::size_t max_chars = 500);

    /// GET /api/worker/source/{video_id} into `destination`, resuming with Range from the
    /// bytes already there after a dropped connection (and from an earlier attempt), and
    /// checking the final size against Content-Length / Content-Range.
    Result<DownloadReport> download_source(std::int64_t video_id,
                                           const std::filesystem::path &destination,
                                           std::stop_token cancel);

    /// POST /api/worker/upload/{video_id}/quality/{quality} with a gzip tar (field `file`).
    Result<void> upload_quality(std::int64_t video_id, const std::string &quality,
                                const std::filesystem::path &tar_gz, std::stop_token cancel);

    /// POST /api/worker/upload/{video_id}/finalize with a gzip tar.
    Result<void> upload_finalize(std::int64_t video_id, const std::filesystem::path &tar_gz,
                                 std::stop_token cancel);

    /// POST /api/worker/upload/{video_id}/segment/{quality}/{filename}; `sha256_hex` must be
    /// the lower-case SHA-256 of the file.
    Result<SegmentUploadReply> upload_segment(std::int64_t video_id, const std::string &quality,
                                              const std::string &filename,
                                              const std::filesystem::path &file,
                                              const std::string &sha256_hex,
                                              std::stop_token cancel);

    /// GET /api/worker/upload/{video_id}/segments/status?quality=Q.
    Result<SegmentStatus> segments_status(std::int64_t video_id, const std::string &quality,
                                          std::stop_token cancel);

    /// POST /api/worker/upload/{video_id}/segment/finalize.
    Result<SegmentFinalizeReply> segment_finalize(std::int64_t video_id, const std::string &quality,
                                                  int segment_count,
                                                  const std::string &manifest_sha256_hex,
                                                  std::stop_token cancel);

    /// GET /api/worker/{job_id}/verify-complete. A 500 is not retried: the real server
    /// answers 500 there for every job (known bug); callers treat any error as "unknown".
    Result<VerifyReport> verify_complete(std::int64_t job_id);

    /// POST /api/worker/register with the admin secret (one attempt: limit is 5/hour).
    Result<RegisterReply> register_worker(const std::string &admin_secret, const std::string &name,
                                          const Json &capabilities, const Json &metadata);

    /// GET /api/health, one attempt, no key. @return ok when the server says healthy.
    Result<void> server_health();

    /// Checks the key without side effects: GET /api/worker/source/0 answers 401 for a bad
    /// key and 403 ("not your job") for a good one. One attempt.
    Result<void> check_key();

private:
    enum class Scope { worker, job, video };

    struct Call {
        Endpoint endpoint;
        Scope scope;
        RetryPolicy policy;
        bool retry_rate_limited = true;
        bool with_key = true;
    };

    Result<HttpResponse> execute(const Call &call, HttpRequest request);
    Error status_error(const Call &call, long status, const std::string &body) const;
    HttpRequest base_request(const std::string &method, const std::string &path,
                             bool with_key) const;
    Result<Json> post_json(const Call &call, const std::string &path, const Json &body,
                           std::chrono::milliseconds timeout, std::stop_token cancel = {});
    bool pause(std::chrono::milliseconds delay, std::stop_token cancel);
    std::chrono::milliseconds next_delay(const RetryPolicy &policy, int attempt);

    ApiClientOptions options_;
    Logger logger_;
    ApiObserver observer_;
    HttpClient http_;
    std::mutex rng_mutex_;
    std::mt19937_64 rng_;
};

} // namespace vtc::host
