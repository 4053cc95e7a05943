// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dispatch/redis.hpp"

#include "api/backoff.hpp"
#include "util/json.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <charconv>

namespace vtc::host {

namespace {

using std::chrono::milliseconds;

timeval to_timeval(milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

RedisValue copy_reply(const redisReply *r) {
    RedisValue v;
    if (r == nullptr) {
        return v;
    }
    switch (r->type) {
    case REDIS_REPLY_STRING:
        v.type = RedisValue::Type::string;
        v.str.assign(r->str, r->len);
        break;
    case REDIS_REPLY_STATUS:
        v.type = RedisValue::Type::status;
        v.str.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ERROR:
        v.type = RedisValue::Type::error;
        v.str.assign(r->str, r->len);
        break;
    case REDIS_REPLY_INTEGER:
        v.type = RedisValue::Type::integer;
        v.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        v.type = RedisValue::Type::array;
        for (size_t i = 0; i < r->elements; ++i) {
            v.elements.push_back(copy_reply(r->element[i]));
        }
        break;
    default:
        v.type = RedisValue::Type::nil;
    }
    return v;
}

std::vector<const char *> argv_of(const std::vector<std::string> &args, std::vector<size_t> &lens) {
    std::vector<const char *> argv;
    for (const std::string &a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return argv;
}

} // namespace

RedisConnection::~RedisConnection() {
    if (context_ != nullptr) {
        redisFree(context_);
    }
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint &endpoint,
                                                               milliseconds connect_timeout,
                                                               milliseconds socket_timeout) {
    redisContext *c =
        redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(connect_timeout));
    if (c == nullptr) {
        return fail(Errc::no_memory, "redis", "", "cannot allocate a connection");
    }
    if (c->err != 0) {
        std::string why = c->errstr;
        redisFree(c);
        return fail(Errc::network, "redis", "",
                    fmt::format("cannot connect to {}: {}", endpoint.display(), why));
    }
    redisSetTimeout(c, to_timeval(socket_timeout));
    std::unique_ptr<RedisConnection> conn(new RedisConnection(c));
    if (!endpoint.password.empty()) {
        std::vector<std::string> auth = {"AUTH"};
        if (!endpoint.username.empty()) {
            auth.push_back(endpoint.username);
        }
        auth.push_back(endpoint.password);
        Result<RedisValue> r = conn->command(auth);
        if (!r) {
            return Unexpected(std::move(r).error());
        }
        if (r->type == RedisValue::Type::error) {
            return fail(Errc::network, "redis", "",
                        "authentication refused by " + endpoint.display() + ": " +
                            printable(r->str, 100));
        }
    }
    if (endpoint.db != 0) {
        Result<RedisValue> r = conn->command({"SELECT", std::to_string(endpoint.db)});
        if (!r || r->type == RedisValue::Type::error) {
            return fail(Errc::network, "redis", "",
                        "cannot select database " + std::to_string(endpoint.db));
        }
    }
    return conn;
}

Result<RedisValue> RedisConnection::command(const std::vector<std::string> &args) {
    std::vector<size_t> lens;
    std::vector<const char *> argv = argv_of(args, lens);
    auto *reply = static_cast<redisReply *>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (reply == nullptr) {
        return fail(Errc::network, "redis", "",
                    std::string("connection failed: ") +
                        (context_->err ? context_->errstr : "no reply"));
    }
    RedisValue v = copy_reply(reply);
    freeReplyObject(reply);
    return v;
}

Result<void> RedisConnection::send(const std::vector<std::string> &args) {
    std::vector<size_t> lens;
    std::vector<const char *> argv = argv_of(args, lens);
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
        return fail(Errc::network, "redis", "", "cannot queue a command");
    }
    int done = 0;
    while (!done) {
        if (redisBufferWrite(context_, &done) != REDIS_OK) {
            return fail(Errc::network, "redis", "",
                        std::string("write failed: ") + context_->errstr);
        }
    }
    return ok();
}

Result<std::optional<RedisValue>> RedisConnection::read(milliseconds timeout) {
    void *raw = nullptr;
    // A reply may already sit in the reader's buffer.
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
        return fail(Errc::network, "redis", "", "protocol error");
    }
    if (raw == nullptr) {
        pollfd p{context_->fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (n == 0) {
            return std::optional<RedisValue>{};
        }
        if (n < 0 || redisBufferRead(context_) != REDIS_OK ||
            redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
            return fail(Errc::network, "redis", "",
                        std::string("read failed: ") + (context_->err ? context_->errstr : "poll"));
        }
        if (raw == nullptr) {
            return std::optional<RedisValue>{}; // a partial reply; the rest comes next time
        }
    }
    auto *reply = static_cast<redisReply *>(raw);
    RedisValue v = copy_reply(reply);
    freeReplyObject(reply);
    return std::optional<RedisValue>{std::move(v)};
}

RedisQueue::RedisQueue(const RedisSettings &settings, std::string consumer, Logger logger)
    : settings_(settings), consumer_(std::move(consumer)), logger_(std::move(logger)) {
    for (const char *priority : {"high", "normal", "low"}) {
        streams_.push_back(settings_.prefix + ":jobs:" + priority);
    }
}

void RedisQueue::disconnect(const std::string &why) {
    connection_.reset();
    ++failures_;
    RetryPolicy p;
    p.base_delay = milliseconds(1000);
    p.max_delay = milliseconds(30000);
    p.jitter = 0.2;
    const milliseconds delay = backoff_delay(p, failures_, rng_);
    retry_at_ = std::chrono::steady_clock::now() + delay;
    if (!outage_logged_) {
        outage_logged_ = true;
        logger_.log(LogLevel::warning, "redis",
                    fmt::format("{}; polling the API until Redis is back (retry in {} ms)", why,
                                delay.count()));
    }
}

bool RedisQueue::ensure_ready() {
    if (connection_) {
        return true;
    }
    if (std::chrono::steady_clock::now() < retry_at_) {
        return false;
    }
    // The socket timeout must exceed the XREADGROUP block time, or every empty read would
    // look like a dead connection (protocol §12.30).
    const milliseconds socket_timeout =
        std::max(settings_.socket_timeout, settings_.block + milliseconds(5000));
    Result<std::unique_ptr<RedisConnection>> conn =
        RedisConnection::open(settings_.endpoint, settings_.connect_timeout, socket_timeout);
    if (!conn) {
        disconnect(conn.error().message);
        return false;
    }
    connection_ = std::move(*conn);
    for (const std::string &stream : streams_) {
        Result<RedisValue> r = connection_->command(
            {"XGROUP", "CREATE", stream, settings_.consumer_group, "0", "MKSTREAM"});
        if (!r) {
            disconnect(r.error().message);
            return false;
        }
        if (r->type == RedisValue::Type::error && r->str.rfind("BUSYGROUP", 0) != 0) {
            disconnect("XGROUP CREATE " + stream + ": " + printable(r->str, 120));
            return false;
        }
    }
    if (failures_ > 0 || outage_logged_) {
        logger_.log(LogLevel::info, "redis", "Redis streams available again");
    } else {
        logger_.log(LogLevel::info, "redis",
                    fmt::format("consuming {}:jobs:{{high,normal,low}} as '{}' in group '{}'",
                                settings_.prefix, consumer_, settings_.consumer_group));
    }
    failures_ = 0;
    outage_logged_ = false;
    return true;
}

void RedisQueue::take_entries(const std::string &stream, const RedisValue &entries) {
    for (const RedisValue &entry : entries.elements) {
        // [id, [field, value, ...]]; XCLAIM gives nil for entries deleted meanwhile.
        if (entry.type != RedisValue::Type::array || entry.elements.size() != 2) {
            continue;
        }
        StreamMessage m;
        m.stream = stream;
        m.id = entry.elements[0].str;
        const RedisValue &fields = entry.elements[1];
        for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
            m.fields[fields.elements[i].str] = fields.elements[i + 1].str;
        }
        const std::string job = m.fields.count("job_id") ? m.fields["job_id"] : "";
        auto [ptr, ec] = std::from_chars(job.data(), job.data() + job.size(), m.job_id);
        if (job.empty() || ec != std::errc() || ptr != job.data() + job.size() || m.job_id <= 0) {
            logger_.log(LogLevel::warning, "redis",
                        "dropping stream message " + m.id + " without a valid job_id");
            ack(m);
            continue;
        }
        pending_.push_back(std::move(m));
    }
}

void RedisQueue::recover_stale() {
    last_recovery_ = std::chrono::steady_clock::now();
    for (const std::string &stream : streams_) {
        Result<RedisValue> pending =
            connection_->command({"XPENDING", stream, settings_.consumer_group, "-", "+", "10"});
        if (!pending) {
            disconnect(pending.error().message);
            return;
        }
        for (const RedisValue &entry : pending->elements) {
            // [id, consumer, idle ms, deliveries]
            if (entry.elements.size() < 4 ||
                entry.elements[2].integer < settings_.pending_timeout.count()) {
                continue;
            }
            Result<RedisValue> claimed = connection_->command(
                {"XCLAIM", stream, settings_.consumer_group, consumer_,
                 std::to_string(settings_.pending_timeout.count()), entry.elements[0].str});
            if (!claimed) {
                disconnect(claimed.error().message);
                return;
            }
            if (claimed->type == RedisValue::Type::array && !claimed->elements.empty()) {
                logger_.log(LogLevel::info, "redis",
                            fmt::format("reclaimed stale message {} from consumer '{}'",
                                        entry.elements[0].str,
                                        printable(entry.elements[1].str, 64)));
                take_entries(stream, *claimed);
            }
        }
    }
}

std::optional<StreamMessage> RedisQueue::next() {
    if (!pending_.empty()) {
        StreamMessage m = std::move(pending_.front());
        pending_.pop_front();
        return m;
    }
    if (!ensure_ready()) {
        return std::nullopt;
    }
    if (std::chrono::steady_clock::now() - last_recovery_ >= std::chrono::seconds(30)) {
        recover_stale();
        if (!connection_) {
            return std::nullopt;
        }
        if (!pending_.empty()) {
            return next();
        }
    }
    std::vector<std::string> args = {"XREADGROUP",
                                     "GROUP",
                                     settings_.consumer_group,
                                     consumer_,
                                     "COUNT",
                                     "1",
                                     "BLOCK",
                                     std::to_string(settings_.block.count()),
                                     "STREAMS"};
    args.insert(args.end(), streams_.begin(), streams_.end());
    args.insert(args.end(), streams_.size(), ">");
    Result<RedisValue> reply = connection_->command(args);
    if (!reply) {
        disconnect(reply.error().message);
        return std::nullopt;
    }
    if (reply->type == RedisValue::Type::error) {
        // NOGROUP after a FLUSHALL, for instance: reconnecting recreates the groups.
        disconnect("XREADGROUP: " + printable(reply->str, 120));
        return std::nullopt;
    }
    // [[stream, [[id, fields], ...]], ...]: several streams may answer at once; the local
    // queue keeps the extras (already ours) in priority order.
    for (const std::string &stream : streams_) {
        for (const RedisValue &s : reply->elements) {
            if (s.elements.size() == 2 && s.elements[0].str == stream) {
                take_entries(stream, s.elements[1]);
            }
        }
    }
    if (pending_.empty()) {
        return std::nullopt;
    }
    StreamMessage m = std::move(pending_.front());
    pending_.pop_front();
    return m;
}

void RedisQueue::ack(const StreamMessage &message) {
    if (!connection_) {
        return;
    }
    Result<RedisValue> r =
        connection_->command({"XACK", message.stream, settings_.consumer_group, message.id});
    if (!r) {
        disconnect(r.error().message);
    }
}

} // namespace vtc::host
