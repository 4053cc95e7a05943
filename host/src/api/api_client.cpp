// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/api_client.hpp"

#include "util/cancellation.hpp"
#include "util/ids.hpp"
#include "util/logging.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace vtc::host {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Per-call timeouts of the Python client (protocol §4.5); the server's behaviour was
// tuned against them.
constexpr milliseconds heartbeat_timeout{15000};
constexpr milliseconds claim_timeout{30000};
constexpr milliseconds progress_timeout{15000};
constexpr milliseconds long_call_timeout{60000};
constexpr seconds transfer_stall_timeout{300};

RetryPolicy policy(int attempts, milliseconds base, milliseconds max, bool retry_500 = true) {
    RetryPolicy p;
    p.max_attempts = attempts;
    p.base_delay = base;
    p.max_delay = max;
    p.retry_500 = retry_500;
    return p;
}

// Attempt budgets. Complete gets the most patience: losing it would waste a whole encode.
const RetryPolicy heartbeat_policy = policy(3, milliseconds(1000), milliseconds(5000));
const RetryPolicy claim_policy = policy(3, milliseconds(1000), milliseconds(10000));
const RetryPolicy progress_policy = policy(4, milliseconds(1000), milliseconds(10000));
const RetryPolicy complete_policy = policy(8, milliseconds(2000), milliseconds(60000));
const RetryPolicy fail_policy = policy(5, milliseconds(1000), milliseconds(30000));
const RetryPolicy upload_policy = policy(6, milliseconds(2000), milliseconds(60000));
const RetryPolicy segment_policy = policy(6, milliseconds(1000), milliseconds(30000));
const RetryPolicy status_policy = policy(4, milliseconds(1000), milliseconds(10000));
const RetryPolicy download_policy = policy(6, milliseconds(1000), milliseconds(30000));
const RetryPolicy verify_policy = policy(3, milliseconds(1000), milliseconds(10000), false);
const RetryPolicy single_policy = policy(1, milliseconds(0), milliseconds(0));

constexpr int max_rate_limit_waits = 10;

bool is_retryable_status(long status, const RetryPolicy &p) {
    return (status == 500 && p.retry_500) || status == 502 || status == 503 || status == 504;
}

std::string join(const std::vector<std::string> &parts, std::string_view sep) {
    std::string out;
    for (const std::string &p : parts) {
        if (!out.empty()) {
            out += sep;
        }
        out += p;
    }
    return out;
}

std::string url_escape(const std::string &text) {
    char *escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    if (escaped == nullptr) {
        return text;
    }
    std::string out(escaped);
    curl_free(escaped);
    return out;
}

Json progress_json(const ProgressUpdate &u) {
    Json body = {{"current_step", u.current_step},
                 {"progress_percent", std::clamp(u.progress_percent, 0, 100)}};
    if (!u.qualities.empty()) {
        Json list = Json::array();
        for (const QualityProgress &q : u.qualities) {
            list.push_back({{"name", q.name},
                            {"status", q.status},
                            {"progress", std::clamp(q.progress, 0, 100)}});
        }
        body["quality_progress"] = std::move(list);
    }
    if (u.duration && std::isfinite(*u.duration) && *u.duration >= 0) {
        body["duration"] = *u.duration;
    }
    if (u.source_width && *u.source_width >= 1) {
        body["source_width"] = *u.source_width;
    }
    if (u.source_height && *u.source_height >= 1) {
        body["source_height"] = *u.source_height;
    }
    return body;
}

/// Cuts to at most `max` bytes without splitting a UTF-8 sequence (the server counts
/// characters, so bytes ≤ max guarantees characters ≤ max).
std::string cut_utf8(const std::string &text, std::size_t max) {
    if (text.size() <= max) {
        return text;
    }
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    return text.substr(0, end);
}

/// "bytes START-END/TOTAL" or "bytes */TOTAL"; fields are -1 when absent.
struct ContentRange {
    std::int64_t start = -1;
    std::int64_t total = -1;
};

std::optional<ContentRange> parse_content_range(const std::string &value) {
    const std::string prefix = "bytes ";
    if (value.rfind(prefix, 0) != 0) {
        return std::nullopt;
    }
    const std::string rest = value.substr(prefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    ContentRange range;
    const std::string span = rest.substr(0, slash);
    const std::string total = rest.substr(slash + 1);
    if (total != "*") {
        auto [p, ec] = std::from_chars(total.data(), total.data() + total.size(), range.total);
        if (ec != std::errc() || p != total.data() + total.size()) {
            return std::nullopt;
        }
    }
    if (span != "*") {
        const std::size_t dash = span.find('-');
        if (dash == std::string::npos) {
            return std::nullopt;
        }
        auto [p, ec] = std::from_chars(span.data(), span.data() + dash, range.start);
        if (ec != std::errc() || p != span.data() + dash) {
            return std::nullopt;
        }
    }
    return range;
}

std::optional<std::int64_t> parse_length(const std::string &value) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() || n < 0) {
        return std::nullopt;
    }
    return n;
}

std::uint64_t local_size(const std::filesystem::path &path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

} // namespace

std::string_view endpoint_name(Endpoint endpoint) noexcept {
    switch (endpoint) {
    case Endpoint::register_worker:
        return "register";
    case Endpoint::heartbeat:
        return "heartbeat";
    case Endpoint::claim:
        return "claim";
    case Endpoint::progress:
        return "progress";
    case Endpoint::complete:
        return "complete";
    case Endpoint::fail:
        return "fail";
    case Endpoint::source:
        return "source";
    case Endpoint::upload_quality:
        return "upload_quality";
    case Endpoint::upload_finalize:
        return "upload_finalize";
    case Endpoint::upload_segment:
        return "upload_segment";
    case Endpoint::segments_status:
        return "segments_status";
    case Endpoint::segment_finalize:
        return "segment_finalize";
    case Endpoint::verify_complete:
        return "verify_complete";
    case Endpoint::health:
        return "health";
    }
    return "unknown";
}

bool is_job_lost(const Error &error) noexcept {
    return error.code == Errc::invalid_state && error.stage == "api";
}

std::string describe_error_body(long status, const std::string &body) {
    if (body.empty()) {
        return "empty reply";
    }
    Json parsed = Json::parse(body, nullptr, false);
    if (body.size() <= max_json_reply_bytes && !parsed.is_discarded() && parsed.is_object()) {
        std::string text;
        auto detail = parsed.find("detail");
        if (detail != parsed.end()) {
            if (detail->is_string()) {
                text = detail->get<std::string>();
            } else if (detail->is_array()) {
                // 422: a list of pydantic errors {"loc": [...], "msg": "..."}.
                std::vector<std::string> items;
                for (const Json &item : *detail) {
                    if (!item.is_object()) {
                        continue;
                    }
                    std::string where;
                    if (auto loc = item.find("loc"); loc != item.end() && loc->is_array()) {
                        for (const Json &part : *loc) {
                            if (!where.empty()) {
                                where += '.';
                            }
                            where += part.is_string() ? part.get<std::string>() : part.dump();
                        }
                    }
                    std::string msg;
                    if (auto m = item.find("msg"); m != item.end() && m->is_string()) {
                        msg = m->get<std::string>();
                    }
                    items.push_back(where.empty() ? msg : where + ": " + msg);
                    if (items.size() == 5) {
                        break;
                    }
                }
                text = join(items, "; ");
            } else {
                text = detail->dump();
            }
        }
        if (status == 429) {
            if (auto limit = parsed.find("error"); limit != parsed.end() && limit->is_string()) {
                text += " (" + limit->get<std::string>() + ")";
            }
        }
        if (!text.empty()) {
            return printable(text, 300);
        }
    }
    return printable(body, 200);
}

ApiClient::ApiClient(ApiClientOptions options, Logger logger, ApiObserver observer)
    : options_(std::move(options)), logger_(std::move(logger)), observer_(std::move(observer)),
      rng_(std::random_device{}()) {}

HttpRequest ApiClient::base_request(const std::string &method, const std::string &path,
                                    bool with_key) const {
    HttpRequest request;
    request.method = method;
    request.url = options_.base_url + path;
    request.connect_timeout = options_.connect_timeout;
    request.ca_file = options_.ca_file;
    request.headers.emplace_back("User-Agent", options_.user_agent);
    request.headers.emplace_back("Accept", "application/json");
    if (with_key) {
        request.headers.emplace_back("X-Worker-API-Key", options_.api_key);
    }
    return request;
}

std::chrono::milliseconds ApiClient::next_delay(const RetryPolicy &p, int attempt) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    const milliseconds d = backoff_delay(p, attempt, rng_);
    return milliseconds(
        static_cast<std::int64_t>(static_cast<double>(d.count()) * options_.backoff_scale));
}

bool ApiClient::pause(std::chrono::milliseconds delay, std::stop_token cancel) {
    return sleep_unless_stopped(cancel, delay);
}

Error ApiClient::status_error(const Call &call, long status, const std::string &body) const {
    const std::string name(endpoint_name(call.endpoint));
    const std::string detail = describe_error_body(status, body);
    const std::string what = fmt::format("{}: HTTP {}: {}", name, status, detail);
    const bool lost = status == 409 ||
                      (call.scope == Scope::job && (status == 403 || status == 404)) ||
                      (call.scope == Scope::video && status == 403);
    if (lost) {
        return make_error(Errc::invalid_state, "api", "", "job lost: " + what);
    }
    if (call.scope == Scope::video && status == 404) {
        return make_error(Errc::not_found, "api", "", what);
    }
    if (status >= 500 || status == 429) {
        return make_error(Errc::network, "api", "", what);
    }
    return make_error(Errc::protocol, "api", "", what);
}

Result<HttpResponse> ApiClient::execute(const Call &call, HttpRequest request) {
    const std::string request_id = new_request_id();
    ScopedRequestId scope(request_id);
    request.headers.emplace_back("X-Request-ID", request_id);
    const std::string name(endpoint_name(call.endpoint));
    int attempt = 0;
    int rate_waits = 0;
    // The path without scheme and host, for log lines (the URL may carry credentials).
    const std::string path =
        request.url.substr(std::min(request.url.size(), options_.base_url.size()));
    while (true) {
        ++attempt;
        const auto started = std::chrono::steady_clock::now();
        Result<HttpResponse> result = http_.perform(request);
        if (logger_.enabled(LogLevel::debug)) {
            const auto ms = std::chrono::duration_cast<milliseconds>(
                std::chrono::steady_clock::now() - started);
            logger_.log(LogLevel::debug, "api",
                        result ? fmt::format("{} {} -> {} ({} ms)", request.method, path,
                                             result->status, ms.count())
                               : fmt::format("{} {} -> {} ({} ms)", request.method, path,
                                             result.error().message, ms.count()));
        }
        if (!result) {
            const Error &e = result.error();
            if (e.code == Errc::cancelled || e.code == Errc::io) {
                return Unexpected(e);
            }
            const bool transport = e.code == Errc::network || e.code == Errc::timeout;
            if (observer_.on_error) {
                observer_.on_error(call.endpoint, e.code == Errc::timeout ? "timeout" : "network");
            }
            if (transport && attempt < call.policy.max_attempts) {
                const milliseconds delay = next_delay(call.policy, attempt);
                logger_.log(LogLevel::warning, "api",
                            fmt::format("{}: {}; retrying in {} ms (attempt {}/{})", name,
                                        e.message, delay.count(), attempt + 1,
                                        call.policy.max_attempts));
                if (!pause(delay, request.cancel)) {
                    return vtc::fail(Errc::cancelled, "api", "", name + ": cancelled");
                }
                continue;
            }
            return vtc::fail(e.code == Errc::timeout ? Errc::timeout : e.code, "api", "",
                             fmt::format("{}: {} (after {} attempt{})", name, e.message, attempt,
                                         attempt == 1 ? "" : "s"));
        }
        const long status = result->status;
        if (status >= 200 && status < 300) {
            return result;
        }
        if (observer_.on_error) {
            observer_.on_error(call.endpoint, std::to_string(status));
        }
        if (status == 429 && call.retry_rate_limited && rate_waits < max_rate_limit_waits) {
            ++rate_waits;
            std::optional<RateLimit> limit;
            Json body = Json::parse(result->body, nullptr, false);
            if (!body.is_discarded() && body.is_object()) {
                if (auto it = body.find("error"); it != body.end() && it->is_string()) {
                    limit = parse_rate_limit(it->get<std::string>());
                }
            }
            const milliseconds delay =
                rate_limit_delay(parse_retry_after(result->header("retry-after")), limit,
                                 next_delay(call.policy, rate_waits));
            logger_.log(LogLevel::warning, "api",
                        fmt::format("{}: rate limited (HTTP 429: {}); waiting {} ms", name,
                                    describe_error_body(status, result->body), delay.count()));
            --attempt; // waiting out a limit is not a failed attempt
            if (!pause(delay, request.cancel)) {
                return vtc::fail(Errc::cancelled, "api", "", name + ": cancelled");
            }
            continue;
        }
        if (is_retryable_status(status, call.policy) && attempt < call.policy.max_attempts) {
            const milliseconds delay = next_delay(call.policy, attempt);
            logger_.log(LogLevel::warning, "api",
                        fmt::format("{}: HTTP {}: {}; retrying in {} ms (attempt {}/{})", name,
                                    status, describe_error_body(status, result->body),
                                    delay.count(), attempt + 1, call.policy.max_attempts));
            if (!pause(delay, request.cancel)) {
                return vtc::fail(Errc::cancelled, "api", "", name + ": cancelled");
            }
            continue;
        }
        return Unexpected(status_error(call, status, result->body));
    }
}

Result<Json> ApiClient::post_json(const Call &call, const std::string &path, const Json &body,
                                  std::chrono::milliseconds timeout, std::stop_token cancel) {
    HttpRequest request = base_request("POST", path, call.with_key);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
    request.total_timeout = timeout;
    request.cancel = cancel;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    return parse_json_object(response->body, std::string(endpoint_name(call.endpoint)) + " reply");
}

#define VTC_TRY_ASSIGN(var, expr)                                                                  \
    auto var##_result = (expr);                                                                    \
    if (!var##_result) {                                                                           \
        return Unexpected(std::move(var##_result).error());                                        \
    }                                                                                              \
    auto var = std::move(var##_result).value();

Result<HeartbeatReply> ApiClient::heartbeat(const Json &body) {
    const Call call{Endpoint::heartbeat, Scope::worker, heartbeat_policy};
    VTC_TRY_ASSIGN(json, post_json(call, "/api/worker/heartbeat", body, heartbeat_timeout));
    HeartbeatReply reply;
    VTC_TRY_ASSIGN(ok, json_bool(json, "version_ok", "heartbeat reply"));
    reply.version_ok = ok.value_or(true);
    VTC_TRY_ASSIGN(required, json_string(json, "required_version", "heartbeat reply"));
    reply.required_version = required.value_or("");
    VTC_TRY_ASSIGN(status, json_string(json, "worker_status", "heartbeat reply"));
    reply.worker_status = status.value_or("");
    VTC_TRY_ASSIGN(job, json_int(json, "current_job_id", "heartbeat reply"));
    reply.current_job_id = job;
    VTC_TRY_ASSIGN(server_time, json_string(json, "server_time", "heartbeat reply"));
    if (server_time) {
        Result<SystemTime> t = parse_datetime(*server_time);
        if (t) {
            reply.server_time = *t;
        }
    }
    return reply;
}

Result<ClaimReply> ApiClient::claim(std::optional<std::int64_t> job_id) {
    const Call call{Endpoint::claim, Scope::worker, claim_policy};
    std::string path = "/api/worker/claim";
    if (job_id) {
        path += "?job_id=" + std::to_string(*job_id);
    }
    HttpRequest request = base_request("POST", path, true);
    request.total_timeout = claim_timeout;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    VTC_TRY_ASSIGN(json, parse_json_object(response->body, "claim reply"));
    ClaimReply reply;
    VTC_TRY_ASSIGN(message, json_string(json, "message", "claim reply"));
    reply.message = printable(message.value_or(""), 200);
    VTC_TRY_ASSIGN(id, json_int(json, "job_id", "claim reply"));
    if (!id) {
        return reply;
    }
    ClaimedJob job;
    job.job_id = *id;
    VTC_TRY_ASSIGN(video, json_int(json, "video_id", "claim reply"));
    if (job.job_id <= 0 || !video || *video <= 0) {
        return vtc::fail(Errc::protocol, "api", "",
                         "claim reply: job_id and video_id must be positive integers");
    }
    job.video_id = *video;
    VTC_TRY_ASSIGN(slug, json_string(json, "video_slug", "claim reply"));
    job.video_slug = slug.value_or("");
    VTC_TRY_ASSIGN(source, json_string(json, "source_filename", "claim reply"));
    job.source_filename = source;
    VTC_TRY_ASSIGN(expires, json_string(json, "claim_expires_at", "claim reply"));
    if (expires) {
        Result<SystemTime> t = parse_datetime(*expires);
        if (!t) {
            return vtc::fail(Errc::protocol, "api", "", "claim reply: " + t.error().message);
        }
        job.claim_expires_at = *t;
    }
    VTC_TRY_ASSIGN(existing, json_string_list(json, "existing_qualities", "claim reply"));
    for (const std::string &q : existing.value_or(std::vector<std::string>{})) {
        (is_vlog_quality(q) ? job.existing_qualities : job.ignored_qualities).push_back(q);
    }
    VTC_TRY_ASSIGN(duration, json_number(json, "video_duration", "claim reply"));
    job.video_duration = duration.value_or(0.0);
    VTC_TRY_ASSIGN(width, json_int(json, "source_width", "claim reply"));
    VTC_TRY_ASSIGN(height, json_int(json, "source_height", "claim reply"));
    job.source_width = static_cast<int>(std::clamp<std::int64_t>(width.value_or(0), 0, 1 << 16));
    job.source_height = static_cast<int>(std::clamp<std::int64_t>(height.value_or(0), 0, 1 << 16));
    reply.job = std::move(job);
    return reply;
}

Result<std::optional<SystemTime>>
ApiClient::progress(std::int64_t job_id, const ProgressUpdate &update, std::stop_token cancel) {
    const Call call{Endpoint::progress, Scope::job, progress_policy};
    VTC_TRY_ASSIGN(json, post_json(call, "/api/worker/" + std::to_string(job_id) + "/progress",
                                   progress_json(update), progress_timeout, cancel));
    VTC_TRY_ASSIGN(expires, json_string(json, "claim_expires_at", "progress reply"));
    if (!expires) {
        return std::optional<SystemTime>{};
    }
    Result<SystemTime> t = parse_datetime(*expires);
    if (!t) {
        return vtc::fail(Errc::protocol, "api", "", "progress reply: " + t.error().message);
    }
    return std::optional<SystemTime>{*t};
}

Result<void> ApiClient::complete(std::int64_t job_id, const CompleteRequest &request) {
    const Call call{Endpoint::complete, Scope::job, complete_policy};
    Json qualities = Json::array();
    for (const CompletedQuality &q : request.qualities) {
        qualities.push_back({{"name", q.name},
                             {"width", q.width},
                             {"height", q.height},
                             {"bitrate", q.bitrate_kbps}});
    }
    Json body = {{"qualities", std::move(qualities)},
                 {"streaming_format", request.streaming_format},
                 {"streaming_codec", request.streaming_codec},
                 {"completion_token", request.completion_token}};
    if (request.duration) {
        body["duration"] = *request.duration;
    }
    if (request.source_width) {
        body["source_width"] = *request.source_width;
    }
    if (request.source_height) {
        body["source_height"] = *request.source_height;
    }
    VTC_TRY_ASSIGN(json, post_json(call, "/api/worker/" + std::to_string(job_id) + "/complete",
                                   body, long_call_timeout));
    (void)json;
    return ok();
}

Result<FailReply> ApiClient::fail(std::int64_t job_id, const std::string &message, bool retry,
                                  std::size_t max_chars) {
    const Call call{Endpoint::fail, Scope::job, fail_policy};
    std::string cause = cut_utf8(message, std::min<std::size_t>(max_chars, 500));
    if (cause.empty()) {
        cause = "unknown error";
    }
    Json body = {{"error_message", cause}, {"retry", retry}};
    VTC_TRY_ASSIGN(json, post_json(call, "/api/worker/" + std::to_string(job_id) + "/fail", body,
                                   long_call_timeout));
    FailReply reply;
    VTC_TRY_ASSIGN(will, json_bool(json, "will_retry", "fail reply"));
    reply.will_retry = will.value_or(false);
    VTC_TRY_ASSIGN(attempt, json_int(json, "attempt_number", "fail reply"));
    reply.attempt_number = attempt.value_or(0);
    return reply;
}

Result<DownloadReport> ApiClient::download_source(std::int64_t video_id,
                                                  const std::filesystem::path &destination,
                                                  std::stop_token cancel) {
    const Call call{Endpoint::source, Scope::video, download_policy};
    DownloadReport report;
    report.resumed_from = local_size(destination);
    int failures = 0;
    constexpr int max_transfers = 50; // bounds a server that keeps cutting after progress
    while (report.attempts < max_transfers) {
        ++report.attempts;
        const std::uint64_t offset = local_size(destination);
        HttpRequest request =
            base_request("GET", "/api/worker/source/" + std::to_string(video_id), true);
        if (offset > 0) {
            request.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
        }
        request.download_to = destination;
        request.resume = true;
        request.stall_timeout = transfer_stall_timeout;
        request.cancel = cancel;
        request.max_body_bytes = max_json_reply_bytes;
        if (observer_.on_downloaded) {
            request.on_bytes = observer_.on_downloaded;
        }
        // One exchange at a time: execute() retries statuses, this loop resumes transfers.
        Call once = call;
        once.policy.max_attempts = 1;
        Result<HttpResponse> response = execute(once, std::move(request));
        if (!response) {
            const Error &e = response.error();
            const bool transient = e.code == Errc::network || e.code == Errc::timeout;
            if (!transient || is_job_lost(e) || e.code == Errc::not_found) {
                return Unexpected(e);
            }
            const std::uint64_t now = local_size(destination);
            // A transfer that moved bytes is progress, not a failure: resume right away.
            if (now > offset) {
                failures = 0;
                logger_.log(LogLevel::warning, "api",
                            fmt::format("source: transfer cut at {} bytes ({}); resuming with "
                                        "Range",
                                        now, e.message));
                continue;
            }
            if (++failures >= download_policy.max_attempts) {
                return Unexpected(e);
            }
            const milliseconds delay = next_delay(download_policy, failures);
            logger_.log(LogLevel::warning, "api",
                        fmt::format("source: {}; retrying in {} ms", e.message, delay.count()));
            if (!pause(delay, cancel)) {
                return vtc::fail(Errc::cancelled, "api", "", "source: cancelled");
            }
            continue;
        }
        const long status = response->status;
        std::int64_t expected = -1;
        if (status == 206) {
            const auto range = parse_content_range(response->header("content-range"));
            if (!range || range->start != static_cast<std::int64_t>(offset) || range->total < 0) {
                // The bytes went to the wrong place; only a fresh download is trustworthy.
                logger_.log(LogLevel::warning, "api",
                            "source: unexpected Content-Range '" +
                                printable(response->header("content-range"), 80) +
                                "'; downloading again from the start");
                std::error_code ec;
                std::filesystem::remove(destination, ec);
                if (++failures >= download_policy.max_attempts) {
                    return vtc::fail(Errc::protocol, "api", "",
                                     "source: inconsistent range replies");
                }
                continue;
            }
            expected = range->total;
        } else if (status == 416) {
            const auto range = parse_content_range(response->header("content-range"));
            if (range && range->total == static_cast<std::int64_t>(offset)) {
                report.size_bytes = offset;
                return report; // the file was already complete
            }
            std::error_code ec;
            std::filesystem::remove(destination, ec);
            if (++failures >= download_policy.max_attempts) {
                return vtc::fail(Errc::protocol, "api", "", "source: range not satisfiable");
            }
            continue;
        } else {
            if (auto length = parse_length(response->header("content-length"))) {
                expected = *length;
            }
        }
        const std::uint64_t size = local_size(destination);
        if (expected >= 0 && size != static_cast<std::uint64_t>(expected)) {
            if (size > static_cast<std::uint64_t>(expected)) {
                std::error_code ec;
                std::filesystem::remove(destination, ec);
            }
            if (++failures >= download_policy.max_attempts) {
                return vtc::fail(
                    Errc::protocol, "api", "",
                    fmt::format("source: size mismatch: {} bytes on disk, server says {}", size,
                                expected));
            }
            continue;
        }
        if (expected < 0) {
            logger_.log(LogLevel::warning, "api",
                        "source: the reply carried no length; the size could not be checked");
        }
        report.size_bytes = size;
        return report;
    }
    return vtc::fail(Errc::network, "api", "",
                     "source: gave up after too many interrupted transfers");
}

Result<void> ApiClient::upload_quality(std::int64_t video_id, const std::string &quality,
                                       const std::filesystem::path &tar_gz,
                                       std::stop_token cancel) {
    const Call call{Endpoint::upload_quality, Scope::video, upload_policy};
    HttpRequest request = base_request(
        "POST",
        "/api/worker/upload/" + std::to_string(video_id) + "/quality/" + url_escape(quality), true);
    request.multipart = MultipartFile{"file", "quality.tar.gz", "application/gzip", tar_gz};
    // clamp(300 + 60 × floor(bytes / 100 MiB), 300, 3600) s, as the Python client (§4.5).
    const std::uint64_t bytes = local_size(tar_gz);
    const std::int64_t seconds_total = std::clamp<std::int64_t>(
        300 + 60 * static_cast<std::int64_t>(bytes / (100u << 20)), 300, 3600);
    request.total_timeout = std::chrono::seconds(seconds_total);
    request.stall_timeout = transfer_stall_timeout;
    request.cancel = cancel;
    if (observer_.on_uploaded) {
        request.on_bytes = observer_.on_uploaded;
    }
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    return ok();
}

Result<void> ApiClient::upload_finalize(std::int64_t video_id, const std::filesystem::path &tar_gz,
                                        std::stop_token cancel) {
    const Call call{Endpoint::upload_finalize, Scope::video, upload_policy};
    HttpRequest request =
        base_request("POST", "/api/worker/upload/" + std::to_string(video_id) + "/finalize", true);
    request.multipart = MultipartFile{"file", "finalize.tar.gz", "application/gzip", tar_gz};
    request.total_timeout = long_call_timeout;
    request.cancel = cancel;
    if (observer_.on_uploaded) {
        request.on_bytes = observer_.on_uploaded;
    }
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    return ok();
}

Result<SegmentUploadReply>
ApiClient::upload_segment(std::int64_t video_id, const std::string &quality,
                          const std::string &filename, const std::filesystem::path &file,
                          const std::string &sha256_hex, std::stop_token cancel) {
    const Call call{Endpoint::upload_segment, Scope::video, segment_policy};
    HttpRequest request =
        base_request("POST",
                     "/api/worker/upload/" + std::to_string(video_id) + "/segment/" +
                         url_escape(quality) + "/" + url_escape(filename),
                     true);
    request.headers.emplace_back("Content-Type", "application/octet-stream");
    request.headers.emplace_back("X-Content-SHA256", sha256_hex);
    request.body_file = file;
    request.total_timeout = long_call_timeout;
    request.cancel = cancel;
    request.max_body_bytes = max_json_reply_bytes;
    if (observer_.on_uploaded) {
        request.on_bytes = observer_.on_uploaded;
    }
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    VTC_TRY_ASSIGN(json, parse_json_object(response->body, "segment upload reply"));
    SegmentUploadReply reply;
    VTC_TRY_ASSIGN(written, json_bool(json, "written", "segment upload reply"));
    reply.written = written.value_or(false);
    VTC_TRY_ASSIGN(verified, json_bool(json, "checksum_verified", "segment upload reply"));
    reply.checksum_verified = verified.value_or(false);
    return reply;
}

Result<SegmentStatus> ApiClient::segments_status(std::int64_t video_id, const std::string &quality,
                                                 std::stop_token cancel) {
    const Call call{Endpoint::segments_status, Scope::video, status_policy};
    HttpRequest request = base_request("GET",
                                       "/api/worker/upload/" + std::to_string(video_id) +
                                           "/segments/status?quality=" + url_escape(quality),
                                       true);
    request.total_timeout = long_call_timeout;
    request.cancel = cancel;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    VTC_TRY_ASSIGN(json, parse_json_object(response->body, "segments status reply"));
    SegmentStatus status;
    VTC_TRY_ASSIGN(names, json_string_list(json, "received_segments", "segments status reply"));
    status.received_segments = names.value_or(std::vector<std::string>{});
    VTC_TRY_ASSIGN(total, json_int(json, "total_size_bytes", "segments status reply"));
    status.total_size_bytes = total.value_or(0);
    return status;
}

Result<SegmentFinalizeReply>
ApiClient::segment_finalize(std::int64_t video_id, const std::string &quality, int segment_count,
                            const std::string &manifest_sha256_hex, std::stop_token cancel) {
    const Call call{Endpoint::segment_finalize, Scope::video, status_policy};
    Json body = {{"quality", quality}, {"segment_count", segment_count}};
    if (!manifest_sha256_hex.empty()) {
        body["manifest_checksum"] = "sha256:" + manifest_sha256_hex;
    }
    VTC_TRY_ASSIGN(json,
                   post_json(call,
                             "/api/worker/upload/" + std::to_string(video_id) + "/segment/finalize",
                             body, long_call_timeout, cancel));
    SegmentFinalizeReply reply;
    VTC_TRY_ASSIGN(complete, json_bool(json, "complete", "segment finalize reply"));
    reply.complete = complete.value_or(false);
    VTC_TRY_ASSIGN(missing, json_string_list(json, "missing_segments", "segment finalize reply"));
    reply.missing_segments = missing.value_or(std::vector<std::string>{});
    return reply;
}

Result<VerifyReport> ApiClient::verify_complete(std::int64_t job_id) {
    const Call call{Endpoint::verify_complete, Scope::job, verify_policy};
    HttpRequest request =
        base_request("GET", "/api/worker/" + std::to_string(job_id) + "/verify-complete", true);
    request.total_timeout = long_call_timeout;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    VTC_TRY_ASSIGN(json, parse_json_object(response->body, "verify reply"));
    VerifyReport report;
    VTC_TRY_ASSIGN(all, json_bool(json, "all_files_present", "verify reply"));
    report.all_files_present = all.value_or(false);
    VTC_TRY_ASSIGN(done, json_bool(json, "job_completed", "verify reply"));
    report.job_completed = done.value_or(false);
    VTC_TRY_ASSIGN(status, json_string(json, "video_status", "verify reply"));
    report.video_status = status.value_or("");
    VTC_TRY_ASSIGN(present, json_string_list(json, "qualities_present", "verify reply"));
    report.qualities_present = present.value_or(std::vector<std::string>{});
    VTC_TRY_ASSIGN(missing, json_string_list(json, "missing_files", "verify reply"));
    report.missing_files = missing.value_or(std::vector<std::string>{});
    return report;
}

Result<RegisterReply> ApiClient::register_worker(const std::string &admin_secret,
                                                 const std::string &name, const Json &capabilities,
                                                 const Json &metadata) {
    Call call{Endpoint::register_worker, Scope::worker, single_policy};
    call.retry_rate_limited = false;
    call.with_key = false;
    HttpRequest request = base_request("POST", "/api/worker/register", false);
    request.headers.emplace_back("X-Admin-Secret", admin_secret);
    request.headers.emplace_back("Content-Type", "application/json");
    Json body = {{"worker_name", name}, {"worker_type", "remote"}};
    if (!capabilities.is_null()) {
        body["capabilities"] = capabilities;
    }
    if (!metadata.is_null()) {
        body["metadata"] = metadata;
    }
    request.body = body.dump();
    request.total_timeout = long_call_timeout;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = execute(call, std::move(request));
    if (!response) {
        return Unexpected(std::move(response).error());
    }
    VTC_TRY_ASSIGN(json, parse_json_object(response->body, "register reply"));
    RegisterReply reply;
    VTC_TRY_ASSIGN(id, json_string(json, "worker_id", "register reply"));
    VTC_TRY_ASSIGN(key, json_string(json, "api_key", "register reply"));
    if (!id || !key || key->empty()) {
        return vtc::fail(Errc::protocol, "api", "", "register reply: worker_id or api_key missing");
    }
    reply.worker_id = *id;
    reply.api_key = *key;
    return reply;
}

Result<void> ApiClient::server_health() {
    HttpRequest request = base_request("GET", "/api/health", false);
    // `check` promises an answer within the configured timeout: one budget for the exchange.
    request.total_timeout = options_.connect_timeout;
    Result<HttpResponse> response = http_.perform(request);
    if (!response) {
        return vtc::fail(response.error().code, "api", "",
                         "health: " + options_.base_url +
                             " unreachable: " + response.error().message);
    }
    if (response->status != 200) {
        return vtc::fail(Errc::network, "api", "",
                         fmt::format("health: HTTP {}: {}", response->status,
                                     describe_error_body(response->status, response->body)));
    }
    return ok();
}

Result<void> ApiClient::check_key() {
    HttpRequest request = base_request("GET", "/api/worker/source/0", true);
    request.total_timeout = options_.connect_timeout;
    request.max_body_bytes = max_json_reply_bytes;
    Result<HttpResponse> response = http_.perform(request);
    if (!response) {
        return vtc::fail(response.error().code, "api", "",
                         "key check: " + options_.base_url +
                             " unreachable: " + response.error().message);
    }
    // The auth dependency runs before the handler: 401 means the key, 403/404 the job.
    if (response->status == 403 || response->status == 404) {
        const std::string detail = describe_error_body(response->status, response->body);
        if (detail == "Worker is disabled") {
            return vtc::fail(Errc::protocol, "api", "", "key check: the worker is disabled");
        }
        return ok();
    }
    return vtc::fail(Errc::protocol, "api", "",
                     fmt::format("key check: HTTP {}: {}", response->status,
                                 describe_error_body(response->status, response->body)));
}

#undef VTC_TRY_ASSIGN

} // namespace vtc::host
