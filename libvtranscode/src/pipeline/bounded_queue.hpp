// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// A fixed-capacity multi-producer/multi-consumer queue between pipeline stages.
// Its capacity is what keeps memory flat whatever the length of the video: a
// fast stage blocks instead of piling up frames.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace vtc::detail {

template <class T>
class BoundedQueue {
public:
    explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    /// Blocks while full. Returns false (and drops @p item) once the queue was
    /// aborted; pushing after close() is a bug and also returns false.
    bool push(T item) {
        std::unique_lock<std::mutex> lock(mutex_);
        not_full_.wait(lock, [&] { return aborted_ || closed_ || items_.size() < capacity_; });
        if (aborted_ || closed_) {
            return false;
        }
        items_.push_back(std::move(item));
        not_empty_.notify_one();
        return true;
    }

    /// Blocks while empty. Returns nullopt when the queue is closed and drained,
    /// or aborted.
    std::optional<T> pop() {
        std::unique_lock<std::mutex> lock(mutex_);
        not_empty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
        if (aborted_ || items_.empty()) {
            return std::nullopt;
        }
        T item = std::move(items_.front());
        items_.pop_front();
        not_full_.notify_one();
        return item;
    }

    /// No more items will come; consumers drain what is left, then get nullopt.
    void close() {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    /// Stops everything at once (error or cancellation): waiting producers and
    /// consumers return immediately and queued items are dropped.
    void abort() {
        std::lock_guard<std::mutex> lock(mutex_);
        aborted_ = true;
        items_.clear();
        not_empty_.notify_all();
        not_full_.notify_all();
    }

private:
    const size_t capacity_;
    std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<T> items_;
    bool closed_ = false;
    bool aborted_ = false;
};

} // namespace vtc::detail
