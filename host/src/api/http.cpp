// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "api/http.hpp"

#include <curl/curl.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <mutex>

namespace vtc::host {

namespace {

std::once_flag global_init_once;

struct Transfer {
    const HttpRequest *request = nullptr;
    CURL *handle = nullptr;
    HttpResponse response;
    std::FILE *out = nullptr;
    bool too_large = false;
    bool io_error = false;
    std::string io_message;
    curl_off_t last_down = 0;
    curl_off_t last_up = 0;
};

std::string lower(std::string text) {
    for (char &c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
    auto *t = static_cast<Transfer *>(user);
    const size_t n = size * count;
    std::string line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.pop_back();
    }
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line (after 100 Continue, for instance) starts a fresh header set.
        t->response.headers.clear();
        return n;
    }
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        const size_t first = value.find_first_not_of(" \t");
        value = first == std::string::npos ? std::string() : value.substr(first);
        t->response.headers[lower(line.substr(0, colon))] = value;
    }
    return n;
}

size_t on_body(char *data, size_t size, size_t count, void *user) {
    auto *t = static_cast<Transfer *>(user);
    const size_t n = size * count;
    long status = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
    if (t->request->download_to && status >= 200 && status < 300) {
        if (t->out == nullptr) {
            const bool append = t->request->resume && status == 206;
            t->out = std::fopen(t->request->download_to->c_str(), append ? "ab" : "wb");
            if (t->out == nullptr) {
                t->io_error = true;
                t->io_message = "cannot open '" + t->request->download_to->string() + "'";
                return 0;
            }
        }
        if (std::fwrite(data, 1, n, t->out) != n) {
            t->io_error = true;
            t->io_message = "cannot write '" + t->request->download_to->string() + "'";
            return 0;
        }
        t->response.bytes_to_file += n;
        return n;
    }
    if (t->response.body.size() + n > t->request->max_body_bytes) {
        t->too_large = true;
        return 0;
    }
    t->response.body.append(data, n);
    return n;
}

int on_progress(void *user, curl_off_t, curl_off_t down_now, curl_off_t, curl_off_t up_now) {
    auto *t = static_cast<Transfer *>(user);
    if (t->request->cancel.stop_requested()) {
        return 1;
    }
    if (t->request->on_bytes) {
        const curl_off_t delta = (down_now - t->last_down) + (up_now - t->last_up);
        if (delta > 0) {
            t->request->on_bytes(static_cast<std::uint64_t>(delta));
        }
    }
    t->last_down = down_now;
    t->last_up = up_now;
    return 0;
}

size_t read_file(char *buffer, size_t size, size_t count, void *user) {
    return std::fread(buffer, 1, size * count, static_cast<std::FILE *>(user));
}

} // namespace

struct HttpClient::Shared {
    CURLSH *share = nullptr;
    std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

    static void lock(CURL *, curl_lock_data data, curl_lock_access, void *user) {
        static_cast<Shared *>(user)->locks[static_cast<size_t>(data)].lock();
    }
    static void unlock(CURL *, curl_lock_data data, void *user) {
        static_cast<Shared *>(user)->locks[static_cast<size_t>(data)].unlock();
    }
};

HttpClient::HttpClient() : shared_(std::make_unique<Shared>()) {
    std::call_once(global_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    shared_->share = curl_share_init();
    curl_share_setopt(shared_->share, CURLSHOPT_LOCKFUNC, &Shared::lock);
    curl_share_setopt(shared_->share, CURLSHOPT_UNLOCKFUNC, &Shared::unlock);
    curl_share_setopt(shared_->share, CURLSHOPT_USERDATA, shared_.get());
    curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
}

HttpClient::~HttpClient() {
    if (shared_ && shared_->share != nullptr) {
        curl_share_cleanup(shared_->share);
    }
}

Result<HttpResponse> HttpClient::perform(const HttpRequest &request) const {
    if (request.cancel.stop_requested()) {
        return fail(Errc::cancelled, "http", "", "cancelled before the request started");
    }
    CURL *h = curl_easy_init();
    if (h == nullptr) {
        return fail(Errc::no_memory, "http", "", "curl_easy_init failed");
    }
    Transfer t;
    t.request = &request;
    t.handle = h;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist *headers = nullptr;
    curl_mime *mime = nullptr;
    std::FILE *body_in = nullptr;

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    // Never follow redirects: the API key header would travel to wherever they point.
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SHARE, shared_->share);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout.count()));
    if (request.total_timeout.count() > 0) {
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
    }
    if (request.stall_timeout.count() > 0) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                         static_cast<long>(request.stall_timeout.count()));
    }
    if (!request.ca_file.empty()) {
        curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);

    for (const auto &[name, value] : request.headers) {
        headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    // Starlette never answers 100-continue; waiting for it only adds a second of latency.
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

    auto cleanup = [&] {
        if (t.out != nullptr) {
            std::fclose(t.out);
            t.out = nullptr;
        }
        if (body_in != nullptr) {
            std::fclose(body_in);
        }
        if (mime != nullptr) {
            curl_mime_free(mime);
        }
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
    };

    if (request.method == "GET") {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        if (request.multipart) {
            const MultipartFile &mp = *request.multipart;
            mime = curl_mime_init(h);
            curl_mimepart *part = curl_mime_addpart(mime);
            curl_mime_name(part, mp.field.c_str());
            if (curl_mime_filedata(part, mp.path.c_str()) != CURLE_OK) {
                cleanup();
                return fail(Errc::io, "http", mp.path.string(), "cannot read the upload file");
            }
            curl_mime_filename(part, mp.filename.c_str());
            curl_mime_type(part, mp.content_type.c_str());
            curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
        } else if (request.body_file) {
            body_in = std::fopen(request.body_file->c_str(), "rb");
            std::error_code ec;
            const auto size = std::filesystem::file_size(*request.body_file, ec);
            if (body_in == nullptr || ec) {
                cleanup();
                return fail(Errc::io, "http", request.body_file->string(),
                            "cannot read the upload file");
            }
            curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_file);
            curl_easy_setopt(h, CURLOPT_READDATA, body_in);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
        } else {
            const std::string &body = request.body ? *request.body : std::string();
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
            curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body.c_str());
        }
        if (request.method != "POST") {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
    }

    const CURLcode code = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    t.response.status = status;
    const bool flush_failed = t.out != nullptr && std::fflush(t.out) != 0;
    std::string detail = errbuf[0] != 0 ? std::string(errbuf) : curl_easy_strerror(code);
    cleanup();

    if (code == CURLE_OK && !flush_failed) {
        return std::move(t.response);
    }
    if (flush_failed) {
        return fail(Errc::io, "http", request.download_to->string(), "cannot write the file");
    }
    if (code == CURLE_ABORTED_BY_CALLBACK && request.cancel.stop_requested()) {
        return fail(Errc::cancelled, "http", "", "cancelled");
    }
    if (t.too_large) {
        return fail(Errc::protocol, "http", "",
                    "reply body exceeds " + std::to_string(request.max_body_bytes) + " bytes");
    }
    if (t.io_error) {
        return fail(Errc::io, "http", "", t.io_message);
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
        return fail(Errc::timeout, "http", "", detail);
    }
    return fail(Errc::network, "http", "", detail);
}

} // namespace vtc::host
