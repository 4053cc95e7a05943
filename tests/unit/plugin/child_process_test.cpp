// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/child_process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>

using namespace std::chrono_literals;
using vtc::detail::run_child;

TEST_CASE("a child's output and exit status are collected") {
    const auto child = run_child("/bin/sh", {"-c", "printf out; printf err >&2; exit 3"}, 10s);
    REQUIRE(child.started);
    CHECK_FALSE(child.timed_out);
    CHECK(child.exit_code == 3);
    CHECK(child.signal == 0);
    CHECK(child.stdout_text == "out");
    CHECK(child.stderr_text == "err");
}

TEST_CASE("a child killed by a signal reports it") {
    const auto child = run_child("/bin/sh", {"-c", "kill -SEGV $$"}, 10s);
    REQUIRE(child.started);
    CHECK_FALSE(child.timed_out);
    CHECK(child.exit_code == -1);
    CHECK(child.signal == SIGSEGV);
}

TEST_CASE("a child past its deadline is killed, with whatever it started") {
    const auto start = std::chrono::steady_clock::now();
    // The background sleep keeps the pipes open after the shell itself is gone.
    const auto child = run_child("/bin/sh", {"-c", "echo started; sleep 30 & sleep 30"}, 300ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(child.started);
    CHECK(child.timed_out);
    CHECK(child.stdout_text == "started\n");
    CHECK(elapsed < 5s);
}

TEST_CASE("a child that closes its streams but keeps running still meets the deadline") {
    const auto child = run_child("/bin/sh", {"-c", "exec >&- 2>&-; sleep 30"}, 300ms);
    REQUIRE(child.started);
    CHECK(child.timed_out);
}

TEST_CASE("output beyond the limit is dropped, not buffered") {
    const auto child =
        run_child("/bin/sh", {"-c", "head -c 100000 /dev/zero | tr '\\0' x"}, 10s, 1000);
    REQUIRE(child.started);
    CHECK(child.exit_code == 0);
    CHECK(child.stdout_text.size() == 1000);
}

TEST_CASE("a missing executable is reported, not thrown") {
    const auto child = run_child("/nonexistent/vtc-probe", {}, 1s);
    CHECK_FALSE(child.started);
    CHECK(child.start_error.find("cannot start /nonexistent/vtc-probe") == 0);
}

TEST_CASE("a child that exits while a grandchild holds its pipes is not a timeout") {
    const auto child = run_child("/bin/sh", {"-c", "sleep 30 & exit 4"}, 300ms);
    REQUIRE(child.started);
    CHECK_FALSE(child.timed_out);
    CHECK(child.exit_code == 4);
}
