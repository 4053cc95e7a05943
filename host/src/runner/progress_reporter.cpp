// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "runner/progress_reporter.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vtc::host {

using Clock = std::chrono::steady_clock;

ProgressReporter::ProgressReporter(ApiClient &api, std::int64_t job_id, Options options,
                                   Logger logger, std::function<void(const Error &)> on_lost)
    : api_(api), job_id_(job_id), options_(options), logger_(std::move(logger)),
      on_lost_(std::move(on_lost)) {
    state_.current_step = "download";
    last_attempt_ = Clock::now();
    thread_ = std::thread([this] { loop(); });
}

ProgressReporter::~ProgressReporter() {
    stop();
}

void ProgressReporter::update(const std::string &step, int percent) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int clamped = std::clamp(percent, 0, 100);
    // Never backwards within a job: the Python worker's 90 → 15 jumps confuse the UI.
    const int next = std::max(state_.progress_percent, clamped);
    if (step != state_.current_step || next != state_.progress_percent) {
        state_.current_step = step;
        state_.progress_percent = next;
        ++version_;
        cv_.notify_all();
    }
}

void ProgressReporter::set_qualities(std::vector<QualityProgress> qualities) {
    std::lock_guard<std::mutex> lock(mutex_);
    bool changed = qualities.size() != state_.qualities.size();
    for (std::size_t i = 0; !changed && i < qualities.size(); ++i) {
        changed = qualities[i].name != state_.qualities[i].name ||
                  qualities[i].status != state_.qualities[i].status ||
                  qualities[i].progress != state_.qualities[i].progress;
    }
    if (changed) {
        state_.qualities = std::move(qualities);
        ++version_;
        cv_.notify_all();
    }
}

void ProgressReporter::set_source_info(double duration_seconds, int width, int height) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (duration_seconds > 0) {
        state_.duration = duration_seconds;
    }
    if (width > 0) {
        state_.source_width = width;
    }
    if (height > 0) {
        state_.source_height = height;
    }
    ++version_;
    cv_.notify_all();
}

Result<void> ProgressReporter::post_locked_snapshot(std::unique_lock<std::mutex> &lock) {
    const ProgressUpdate snapshot = state_;
    const std::uint64_t version = version_;
    last_attempt_ = Clock::now();
    lock.unlock();
    Result<std::optional<SystemTime>> result =
        api_.progress(job_id_, snapshot, cancel_.get_token());
    lock.lock();
    if (result) {
        ++posts_;
        last_success_ = Clock::now();
        sent_version_ = std::max(sent_version_, version);
        if (*result) {
            claim_expires_at_ = **result;
        }
        return ok();
    }
    return Unexpected(std::move(result).error());
}

Result<void> ProgressReporter::send_now() {
    std::lock_guard<std::mutex> send(send_mutex_);
    std::unique_lock<std::mutex> lock(mutex_);
    if (lost_) {
        return fail(Errc::invalid_state, "api", "", "job lost");
    }
    if (stopped_) {
        return fail(Errc::cancelled, "progress", "", "reporter stopped");
    }
    Result<void> r = post_locked_snapshot(lock);
    if (!r && is_job_lost(r.error()) && !lost_) {
        lost_ = true;
        stopped_ = true;
        cv_.notify_all();
        lock.unlock();
        if (on_lost_) {
            on_lost_(r.error());
        }
    }
    return r;
}

void ProgressReporter::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopped_) {
        const auto now = Clock::now();
        const bool changed = version_ != sent_version_;
        const auto since = now - last_attempt_;
        const bool due =
            (changed && since >= options_.min_spacing) || since >= options_.renew_interval;
        if (!due) {
            const auto wait =
                changed ? options_.min_spacing - since : options_.renew_interval - since;
            cv_.wait_for(lock, std::max<Clock::duration>(wait, std::chrono::milliseconds(10)));
            continue;
        }
        lock.unlock();
        std::unique_lock<std::mutex> send(send_mutex_);
        lock.lock();
        if (stopped_) {
            break;
        }
        Result<void> r = post_locked_snapshot(lock);
        send.unlock();
        if (!r) {
            if (is_job_lost(r.error())) {
                lost_ = true;
                stopped_ = true;
                lock.unlock();
                logger_.log(LogLevel::warning, "progress", r.error().message);
                if (on_lost_) {
                    on_lost_(r.error());
                }
                return;
            }
            if (r.error().code == Errc::cancelled) {
                break;
            }
            // The API layer already retried; the next tick tries again. The lease is 30
            // minutes, so a few missed posts are harmless.
            logger_.log(LogLevel::warning, "progress",
                        fmt::format("progress not delivered: {}", r.error().message));
        }
    }
}

void ProgressReporter::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopped_ = true;
        cv_.notify_all();
    }
    cancel_.request_stop();
    if (thread_.joinable()) {
        thread_.join();
    }
    // Wait for a send_now() in flight on another thread.
    std::lock_guard<std::mutex> send(send_mutex_);
}

bool ProgressReporter::lost() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lost_;
}

std::optional<std::chrono::steady_clock::time_point> ProgressReporter::last_success() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_success_;
}

std::optional<SystemTime> ProgressReporter::claim_expires_at() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return claim_expires_at_;
}

int ProgressReporter::posts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return posts_;
}

} // namespace vtc::host
