// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file redis.hpp
/// @brief Redis with hiredis: a connection wrapper, and the Streams consumer of protocol
///        §7.1 (group, consumer = the registered worker id, XACK, XPENDING/XCLAIM recovery).
///        A stream message is only a hint: the HTTP claim `?job_id=` decides.
#pragma once

#include "config/config.hpp"

#include <vtranscode/log.hpp>
#include <vtranscode/result.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

struct redisContext;

namespace vtc::host {

/// A reply, copied out of hiredis.
struct RedisValue {
    enum class Type { nil, string, integer, array, status, error };
    Type type = Type::nil;
    std::string str;
    long long integer = 0;
    std::vector<RedisValue> elements;
};

/// One blocking connection. Not thread-safe: one thread uses it.
class RedisConnection {
public:
    ~RedisConnection();
    RedisConnection(const RedisConnection &) = delete;
    RedisConnection &operator=(const RedisConnection &) = delete;

    /// Connects, authenticates and selects the database.
    /// @return the connection, or Errc::network with hiredis' reason (never the password).
    static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint &endpoint,
                                                         std::chrono::milliseconds connect_timeout,
                                                         std::chrono::milliseconds socket_timeout);

    /// Runs one command. A Redis error reply is returned as a value of Type::error; an I/O
    /// failure is an Errc::network error after which the connection is unusable.
    Result<RedisValue> command(const std::vector<std::string> &args);

    /// Sends a command without waiting (SUBSCRIBE).
    Result<void> send(const std::vector<std::string> &args);

    /// Waits up to `timeout` for a reply (pub/sub). nullopt on timeout.
    Result<std::optional<RedisValue>> read(std::chrono::milliseconds timeout);

private:
    explicit RedisConnection(redisContext *context) : context_(context) {}
    redisContext *context_;
};

/// A job hint read from a stream.
struct StreamMessage {
    std::string stream;
    std::string id;
    std::int64_t job_id = 0;
    std::map<std::string, std::string> fields;
};

/// The consumer side of the job streams. Used from the dispatcher thread only.
class RedisQueue {
public:
    RedisQueue(const RedisSettings &settings, std::string consumer, Logger logger);

    /// The next hint: a stale message reclaimed from a dead consumer, a message already
    /// delivered to us, or one read with XREADGROUP (blocking up to the block time) from
    /// the high, normal and low streams, in that priority. nullopt when nothing came or
    /// Redis is unavailable (then available() is false and the caller polls HTTP).
    std::optional<StreamMessage> next();

    /// XACK; failures are logged (the message is then recovered later and re-checked).
    void ack(const StreamMessage &message);

    bool available() const { return connection_ != nullptr; }
    const std::vector<std::string> &streams() const { return streams_; }

private:
    bool ensure_ready();
    void recover_stale();
    void take_entries(const std::string &stream, const RedisValue &entries);
    void disconnect(const std::string &why);

    RedisSettings settings_;
    std::string consumer_;
    Logger logger_;
    std::vector<std::string> streams_;
    std::unique_ptr<RedisConnection> connection_;
    std::deque<StreamMessage> pending_;
    std::chrono::steady_clock::time_point retry_at_{};
    std::chrono::steady_clock::time_point last_recovery_{};
    int failures_ = 0;
    bool outage_logged_ = false;
    std::mt19937_64 rng_{std::random_device{}()};
};

} // namespace vtc::host
