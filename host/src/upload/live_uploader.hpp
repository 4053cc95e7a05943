// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file live_uploader.hpp
/// @brief Streaming mode's overlap of upload and encode: CMAF files go to the segment
///        endpoint (§2.11) while the engine is still producing the rest, as VLog's own
///        streaming mode intends (§5.19), instead of all at once after the transcode.
#pragma once

#include "upload/uploader.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

namespace vtc::host {

/// One background thread that sends the files offered to it, in the order offered.
///
/// Best effort by design: a file that cannot be sent here (after the API client's own
/// retries) is logged and left for the final pass, Uploader::upload_streaming(), which
/// skips every file already sent and sends the rest, then finalizes. So nothing is lost
/// and nothing is sent twice. The one error that stops it is a lost job (409/403/404),
/// which it reports through job_lost() so the runner can stop the encode early.
class LiveSegmentUploader {
public:
    /// @param uploader  shared with the final pass; must outlive this object.
    /// @param on_job_lost  called once, from the upload thread, when the server says the
    ///                     job is no longer ours. May be empty.
    LiveSegmentUploader(Uploader &uploader, Logger logger, std::function<void()> on_job_lost);
    /// Same as abort().
    ~LiveSegmentUploader();
    LiveSegmentUploader(const LiveSegmentUploader &) = delete;
    LiveSegmentUploader &operator=(const LiveSegmentUploader &) = delete;

    /// Queues `name` ("{quality}/init.mp4", "{quality}/seg_NNNN.m4s", relative to the
    /// output directory). Thread-safe, never blocks on the network; ignored after
    /// finish() or abort() began.
    void offer(const std::string &quality, const std::filesystem::path &name);

    /// Sends everything offered so far, then stops the thread. Returns early, dropping
    /// the rest, when `cancel` fires or the job is lost.
    void finish(std::stop_token cancel);

    /// Stops at once: the transfer in flight is cancelled and the queue dropped.
    void abort();

    std::size_t files_sent() const;
    std::size_t files_deferred() const; ///< failed here, left for the final pass
    bool job_lost() const;

private:
    struct Item {
        std::string quality;
        std::string name;
    };
    void run(std::stop_token stop);

    Uploader &uploader_;
    Logger logger_;
    std::function<void()> on_job_lost_;
    mutable std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<Item> queue_;
    bool closing_ = false; ///< finish() or abort() began: no more offers
    std::size_t sent_ = 0;
    std::size_t deferred_ = 0;
    bool lost_ = false;
    std::jthread thread_;
};

} // namespace vtc::host
