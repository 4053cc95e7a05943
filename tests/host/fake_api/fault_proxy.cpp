// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace vtc::host::test {

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
        throw std::runtime_error("fault proxy: cannot bind");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        threads.swap(threads_);
    }
    for (std::thread &t : threads) {
        t.join();
    }
}

std::string FaultProxy::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

void FaultProxy::cut_request_after(const std::string &marker, std::uint64_t after_bytes,
                                   int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    rules_.push_back(Rule{marker, after_bytes, times});
}

void FaultProxy::accept_loop() {
    while (!stopping_) {
        const int client = ::accept(listen_fd_, nullptr, nullptr);
        if (client < 0) {
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        threads_.emplace_back([this, client] { pump(client); });
    }
}

void FaultProxy::pump(int client) {
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
    if (::connect(upstream, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(upstream);
        ::close(client);
        return;
    }
    // Only the tail of the stream matters for spotting a marker split across reads.
    std::string window;
    bool armed = false;
    std::uint64_t remaining = 0;
    char buf[16384];
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    bool open = true;
    while (open && !stopping_) {
        if (::poll(fds, 2, 200) < 0) {
            break;
        }
        for (int i = 0; i < 2 && open; ++i) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
            if (n <= 0) {
                open = false;
                break;
            }
            std::size_t forward = static_cast<std::size_t>(n);
            if (i == 0) {
                if (!armed) {
                    window.append(buf, static_cast<std::size_t>(n));
                    std::lock_guard<std::mutex> lock(mutex_);
                    for (Rule &r : rules_) {
                        const std::size_t at =
                            r.times > 0 ? window.find(r.marker) : std::string::npos;
                        if (at == std::string::npos) {
                            continue;
                        }
                        --r.times;
                        armed = true;
                        // Bytes of this read that come after the marker count already.
                        const std::size_t marker_end = at + r.marker.size();
                        const std::size_t window_tail = window.size() - marker_end;
                        const std::size_t read_tail = std::min<std::size_t>(window_tail, forward);
                        remaining = r.after_bytes;
                        if (read_tail > remaining) {
                            forward = forward - read_tail + static_cast<std::size_t>(remaining);
                            remaining = 0;
                        } else {
                            remaining -= read_tail;
                        }
                        break;
                    }
                    if (window.size() > 4096) {
                        window.erase(0, window.size() - 4096);
                    }
                } else {
                    if (forward > remaining) {
                        forward = static_cast<std::size_t>(remaining);
                    }
                    remaining -= forward;
                }
            }
            const int target = i == 0 ? upstream : client;
            std::size_t sent = 0;
            while (sent < forward) {
                const ssize_t m = ::send(target, buf + sent, forward - sent, MSG_NOSIGNAL);
                if (m <= 0) {
                    open = false;
                    break;
                }
                sent += static_cast<std::size_t>(m);
            }
            if (i == 0 && armed && remaining == 0) {
                ++cuts_;
                open = false; // the cut: both sides see the connection drop
            }
        }
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(upstream, SHUT_RDWR);
    ::close(client);
    ::close(upstream);
}

} // namespace vtc::host::test
