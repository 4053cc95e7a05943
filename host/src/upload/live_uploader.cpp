// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "upload/live_uploader.hpp"

#include "api/api_client.hpp"

#include <fmt/format.h>

namespace vtc::host {

LiveSegmentUploader::LiveSegmentUploader(Uploader &uploader, Logger logger,
                                         std::function<void()> on_job_lost)
    : uploader_(uploader), logger_(std::move(logger)), on_job_lost_(std::move(on_job_lost)) {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

LiveSegmentUploader::~LiveSegmentUploader() {
    abort();
}

void LiveSegmentUploader::offer(const std::string &quality, const std::filesystem::path &name) {
    {
        std::lock_guard lock(mutex_);
        if (closing_ || lost_) {
            return;
        }
        queue_.push_back({quality, name.generic_string()});
    }
    wake_.notify_one();
}

void LiveSegmentUploader::finish(std::stop_token cancel) {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_one();
    // The upload thread exits once the queue is empty; a cancel turns the drain into an
    // abort (the transfer in flight watches the same stop token).
    std::stop_callback on_cancel(cancel, [this] { thread_.request_stop(); });
    thread_.join();
}

void LiveSegmentUploader::abort() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    if (!thread_.joinable()) {
        return;
    }
    thread_.request_stop();
    wake_.notify_one();
    thread_.join();
}

std::size_t LiveSegmentUploader::files_sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

std::size_t LiveSegmentUploader::files_deferred() const {
    std::lock_guard lock(mutex_);
    return deferred_;
}

bool LiveSegmentUploader::job_lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
}

void LiveSegmentUploader::run(std::stop_token stop) {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, stop, [this] { return !queue_.empty() || closing_; });
            if (stop.stop_requested() || queue_.empty()) {
                queue_.clear();
                return; // stopped, or closing with nothing left
            }
            item = std::move(queue_.front());
            queue_.pop_front();
        }
        Result<void> sent = uploader_.upload_segment_early(item.quality, item.name, stop);
        bool lost_now = false;
        {
            std::lock_guard lock(mutex_);
            if (sent) {
                ++sent_;
            } else if (is_job_lost(sent.error())) {
                lost_ = lost_now = true;
                queue_.clear();
            } else {
                ++deferred_;
            }
        }
        if (lost_now) {
            logger_.log(LogLevel::warning, "upload",
                        "segment upload during the encode: the job is no longer ours: " +
                            sent.error().to_string());
            if (on_job_lost_) {
                on_job_lost_();
            }
            return;
        }
        if (!sent && !stop.stop_requested()) {
            logger_.log(
                LogLevel::warning, "upload",
                fmt::format("{}: not sent during the encode, the final pass will send it: {}",
                            item.name, sent.error().to_string()));
        }
    }
}

} // namespace vtc::host
