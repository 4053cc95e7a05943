// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file http.hpp
/// @brief One HTTP exchange over libcurl, with no retries (those live in ApiClient).
#pragma once

#include <vtranscode/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace vtc::host {

/// A file sent as one multipart/form-data part.
struct MultipartFile {
    std::string field;        ///< form field name ("file")
    std::string filename;     ///< filename in Content-Disposition
    std::string content_type; ///< part Content-Type
    std::filesystem::path path;
};

struct HttpRequest {
    std::string method = "GET"; ///< GET or POST
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;

    // Request body: at most one of these.
    std::optional<std::string> body;                ///< in-memory body (JSON)
    std::optional<std::filesystem::path> body_file; ///< raw body streamed from a file
    std::optional<MultipartFile> multipart;

    // Response body: in memory (bounded) unless download_to is set.
    std::size_t max_body_bytes = 1u << 20;
    std::optional<std::filesystem::path> download_to; ///< written here on a 2xx reply
    /// With download_to: a 206 reply appends to the file; any other 2xx truncates it
    /// (a server that ignores Range sends the whole file again).
    bool resume = false;

    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds total_timeout{0}; ///< 0: none
    /// Abort when fewer than 1 byte/s moved for this long (0: off); protects long transfers
    /// that cannot have a meaningful total timeout.
    std::chrono::seconds stall_timeout{0};

    std::string ca_file;    ///< empty: system store
    std::stop_token cancel; ///< aborts the transfer when fired
    /// Called with the byte count each time data moves (download or upload), from the
    /// calling thread.
    std::function<void(std::uint64_t delta_bytes)> on_bytes;
};

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers; ///< names in lower case; last value wins
    std::string body;                           ///< empty when download_to was used for a 2xx
    std::uint64_t bytes_to_file = 0;            ///< body bytes written to download_to

    std::string header(const std::string &lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// Performs requests. Thread-safe: one instance is shared by every thread; connections,
/// DNS and TLS sessions are reused through a libcurl share handle.
class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    /// Runs one exchange.
    /// @return the response (any status), or an Error:
    ///   Errc::cancelled — `cancel` fired;
    ///   Errc::timeout — connect or total timeout, or the stall timeout;
    ///   Errc::network — refused, reset, DNS, TLS or a transfer cut short (curl's reason);
    ///   Errc::protocol — the reply body exceeded max_body_bytes;
    ///   Errc::io — a local file could not be read or written.
    /// Error messages never contain request headers (the API key).
    Result<HttpResponse> perform(const HttpRequest &request) const;

private:
    struct Shared;
    std::unique_ptr<Shared> shared_;
};

} // namespace vtc::host
