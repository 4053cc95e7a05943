// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fake_api.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace vtc::host::test {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> quality_names = {"2160p", "1440p", "1080p",   "720p",
                                                "480p",  "360p",  "original"};

bool is_quality(const std::string &q) {
    return std::find(quality_names.begin(), quality_names.end(), q) != quality_names.end();
}

std::string iso(Clock::time_point t) {
    using namespace std::chrono;
    const auto us = time_point_cast<microseconds>(t);
    const auto day = floor<days>(us);
    const year_month_day ymd{day};
    const hh_mm_ss<microseconds> tod{us - day};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(tod.hours().count()),
                  int(tod.minutes().count()), int(tod.seconds().count()),
                  int(tod.subseconds().count()));
    return buf;
}

std::string new_uuid() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex m;
    std::lock_guard<std::mutex> lock(m);
    char buf[40];
    const std::uint64_t a = rng(), b = rng();
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                  static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffull));
    return buf;
}

void send_json(httplib::Response &res, int status, const Json &body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void detail(httplib::Response &res, int status, const std::string &text) {
    send_json(res, status, Json{{"detail", text}});
}

/// pydantic-style 422.
void invalid(httplib::Response &res, std::vector<std::string> loc, const std::string &msg,
             const std::string &type = "value_error") {
    Json l = Json::array();
    for (const std::string &p : loc) {
        l.push_back(p);
    }
    send_json(res, 422,
              Json{{"detail", Json::array({Json{{"type", type}, {"loc", l}, {"msg", msg}}})}});
}

std::string read_file(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const fs::path &p, const std::string &data) {
    fs::create_directories(p.parent_path());
    {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    ::chmod(p.c_str(), 0644);
}

std::string lower(std::string s) {
    for (char &c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Lexical resolve relative to a root; nullopt when the path leaves it.
std::optional<std::string> contained(const std::string &name) {
    if (name.empty() || name[0] == '/') {
        return std::nullopt;
    }
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(name);
    while (std::getline(in, part, '/')) {
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (parts.empty()) {
                return std::nullopt;
            }
            parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (const std::string &p : parts) {
        out += (out.empty() ? "" : "/") + p;
    }
    return out;
}

bool is_int(const Json &j) {
    return j.is_number_integer();
}

} // namespace

std::string sha256_hex(const std::string &data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

TarCheck check_vlog_tar(const std::string &data, bool finalize,
                        const FakeVlogApi::Options &limits) {
    TarCheck result;
    archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK) {
        archive_read_free(a);
        return {500, "Internal Server Error", {}};
    }
    const std::vector<std::string> allowed =
        finalize ? std::vector<std::string>{".m3u8", ".mpd", ".jpg"}
                 : std::vector<std::string>{".m3u8", ".ts", ".m4s", ".mp4", ".jpg", ".vtt"};
    const std::size_t max_files = finalize ? 10 : limits.max_archive_files;
    const std::uint64_t max_single = finalize ? (500ull << 20) : limits.max_single_file_bytes;
    const std::uint64_t max_total = finalize ? (500ull << 20) : limits.max_archive_bytes;
    std::size_t count = 0;
    std::uint64_t total = 0;
    archive_entry *entry = nullptr;
    int rc;
    bool first = true;
    while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
        if (first) {
            first = false;
            // tarfile mode "r:gz" refuses anything that is not gzip: ReadError, uncaught: 500.
            if (archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
                archive_read_free(a);
                return {500, "Internal Server Error", {}};
            }
        }
        const std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        if (++count > max_files) {
            archive_read_free(a);
            return {400, "Too many files in archive (max " + std::to_string(max_files) + ")", {}};
        }
        const auto type = archive_entry_filetype(entry);
        if (type == AE_IFLNK) {
            archive_read_free(a);
            return {400, "Invalid archive: symlinks not allowed (" + name + ")", {}};
        }
        if (archive_entry_hardlink(entry) != nullptr) {
            archive_read_free(a);
            return {400, "Invalid archive: symlinks not allowed (" + name + ")", {}};
        }
        if (type != AE_IFREG && type != AE_IFDIR) {
            archive_read_free(a);
            return {400,
                    "Invalid archive: only regular files and directories allowed (" + name + ")",
                    {}};
        }
        const std::optional<std::string> clean = contained(name);
        if (!clean) {
            archive_read_free(a);
            return {400, "Path traversal detected: " + name, {}};
        }
        if (type == AE_IFDIR) {
            continue;
        }
        const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
        if (size > max_single) {
            archive_read_free(a);
            return {400, "File too large in archive: " + name, {}};
        }
        total += size;
        if (total > max_total) {
            archive_read_free(a);
            return {400, "Archive too large", {}};
        }
        const std::string lname = lower(name);
        if (std::none_of(allowed.begin(), allowed.end(),
                         [&](const std::string &ext) { return ends_with(lname, ext); })) {
            archive_read_free(a);
            return {400, "Invalid file type in archive: " + name, {}};
        }
        if (finalize && name != "master.m3u8" && name != "manifest.mpd" &&
            name != "thumbnail.jpg") {
            archive_read_free(a);
            return {400, "Unexpected file in archive: " + name, {}};
        }
        std::string content(size, '\0');
        if (size > 0 &&
            archive_read_data(a, content.data(), size) != static_cast<la_ssize_t>(size)) {
            archive_read_free(a);
            return {500, "Internal Server Error", {}};
        }
        result.files.emplace_back(*clean, std::move(content));
    }
    if (rc != ARCHIVE_EOF || first) {
        const bool empty_gzip =
            first && rc == ARCHIVE_EOF && archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP;
        archive_read_free(a);
        if (!empty_gzip) {
            return {500, "Internal Server Error", {}};
        }
        return result;
    }
    archive_read_free(a);
    return result;
}

FakeVlogApi::FakeVlogApi(fs::path storage_root, Options options)
    : root_(std::move(storage_root)), options_(std::move(options)) {
    fs::create_directories(root_ / "videos");
    fs::create_directories(root_ / "uploads");
}

FakeVlogApi::~FakeVlogApi() {
    stop(false);
}

void FakeVlogApi::start(int port) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (server_) {
        return;
    }
    server_ = std::make_unique<httplib::Server>();
    install_routes(*server_);
    const int wanted = port != 0 ? port : port_;
    if (wanted == 0) {
        port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
        // A restarted API comes back on the same port; TIME_WAIT may delay the bind briefly.
        bool bound = false;
        for (int i = 0; i < 100 && !bound; ++i) {
            bound = server_->bind_to_port("127.0.0.1", wanted);
            if (!bound) {
                server_ = std::make_unique<httplib::Server>();
                install_routes(*server_);
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        port_ = bound ? wanted : -1;
    }
    if (port_ <= 0) {
        throw std::runtime_error("fake API: cannot bind");
    }
    httplib::Server *srv = server_.get();
    thread_ = std::make_unique<std::thread>([srv] { srv->listen_after_bind(); });
    while (!srv->is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void FakeVlogApi::stop(bool release_jobs) {
    std::unique_ptr<httplib::Server> srv;
    std::unique_ptr<std::thread> thread;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        srv = std::move(server_);
        thread = std::move(thread_);
        if (release_jobs) {
            for (auto &[id, job] : jobs_) {
                if (job.claimed && !job.completed_at) {
                    job.worker_id.clear();
                    job.claimed = false;
                    job.claim_expires_at.reset();
                    job.video_status = "pending";
                }
            }
            for (auto &[key, w] : workers_) {
                w.current_job_id = 0;
            }
        }
    }
    if (srv) {
        srv->stop();
    }
    if (thread && thread->joinable()) {
        thread->join();
    }
}

bool FakeVlogApi::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return server_ != nullptr;
}
int FakeVlogApi::port() const {
    return port_;
}
std::string FakeVlogApi::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}
fs::path FakeVlogApi::storage_root() const {
    return root_;
}
fs::path FakeVlogApi::video_dir(const std::string &slug) const {
    return root_ / "videos" / slug;
}

std::string FakeVlogApi::add_worker(const std::string &name, const std::string &worker_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    FakeWorker w;
    w.worker_id = worker_id.empty() ? new_uuid() : worker_id;
    // secrets.token_urlsafe(32): 43 characters of URL-safe base64.
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::mt19937_64 rng{std::random_device{}()};
    for (int i = 0; i < 43; ++i) {
        w.api_key += alphabet[rng() % 64];
    }
    w.name = name;
    const std::string key = w.api_key;
    workers_[key] = std::move(w);
    return key;
}

std::string FakeVlogApi::worker_id_of(const std::string &api_key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = workers_.find(api_key);
    return it == workers_.end() ? std::string() : it->second.worker_id;
}

void FakeVlogApi::disable_worker(const std::string &api_key) {
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.at(api_key).status = "disabled";
}

std::int64_t FakeVlogApi::add_job(std::int64_t video_id, const std::string &slug,
                                  const fs::path &source, const std::string &ext,
                                  std::vector<std::string> existing_qualities, bool targeted_only) {
    std::lock_guard<std::mutex> lock(mutex_);
    FakeJob job;
    job.job_id = next_job_id_++;
    job.video_id = video_id;
    job.slug = slug;
    job.source_ext = ext;
    job.existing_qualities = std::move(existing_qualities);
    job.targeted_only = targeted_only;
    job.streaming_format = options_.server_streaming_format;
    if (!source.empty()) {
        fs::copy_file(source, root_ / "uploads" / (std::to_string(video_id) + ext),
                      fs::copy_options::overwrite_existing);
    }
    const std::int64_t id = job.job_id;
    jobs_[id] = std::move(job);
    return id;
}

void FakeVlogApi::inject(const std::string &endpoint, int status, int times, std::string body,
                         std::optional<int> retry_after_s) {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_[endpoint].push_back(Fault{status, times, std::move(body), retry_after_s});
}

void FakeVlogApi::cut_source_after(std::uint64_t bytes, int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    cut_source_bytes_ = bytes;
    cut_source_times_ = times;
}

void FakeVlogApi::expire_lease(std::int64_t job_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.at(job_id).claim_expires_at = Clock::now() - std::chrono::seconds(1);
}

void FakeVlogApi::release(std::int64_t job_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    FakeJob &job = jobs_.at(job_id);
    job.worker_id.clear();
    job.claimed = false;
    job.claim_expires_at.reset();
    job.video_status = "pending";
}

void FakeVlogApi::set_verify_bug(bool on) {
    std::lock_guard<std::mutex> lock(mutex_);
    verify_bug_ = on;
}

void FakeVlogApi::set_claim_reply_override(std::optional<std::string> body) {
    std::lock_guard<std::mutex> lock(mutex_);
    claim_override_ = std::move(body);
}

void FakeVlogApi::set_source_filename_override(std::optional<std::string> name) {
    std::lock_guard<std::mutex> lock(mutex_);
    source_name_override_ = std::move(name);
}

FakeJob FakeVlogApi::job(std::int64_t job_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return jobs_.at(job_id);
}

FakeWorker FakeVlogApi::worker(const std::string &api_key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return workers_.at(api_key);
}

std::vector<RecordedCall> FakeVlogApi::calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
}

std::vector<RecordedCall> FakeVlogApi::calls(const std::string &endpoint) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RecordedCall> out;
    for (const RecordedCall &c : calls_) {
        if (c.endpoint == endpoint) {
            out.push_back(c);
        }
    }
    return out;
}

int FakeVlogApi::count(const std::string &endpoint, int status) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(std::count_if(calls_.begin(), calls_.end(), [&](const RecordedCall &c) {
        return c.endpoint == endpoint && (status == 0 || c.status == status);
    }));
}

bool FakeVlogApi::wait_for(const std::function<bool()> &predicate,
                           std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return predicate();
}

// ---------------------------------------------------------------------------------------
// Handlers. Each runs under mutex_ (the server's DB transaction, in effect), except the
// body of the source download, which streams outside it.

void FakeVlogApi::record(const std::string &endpoint, const httplib::Request &req, int status,
                         std::int64_t id, const Json &body) {
    RecordedCall c;
    c.endpoint = endpoint;
    c.method = req.method;
    c.path = req.target.empty() ? req.path : req.target;
    c.status = status;
    c.job_id = id;
    c.body = body;
    c.request_id = req.get_header_value("X-Request-ID");
    c.at = Clock::now();
    calls_.push_back(std::move(c));
}

bool FakeVlogApi::apply_fault(const std::string &endpoint, const httplib::Request &,
                              httplib::Response &res) {
    auto it = faults_.find(endpoint);
    if (it == faults_.end()) {
        return false;
    }
    for (Fault &f : it->second) {
        if (f.times <= 0) {
            continue;
        }
        --f.times;
        res.status = f.status;
        if (f.retry_after_s) {
            res.set_header("Retry-After", std::to_string(*f.retry_after_s));
        }
        if (!f.body.empty()) {
            const bool json = f.body.front() == '{' || f.body.front() == '[';
            res.set_content(f.body, json ? "application/json" : "text/plain");
        } else if (f.status == 429) {
            res.set_content(R"({"detail":"Rate limit exceeded","error":"300 per 1 minute"})",
                            "application/json");
        } else if (f.status >= 500) {
            res.set_content("Internal Server Error", "text/plain; charset=utf-8");
        } else {
            res.set_content(R"({"detail":"injected"})", "application/json");
        }
        return true;
    }
    return false;
}

FakeWorker *FakeVlogApi::authenticate(const httplib::Request &req, httplib::Response &res) {
    if (!req.has_header("X-Worker-API-Key")) {
        detail(res, 401, "Missing API key. Include X-Worker-API-Key header.");
        return nullptr;
    }
    const std::string key = req.get_header_value("X-Worker-API-Key");
    auto it = workers_.find(key);
    if (key.size() < 8 || it == workers_.end()) {
        detail(res, 401, "Invalid API key");
        return nullptr;
    }
    if (it->second.status == "disabled") {
        detail(res, 403, "Worker is disabled");
        return nullptr;
    }
    return &it->second;
}

FakeJob *FakeVlogApi::job_for_worker(std::int64_t job_id, const FakeWorker &w,
                                     httplib::Response &res) {
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) {
        detail(res, 404, "Job not found");
        return nullptr;
    }
    if (it->second.worker_id != w.worker_id) {
        detail(res, 403, "Not your job");
        return nullptr;
    }
    return &it->second;
}

FakeJob *FakeVlogApi::video_job_for_worker(std::int64_t video_id, const FakeWorker &w,
                                           httplib::Response &res, bool segment_endpoint) {
    for (auto &[id, job] : jobs_) {
        if (job.video_id == video_id && job.worker_id == w.worker_id) {
            return &job;
        }
    }
    detail(res, 403, segment_endpoint ? "Not your job" : "Not your job or job not found");
    return nullptr;
}

bool FakeVlogApi::lease_ok(FakeJob &job, httplib::Response &res, bool segment_endpoint) {
    if (job.claim_expires_at && *job.claim_expires_at < Clock::now()) {
        detail(res, 409,
               segment_endpoint ? "Claim expired" : "Claim expired - job may have been reassigned");
        return false;
    }
    return true;
}

void FakeVlogApi::renew(FakeJob &job) {
    job.claim_expires_at = Clock::now() + options_.lease;
}

void FakeVlogApi::release_expired() {
    const auto now = Clock::now();
    for (auto &[id, job] : jobs_) {
        if (job.claim_expires_at && *job.claim_expires_at < now && !job.completed_at) {
            job.worker_id.clear();
            job.claimed = false;
            job.claim_expires_at.reset();
            job.video_status = "pending";
            for (auto &[key, w] : workers_) {
                if (w.current_job_id == id) {
                    w.current_job_id = 0;
                }
            }
        }
    }
}

void FakeVlogApi::install_routes(httplib::Server &s) {
    // Short keep-alive so stop() does not wait 5 s for idle connections to time out.
    s.set_keep_alive_timeout(1);
    using R = const httplib::Request &;
    using W = httplib::Response &;
    s.Post("/api/worker/register", [this](R req, W res) { on_register(req, res); });
    s.Post("/api/worker/heartbeat", [this](R req, W res) { on_heartbeat(req, res); });
    s.Post("/api/worker/claim", [this](R req, W res) { on_claim(req, res); });
    s.Post(R"(/api/worker/(\d+)/progress)", [this](R req, W res) { on_progress(req, res); });
    s.Post(R"(/api/worker/(\d+)/complete)", [this](R req, W res) { on_complete(req, res); });
    s.Post(R"(/api/worker/(\d+)/fail)", [this](R req, W res) { on_fail(req, res); });
    s.Get(R"(/api/worker/source/(\d+))", [this](R req, W res) { on_source(req, res); });
    s.Post(R"(/api/worker/upload/(\d+)/quality/([^/]+))",
           [this](R req, W res) { on_upload(req, res, false); });
    s.Post(R"(/api/worker/upload/(\d+)/finalize)",
           [this](R req, W res) { on_upload(req, res, true); });
    s.Post(R"(/api/worker/upload/(\d+)/segment/finalize)",
           [this](R req, W res) { on_segment_finalize(req, res); });
    s.Post(R"(/api/worker/upload/(\d+)/segment/([^/]+)/([^/]+))",
           [this](R req, W res) { on_segment(req, res); });
    s.Get(R"(/api/worker/upload/(\d+)/segments/status)",
          [this](R req, W res) { on_segments_status(req, res); });
    s.Get(R"(/api/worker/(\d+)/verify-complete)", [this](R req, W res) { on_verify(req, res); });
    s.Get("/api/health", [](R, W res) {
        send_json(
            res, 200,
            Json{{"status", "healthy"},
                 {"checks", {{"database", true}, {"storage", true}}},
                 {"storage", {{"healthy", true}, {"last_check", nullptr}, {"error", nullptr}}}});
    });
}

void FakeVlogApi::on_register(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("register", req, status, 0, body); };
    if (apply_fault("register", req, res)) {
        return done(res.status);
    }
    if (!req.has_header("X-Admin-Secret")) {
        detail(res, 401, "X-Admin-Secret header required");
        return done(401);
    }
    if (req.get_header_value("X-Admin-Secret") != options_.admin_secret) {
        detail(res, 403, "Invalid admin secret");
        return done(403);
    }
    if (body.is_discarded() || !body.is_object()) {
        invalid(res, {"body"}, "Input should be a valid dictionary");
        return done(422);
    }
    std::string name = body.value("worker_name", "");
    if (name.size() > 100) {
        invalid(res, {"body", "worker_name"}, "String should have at most 100 characters");
        return done(422);
    }
    FakeWorker w;
    w.worker_id = new_uuid();
    w.name = name.empty() ? "worker-" + w.worker_id.substr(0, 8) : name;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::mt19937_64 rng{std::random_device{}()};
    for (int i = 0; i < 43; ++i) {
        w.api_key += alphabet[rng() % 64];
    }
    send_json(res, 200,
              Json{{"worker_id", w.worker_id},
                   {"api_key", w.api_key},
                   {"message", "Worker registered successfully. Store the API key securely - it "
                               "won't be shown again."}});
    workers_[w.api_key] = w;
    done(200);
}

namespace {

/// WorkerCapabilities (extra=forbid). @return empty when valid, else the 422 message.
std::string check_capabilities(const Json &caps) {
    if (!caps.is_object()) {
        return "capabilities: Input should be a valid dictionary";
    }
    static const std::set<std::string> known = {"hwaccel_enabled",
                                                "hwaccel_type",
                                                "gpu_name",
                                                "code_version",
                                                "supported_codecs",
                                                "encoders",
                                                "max_concurrent_encode_sessions",
                                                "ffmpeg_version",
                                                "driver_version",
                                                "cuda_version",
                                                "vaapi_device"};
    for (auto it = caps.begin(); it != caps.end(); ++it) {
        if (!known.count(it.key())) {
            return "capabilities." + it.key() + ": Extra inputs are not permitted";
        }
    }
    auto str_max = [&](const char *key, std::size_t max, bool nullable) -> std::string {
        auto it = caps.find(key);
        if (it == caps.end() || (nullable && it->is_null())) {
            return "";
        }
        if (!it->is_string()) {
            return std::string("capabilities.") + key + ": Input should be a valid string";
        }
        if (it->get<std::string>().size() > max) {
            return std::string("capabilities.") + key + ": String too long";
        }
        return "";
    };
    for (auto [key, max, nullable] :
         {std::tuple<const char *, std::size_t, bool>{"hwaccel_type", 20, false},
          {"gpu_name", 200, true},
          {"code_version", 64, true},
          {"ffmpeg_version", 100, true},
          {"driver_version", 100, true},
          {"cuda_version", 100, true},
          {"vaapi_device", 200, true}}) {
        if (std::string e = str_max(key, max, nullable); !e.empty()) {
            return e;
        }
    }
    if (auto it = caps.find("hwaccel_enabled"); it != caps.end() && !it->is_boolean()) {
        return "capabilities.hwaccel_enabled: Input should be a valid boolean";
    }
    if (auto it = caps.find("max_concurrent_encode_sessions"); it != caps.end()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
            it->get<std::int64_t>() > 100) {
            return "capabilities.max_concurrent_encode_sessions: Input should be between 1 and 100";
        }
    }
    if (auto it = caps.find("supported_codecs"); it != caps.end()) {
        if (!it->is_array() || it->size() > 10) {
            return "capabilities.supported_codecs: List should have at most 10 items";
        }
        for (const Json &c : *it) {
            if (!c.is_string() || c.get<std::string>().size() > 20) {
                return "capabilities.supported_codecs: invalid item";
            }
        }
    }
    if (auto it = caps.find("encoders"); it != caps.end()) {
        if (!it->is_object()) {
            return "capabilities.encoders: Input should be a valid dictionary";
        }
        for (auto e = it->begin(); e != it->end(); ++e) {
            if (e.key().size() > 20 || !e->is_array() || e->size() > 20) {
                return "capabilities.encoders: invalid entry";
            }
            for (const Json &name : *e) {
                if (!name.is_string() || name.get<std::string>().size() > 50) {
                    return "capabilities.encoders: invalid encoder name";
                }
            }
        }
    }
    return "";
}

} // namespace

void FakeVlogApi::on_heartbeat(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("heartbeat", req, status, 0, body); };
    if (apply_fault("heartbeat", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (body.is_discarded() || !body.is_object()) {
        invalid(res, {"body"}, "Input should be a valid dictionary");
        return done(422);
    }
    const std::string status = body.value("status", "active");
    if (status != "active" && status != "busy" && status != "idle") {
        invalid(res, {"body", "status"}, "String should match pattern '^(active|busy|idle)$'",
                "string_pattern_mismatch");
        return done(422);
    }
    std::optional<std::string> code_version;
    if (auto it = body.find("code_version"); it != body.end() && !it->is_null()) {
        if (!it->is_string() || it->get<std::string>().size() > 40) {
            invalid(res, {"body", "code_version"}, "String should have at most 40 characters");
            return done(422);
        }
        code_version = it->get<std::string>();
    }
    Json metadata = Json::object();
    if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
        if (!it->is_object()) {
            invalid(res, {"body", "metadata"}, "Input should be a valid dictionary");
            return done(422);
        }
        if (it->size() > 20) {
            invalid(res, {"body", "metadata"}, "Value error, Metadata has too many keys (max 20)");
            return done(422);
        }
        if (it->dump().size() > 10000) {
            invalid(res, {"body", "metadata"}, "Value error, Metadata too large (max 10KB)");
            return done(422);
        }
        if (auto caps = it->find("capabilities"); caps != it->end()) {
            if (std::string e = check_capabilities(*caps); !e.empty()) {
                invalid(res, {"body", "metadata"}, "Value error, Invalid capabilities: " + e);
                return done(422);
            }
        }
        metadata = *it;
    }
    if (code_version) {
        metadata["code_version"] = *code_version;
    }
    if (!metadata.empty()) {
        w->metadata = metadata; // replaces entirely (§2.2)
    }
    w->status = status;
    ++w->heartbeats;
    bool version_ok = true;
    if (options_.require_version_match && code_version &&
        *code_version != options_.required_version) {
        version_ok = false;
    }
    const std::string now = iso(Clock::now());
    send_json(
        res, 200,
        Json{{"status", "ok"},
             {"server_time", now},
             {"required_version", options_.required_version},
             {"version_ok", version_ok},
             {"worker_status", status},
             {"current_job_id", w->current_job_id == 0 ? Json(nullptr) : Json(w->current_job_id)},
             {"last_heartbeat_recorded", now}});
    done(200);
}

void FakeVlogApi::on_claim(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto done = [&](int status, std::int64_t id = 0) { record("claim", req, status, id, nullptr); };
    if (apply_fault("claim", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    std::optional<std::int64_t> target;
    if (req.has_param("job_id")) {
        const std::string v = req.get_param_value("job_id");
        if (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit)) {
            invalid(res, {"query", "job_id"}, "Input should be a valid integer", "int_parsing");
            return done(422);
        }
        target = std::stoll(v);
    }
    if (claim_override_) {
        res.status = 200;
        res.set_content(*claim_override_, "application/json");
        return done(200);
    }
    const Json none = {{"job_id", nullptr},
                       {"video_id", nullptr},
                       {"video_slug", nullptr},
                       {"video_duration", nullptr},
                       {"source_width", nullptr},
                       {"source_height", nullptr},
                       {"source_filename", nullptr},
                       {"claim_expires_at", nullptr},
                       {"existing_qualities", nullptr}};
    if (options_.require_version_match && w->metadata.contains("code_version") &&
        w->metadata["code_version"] != options_.required_version) {
        Json reply = none;
        reply["message"] = "Version mismatch: worker has " +
                           w->metadata["code_version"].get<std::string>() + ", server requires " +
                           options_.required_version;
        send_json(res, 200, reply);
        return done(200);
    }
    release_expired();
    FakeJob *picked = nullptr;
    for (auto &[id, job] : jobs_) {
        if (job.claimed || job.completed_at || job.video_status != "pending") {
            continue;
        }
        if ((target && id != *target) || (!target && job.targeted_only)) {
            continue;
        }
        picked = &job;
        break;
    }
    if (picked == nullptr) {
        Json reply = none;
        reply["message"] = "No jobs available";
        send_json(res, 200, reply);
        return done(200);
    }
    picked->worker_id = w->worker_id;
    picked->claimed = true;
    renew(*picked);
    picked->current_step = "claimed";
    picked->video_status = "processing";
    w->current_job_id = picked->job_id;
    Json reply = {{"job_id", picked->job_id},
                  {"video_id", picked->video_id},
                  {"video_slug", picked->slug},
                  {"video_duration", picked->duration},
                  {"source_width", picked->source_width},
                  {"source_height", picked->source_height},
                  {"claim_expires_at", iso(*picked->claim_expires_at)},
                  {"message", "Job claimed successfully"}};
    const fs::path source =
        root_ / "uploads" / (std::to_string(picked->video_id) + picked->source_ext);
    if (source_name_override_) {
        reply["source_filename"] = *source_name_override_;
    } else if (fs::exists(source)) {
        reply["source_filename"] = source.filename().string();
    } else {
        reply["source_filename"] = nullptr;
    }
    if (picked->existing_qualities.empty()) {
        reply["existing_qualities"] = nullptr;
    } else {
        reply["existing_qualities"] = picked->existing_qualities;
    }
    send_json(res, 200, reply);
    done(200, picked->job_id);
}

void FakeVlogApi::on_progress(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t job_id = std::stoll(req.matches[1]);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("progress", req, status, job_id, body); };
    if (apply_fault("progress", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (body.is_discarded() || !body.is_object()) {
        invalid(res, {"body"}, "Input should be a valid dictionary");
        return done(422);
    }
    static const std::regex step_re(
        "^(download|probe|thumbnail|transcode|master_playlist|upload|finalize)$");
    static const std::regex status_re(
        "^(pending|in_progress|uploading|completed|uploaded|failed|skipped)$");
    if (auto it = body.find("current_step"); it != body.end() && !it->is_null()) {
        if (!it->is_string() || !std::regex_match(it->get<std::string>(), step_re)) {
            invalid(res, {"body", "current_step"}, "String should match pattern",
                    "string_pattern_mismatch");
            return done(422);
        }
    }
    auto pct = body.find("progress_percent");
    if (pct == body.end() || !is_int(*pct) || *pct < 0 || *pct > 100) {
        invalid(res, {"body", "progress_percent"}, "Input should be an integer between 0 and 100");
        return done(422);
    }
    std::vector<std::pair<std::string, std::string>> qualities;
    if (auto it = body.find("quality_progress"); it != body.end() && !it->is_null()) {
        if (!it->is_array()) {
            invalid(res, {"body", "quality_progress"}, "Input should be a valid list");
            return done(422);
        }
        for (const Json &q : *it) {
            if (!q.is_object() || !q.contains("name") || !q["name"].is_string() ||
                !q.contains("status") || !q["status"].is_string() || !q.contains("progress") ||
                !is_int(q["progress"]) || q["progress"] < 0 || q["progress"] > 100 ||
                !std::regex_match(q["status"].get<std::string>(), status_re)) {
                invalid(res, {"body", "quality_progress"}, "Invalid quality progress item");
                return done(422);
            }
            qualities.emplace_back(q["name"].get<std::string>(), q["status"].get<std::string>());
        }
    }
    for (const char *key : {"source_width", "source_height"}) {
        if (auto it = body.find(key);
            it != body.end() && !it->is_null() && (!is_int(*it) || *it < 1)) {
            invalid(res, {"body", key}, "Input should be greater than or equal to 1");
            return done(422);
        }
    }
    if (auto it = body.find("duration");
        it != body.end() && !it->is_null() && (!it->is_number() || it->get<double>() < 0)) {
        invalid(res, {"body", "duration"}, "Input should be greater than or equal to 0");
        return done(422);
    }
    FakeJob *job = job_for_worker(job_id, *w, res);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, false)) {
        return done(409);
    }
    for (const auto &[name, status] : qualities) {
        if (!is_quality(name)) {
            // The DB CHECK constraint fires: an unhandled IntegrityError (§2.4).
            res.status = 500;
            res.set_content("Internal Server Error", "text/plain; charset=utf-8");
            return done(500);
        }
    }
    job->current_step =
        body["current_step"].is_string() ? body["current_step"].get<std::string>() : "";
    job->progress_percent = body["progress_percent"].get<int>();
    for (const auto &[name, status] : qualities) {
        job->quality_progress[name] = status;
    }
    if (body.contains("duration") && body["duration"].is_number()) {
        job->duration = body["duration"].get<double>();
    }
    if (body.contains("source_width") && is_int(body["source_width"])) {
        job->source_width = body["source_width"].get<int>();
    }
    if (body.contains("source_height") && is_int(body["source_height"])) {
        job->source_height = body["source_height"].get<int>();
    }
    renew(*job);
    send_json(res, 200, Json{{"status", "ok"}, {"claim_expires_at", iso(*job->claim_expires_at)}});
    done(200);
}

void FakeVlogApi::on_complete(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t job_id = std::stoll(req.matches[1]);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("complete", req, status, job_id, body); };
    if (apply_fault("complete", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("qualities") ||
        !body["qualities"].is_array()) {
        invalid(res, {"body", "qualities"}, "Field required", "missing");
        return done(422);
    }
    for (const Json &q : body["qualities"]) {
        if (!q.is_object() || !q.contains("name") || !q["name"].is_string() ||
            !q.contains("width") || !is_int(q["width"]) || !q.contains("height") ||
            !is_int(q["height"]) || !q.contains("bitrate") || !is_int(q["bitrate"])) {
            invalid(res, {"body", "qualities"}, "Invalid quality item");
            return done(422);
        }
    }
    std::string token;
    if (auto it = body.find("completion_token"); it != body.end() && !it->is_null()) {
        static const std::regex token_re(
            "^\\d+-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            std::regex::icase);
        if (!it->is_string() || it->get<std::string>().size() > 100 ||
            !std::regex_match(it->get<std::string>(), token_re)) {
            invalid(res, {"body", "completion_token"}, "String should match pattern",
                    "string_pattern_mismatch");
            return done(422);
        }
        token = lower(it->get<std::string>());
    }
    FakeJob *job = job_for_worker(job_id, *w, res);
    if (job == nullptr) {
        return done(res.status);
    }
    ++job->complete_calls;
    if (job->completed_at) {
        send_json(res, 200, Json{{"status", "ok"}, {"message", "Job already completed"}});
        return done(200);
    }
    if (!token.empty()) {
        if (job->completion_tokens.count(token)) {
            send_json(res, 200, Json{{"status", "ok"}, {"message", "Job already completed"}});
            return done(200);
        }
        job->completion_tokens.insert(token); // lingers even after a 409 (§2.5 bug)
    }
    if (!lease_ok(*job, res, false)) {
        return done(409);
    }
    for (const Json &q : body["qualities"]) {
        const std::string name = q["name"];
        const bool exists = std::any_of(job->video_qualities.begin(), job->video_qualities.end(),
                                        [&](const Json &row) { return row["name"] == name; });
        if (!is_quality(name)) {
            res.status = 500;
            res.set_content("Internal Server Error", "text/plain; charset=utf-8");
            return done(500);
        }
        if (!exists) {
            job->video_qualities.push_back(q);
        }
    }
    job->video_status = "ready";
    job->completed_at = Clock::now();
    job->progress_percent = 100;
    job->current_step = "finalize";
    job->claimed = false;
    job->claim_expires_at.reset();
    w->current_job_id = 0;
    send_json(res, 200, Json{{"status", "ok"}, {"message", "Job completed successfully"}});
    done(200);
}

void FakeVlogApi::on_fail(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t job_id = std::stoll(req.matches[1]);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("fail", req, status, job_id, body); };
    if (apply_fault("fail", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("error_message") ||
        !body["error_message"].is_string()) {
        invalid(res, {"body", "error_message"}, "Field required", "missing");
        return done(422);
    }
    const std::string message = body["error_message"];
    // pydantic counts characters; count UTF-8 code points.
    const auto chars = std::count_if(message.begin(), message.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    });
    if (chars > 500) {
        invalid(res, {"body", "error_message"}, "String should have at most 500 characters",
                "string_too_long");
        return done(422);
    }
    const bool retry = body.value("retry", true);
    FakeJob *job = job_for_worker(job_id, *w, res);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, false)) {
        return done(409);
    }
    ++job->fail_calls;
    const bool will_retry = retry && job->attempt_number < job->max_attempts;
    job->last_error = message;
    w->current_job_id = 0;
    if (will_retry) {
        job->worker_id.clear();
        job->claimed = false;
        job->claim_expires_at.reset();
        job->current_step.clear();
        job->attempt_number += 1;
        job->quality_progress.clear();
        job->video_status = "pending";
    } else {
        job->completed_at = Clock::now();
        job->claimed = false;
        job->claim_expires_at.reset();
        job->video_status = "failed";
    }
    send_json(res, 200,
              Json{{"status", "ok"},
                   {"will_retry", will_retry},
                   {"attempt_number", job->attempt_number}});
    done(200);
}

void FakeVlogApi::on_source(const httplib::Request &req, httplib::Response &res) {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::int64_t video_id = std::stoll(req.matches[1]);
    auto done = [&](int status) { record("source", req, status, video_id, nullptr); };
    if (apply_fault("source", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    FakeJob *job = video_job_for_worker(video_id, *w, res, false);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, false)) {
        return done(409);
    }
    const fs::path path = root_ / "uploads" / (std::to_string(video_id) + job->source_ext);
    if (!fs::exists(path)) {
        detail(res, 404, "Source file not found");
        return done(404);
    }
    auto content = std::make_shared<std::string>(read_file(path));
    std::uint64_t cut = 0;
    if (cut_source_times_ > 0) {
        --cut_source_times_;
        cut = cut_source_bytes_;
    }
    done(req.ranges.empty() ? 200 : 206);
    lock.unlock();
    res.set_header("Content-Disposition",
                   "attachment; filename=\"" + path.filename().string() + "\"");
    res.set_header("Accept-Ranges", "bytes");
    auto first_offset = std::make_shared<std::optional<std::size_t>>();
    // httplib applies a single Range itself (206 + Content-Range), like Starlette >= 0.39.
    res.set_content_provider(content->size(), "application/octet-stream",
                             [content, cut, first_offset](std::size_t offset, std::size_t length,
                                                          httplib::DataSink &sink) {
                                 if (!*first_offset) {
                                     *first_offset = offset;
                                 }
                                 const std::size_t sent = offset - **first_offset;
                                 if (cut > 0 && sent >= cut) {
                                     return false; // drop the connection mid-body
                                 }
                                 std::size_t n = std::min<std::size_t>(length, 64 * 1024);
                                 if (cut > 0) {
                                     n = std::min<std::size_t>(n, cut - sent);
                                 }
                                 sink.write(content->data() + offset, n);
                                 return true;
                             });
}

void FakeVlogApi::on_upload(const httplib::Request &req, httplib::Response &res, bool finalize) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string endpoint = finalize ? "upload_finalize" : "upload_quality";
    const std::int64_t video_id = std::stoll(req.matches[1]);
    const std::string quality = finalize ? "" : std::string(req.matches[2]);
    Json info = finalize ? Json(nullptr) : Json{{"quality", quality}};
    auto done = [&](int status) { record(endpoint, req, status, video_id, info); };
    if (apply_fault(endpoint, req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (!req.is_multipart_form_data() || !req.has_file("file")) {
        invalid(res, {"body", "file"}, "Field required", "missing");
        return done(422);
    }
    FakeJob *job = video_job_for_worker(video_id, *w, res, false);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, false)) {
        return done(409);
    }
    const std::string data = req.get_file_value("file").content;
    TarCheck check = check_vlog_tar(data, finalize, options_);
    if (check.status != 200) {
        if (check.status == 500) {
            res.status = 500;
            res.set_content("Internal Server Error", "text/plain; charset=utf-8");
        } else {
            detail(res, check.status, check.detail);
        }
        info["detail"] = check.detail;
        return done(check.status);
    }
    const fs::path dir = video_dir(job->slug);
    Json names = Json::array();
    for (const auto &[name, content] : check.files) {
        write_file(dir / name, content);
        names.push_back(name);
    }
    info["files"] = names;
    if (!finalize && job->quality_progress.count(quality)) {
        job->quality_progress[quality] = "uploaded";
    }
    send_json(res, 200,
              Json{{"status", "ok"},
                   {"message", finalize ? "Finalize files uploaded successfully"
                                        : "Quality " + quality + " uploaded successfully"}});
    done(200);
}

namespace {

bool valid_segment_name(const std::string &name) {
    if (name.empty() || name.size() > 255) {
        return false;
    }
    if (name.find('\0') != std::string::npos || name.find('%') != std::string::npos ||
        name.find("..") != std::string::npos || name.find('/') != std::string::npos ||
        name.find('\\') != std::string::npos) {
        return false;
    }
    if (std::isspace(static_cast<unsigned char>(name.front())) ||
        std::isspace(static_cast<unsigned char>(name.back()))) {
        return false;
    }
    for (const char *ext : {".ts", ".m4s", ".mp4", ".m3u8", ".mpd"}) {
        if (ends_with(name, ext)) {
            return true;
        }
    }
    return false;
}

bool valid_utf8(const std::string &s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        if (c < 0x80) {
            n = 0;
        } else if ((c >> 5) == 6) {
            n = 1;
        } else if ((c >> 4) == 14) {
            n = 2;
        } else if ((c >> 3) == 30) {
            n = 3;
        } else {
            return false;
        }
        if (i + n >= s.size() && n > 0) {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
                return false;
            }
        }
        i += n + 1;
    }
    return true;
}

bool magic_ok(const std::string &name, const std::string &body) {
    if (body.size() < 8) {
        return false;
    }
    const std::string box = body.substr(4, 4);
    if (ends_with(name, ".ts")) {
        return static_cast<unsigned char>(body[0]) == 0x47;
    }
    if (ends_with(name, ".m4s")) {
        return box == "ftyp" || box == "moof" || box == "styp" || box == "sidx" || box == "emsg";
    }
    if (ends_with(name, ".mp4")) {
        return box == "ftyp";
    }
    return valid_utf8(body);
}

} // namespace

void FakeVlogApi::on_segment(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t video_id = std::stoll(req.matches[1]);
    const std::string quality = req.matches[2];
    const std::string filename = req.matches[3];
    Json info = {{"quality", quality},
                 {"filename", filename},
                 {"sha256", req.get_header_value("X-Content-SHA256")}};
    auto done = [&](int status) { record("upload_segment", req, status, video_id, info); };
    if (apply_fault("upload_segment", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (!req.has_header("X-Content-SHA256")) {
        invalid(res, {"header", "x-content-sha256"}, "Field required", "missing");
        return done(422);
    }
    if (!is_quality(quality) || !valid_segment_name(filename)) {
        detail(res, 400, "Invalid request");
        return done(400);
    }
    FakeJob *job = video_job_for_worker(video_id, *w, res, true);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, true)) {
        return done(409);
    }
    if (req.body.size() > options_.max_single_file_bytes) {
        detail(res, 400, "File too large");
        return done(400);
    }
    if (!magic_ok(filename, req.body)) {
        detail(res, 400, "Invalid file format");
        return done(400);
    }
    std::string expected = req.get_header_value("X-Content-SHA256");
    if (expected.rfind("sha256:", 0) == 0) {
        expected = expected.substr(7);
    }
    const std::string actual = sha256_hex(req.body); // lower-case, compared case-sensitively
    const fs::path dest = video_dir(job->slug) / quality / filename;
    if (fs::exists(dest) && sha256_hex(read_file(dest)) == expected) {
        send_json(res, 200,
                  Json{{"status", "ok"},
                       {"written", false},
                       {"bytes_written", 0},
                       {"checksum_verified", true}});
        info["written"] = false;
        return done(200);
    }
    if (actual != expected) {
        detail(res, 400, "Checksum verification failed");
        return done(400);
    }
    write_file(dest, req.body);
    renew(*job);
    info["written"] = true;
    send_json(res, 200,
              Json{{"status", "ok"},
                   {"written", true},
                   {"bytes_written", req.body.size()},
                   {"checksum_verified", true}});
    done(200);
}

void FakeVlogApi::on_segments_status(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t video_id = std::stoll(req.matches[1]);
    auto done = [&](int status) { record("segments_status", req, status, video_id, nullptr); };
    if (apply_fault("segments_status", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (!req.has_param("quality")) {
        invalid(res, {"query", "quality"}, "Field required", "missing");
        return done(422);
    }
    const std::string quality = req.get_param_value("quality");
    if (!is_quality(quality)) {
        detail(res, 400, "Invalid quality");
        return done(400);
    }
    FakeJob *job = video_job_for_worker(video_id, *w, res, true);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, true)) {
        return done(409);
    }
    std::vector<std::string> names;
    std::int64_t total = 0;
    const fs::path dir = video_dir(job->slug) / quality;
    if (fs::is_directory(dir)) {
        for (const auto &e : fs::directory_iterator(dir)) {
            const std::string n = e.path().filename().string();
            if (e.is_regular_file() && (ends_with(n, ".m4s") || ends_with(n, ".ts") ||
                                        ends_with(n, ".mp4") || ends_with(n, ".m3u8"))) {
                names.push_back(n);
                total += static_cast<std::int64_t>(e.file_size());
            }
        }
    }
    std::sort(names.begin(), names.end());
    send_json(
        res, 200,
        Json{{"quality", quality}, {"received_segments", names}, {"total_size_bytes", total}});
    done(200);
}

void FakeVlogApi::on_segment_finalize(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t video_id = std::stoll(req.matches[1]);
    Json body = Json::parse(req.body, nullptr, false);
    auto done = [&](int status) { record("segment_finalize", req, status, video_id, body); };
    if (apply_fault("segment_finalize", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("quality") ||
        !body["quality"].is_string() || !is_quality(body["quality"].get<std::string>())) {
        invalid(res, {"body", "quality"}, "Input should be a valid quality");
        return done(422);
    }
    if (!body.contains("segment_count") || !is_int(body["segment_count"]) ||
        body["segment_count"] < 0 || body["segment_count"] > 100000) {
        invalid(res, {"body", "segment_count"}, "Input should be between 0 and 100000");
        return done(422);
    }
    FakeJob *job = video_job_for_worker(video_id, *w, res, true);
    if (job == nullptr) {
        return done(res.status);
    }
    if (!lease_ok(*job, res, true)) {
        return done(409);
    }
    const std::string quality = body["quality"];
    const fs::path dir = video_dir(job->slug) / quality;
    auto incomplete = [&](const std::string &why) {
        send_json(res, 200,
                  Json{{"status", "incomplete"},
                       {"complete", false},
                       {"missing_segments", Json::array({why})}});
        done(200);
    };
    if (!fs::is_directory(dir)) {
        return incomplete("<quality directory not found>");
    }
    int found = 0;
    for (const auto &e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (e.is_regular_file() &&
            (ends_with(n, ".m4s") || ends_with(n, ".ts") || ends_with(n, ".mp4"))) {
            ++found;
        }
    }
    const int expected = body["segment_count"];
    if (found < expected) {
        return incomplete("Expected " + std::to_string(expected) + " segments, found " +
                          std::to_string(found));
    }
    if (body.contains("manifest_checksum") && body["manifest_checksum"].is_string()) {
        std::string sum = body["manifest_checksum"];
        if (sum.rfind("sha256:", 0) == 0) {
            sum = sum.substr(7);
        }
        fs::path manifest = dir / "stream.m3u8";
        if (!fs::exists(manifest)) {
            manifest = dir / (quality + ".m3u8");
        }
        if (fs::exists(manifest) && sha256_hex(read_file(manifest)) != sum) {
            return incomplete("Manifest checksum mismatch");
        }
    }
    job->quality_progress[quality] = "uploaded";
    renew(*job);
    send_json(res, 200,
              Json{{"status", "ok"}, {"complete", true}, {"missing_segments", Json::array()}});
    done(200);
}

void FakeVlogApi::on_verify(const httplib::Request &req, httplib::Response &res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t job_id = std::stoll(req.matches[1]);
    auto done = [&](int status) { record("verify_complete", req, status, job_id, nullptr); };
    if (apply_fault("verify_complete", req, res)) {
        return done(res.status);
    }
    FakeWorker *w = authenticate(req, res);
    if (w == nullptr) {
        return done(res.status);
    }
    FakeJob *job = job_for_worker(job_id, *w, res);
    if (job == nullptr) {
        return done(res.status);
    }
    if (verify_bug_) {
        res.status = 500;
        res.set_content("Internal Server Error", "text/plain; charset=utf-8");
        return done(500);
    }
    const fs::path dir = video_dir(job->slug);
    Json missing = Json::array();
    Json present = Json::array();
    if (!fs::is_directory(dir)) {
        missing.push_back("video_directory");
    } else {
        if (!fs::exists(dir / "master.m3u8")) {
            missing.push_back("master.m3u8");
        }
        if (job->streaming_format == "cmaf" && !fs::exists(dir / "manifest.mpd")) {
            missing.push_back("manifest.mpd");
        }
        if (!fs::exists(dir / "thumbnail.jpg")) {
            missing.push_back("thumbnail.jpg");
        }
        for (const Json &row : job->video_qualities) {
            const std::string q = row["name"];
            if (fs::exists(dir / q / "init.mp4") || fs::exists(dir / (q + ".m3u8"))) {
                present.push_back(q);
            } else {
                missing.push_back("quality:" + q);
            }
        }
    }
    const bool completed = job->completed_at.has_value() && job->video_status == "ready";
    const bool all =
        missing.empty() && !present.empty() && job->video_status == "ready" && completed;
    send_json(res, 200,
              Json{{"job_id", job->job_id},
                   {"video_id", job->video_id},
                   {"video_slug", job->slug},
                   {"video_status", job->video_status},
                   {"job_completed", job->completed_at.has_value()},
                   {"all_files_present", all},
                   {"qualities_present", present},
                   {"missing_files", missing}});
    done(200);
}

} // namespace vtc::host::test
