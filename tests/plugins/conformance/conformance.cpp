// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The runner: every group of checks runs in a forked child that reports over a
// pipe, one line per event (see Channel). The parent never loads the plugin,
// so a plugin that crashes, aborts or hangs costs one FAIL line naming the
// check it was in, and the run continues with the next group.
#include "conformance.hpp"

#include "checks.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace vtc::conformance {
namespace {

struct EncoderEntry {
    uint32_t index = 0;
    std::string id;
    std::string state; // "usable", "no-device", "unsupported", "broken"
};

std::vector<std::string> split_tabs(const std::string &line) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, '\t')) {
        fields.push_back(field);
    }
    if (!line.empty() && line.back() == '\t') {
        fields.emplace_back();
    }
    return fields;
}

Verdict parse_verdict(const std::string &text) {
    return text == "PASS" ? Verdict::pass : text == "SKIP" ? Verdict::skip : Verdict::fail;
}

class Runner {
public:
    Runner(const Options &options, const std::function<void(const CheckResult &)> &on_result)
        : options_(options), on_result_(on_result) {}

    // Runs @p body in a child; collects its results into the summary.
    template <class Body>
    void group(const std::string &group_name, Body &&body) {
        int fds[2];
        if (pipe(fds) != 0) {
            add({group_name, Verdict::fail, "pipe() failed: " + std::string(std::strerror(errno))});
            return;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        const pid_t pid = fork();
        if (pid < 0) {
            close(fds[0]);
            close(fds[1]);
            add({group_name, Verdict::fail, "fork() failed: " + std::string(std::strerror(errno))});
            return;
        }
        if (pid == 0) {
            close(fds[0]);
            // A crash or the alarm must end this child with the signal itself,
            // whatever handlers the embedding process (a test framework, a
            // sanitizer) installed, so the parent can name it.
            for (const int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM}) {
                std::signal(sig, SIG_DFL);
            }
            alarm(options_.group_timeout_s);
            std::FILE *out = fdopen(fds[1], "w");
            if (out != nullptr) {
                Channel channel(out);
                body(channel);
                std::fflush(out);
            }
            // No exit handlers or static destructors: the plugin's threads may
            // still be around and are none of this report's business.
            _exit(0);
        }
        close(fds[1]);
        std::string pending; // a check that began and has not reported yet
        if (std::FILE *in = fdopen(fds[0], "r"); in != nullptr) {
            char *line = nullptr;
            size_t capacity = 0;
            ssize_t length;
            while ((length = getline(&line, &capacity, in)) > 0) {
                std::string text(line, static_cast<size_t>(length));
                if (!text.empty() && text.back() == '\n') {
                    text.pop_back();
                }
                handle(split_tabs(text), pending);
            }
            std::free(line);
            std::fclose(in);
        } else {
            close(fds[0]);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        std::string died;
        if (WIFSIGNALED(status)) {
            const int sig = WTERMSIG(status);
            died = sig == SIGALRM
                       ? "hung: no result within " + std::to_string(options_.group_timeout_s) + " s"
                       : "crashed with signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            died = "exited with status " + std::to_string(WEXITSTATUS(status));
        }
        if (!died.empty()) {
            add({pending.empty() ? group_name : pending, Verdict::fail,
                 died + "; the rest of the " + group_name + " checks did not run"});
        } else if (!pending.empty()) {
            add({pending, Verdict::fail, "began but reported no result"});
        }
    }

    Summary &summary() { return summary_; }
    const std::vector<EncoderEntry> &encoders() const { return encoders_; }

private:
    void add(CheckResult result) {
        if (on_result_) {
            on_result_(result);
        }
        summary_.results.push_back(std::move(result));
    }

    void handle(const std::vector<std::string> &fields, std::string &pending) {
        if (fields.size() >= 2 && fields[0] == "BEGIN") {
            pending = fields[1];
        } else if (fields.size() >= 3 && fields[0] == "RESULT") {
            add({fields[2], parse_verdict(fields[1]), fields.size() > 3 ? fields[3] : ""});
            pending.clear();
        } else if (fields.size() >= 4 && fields[0] == "ENCODER") {
            encoders_.push_back(
                {static_cast<uint32_t>(std::strtoul(fields[1].c_str(), nullptr, 10)), fields[2],
                 fields[3]});
        }
    }

    const Options &options_;
    const std::function<void(const CheckResult &)> &on_result_;
    Summary summary_;
    std::vector<EncoderEntry> encoders_;
};

} // namespace

std::string format(const CheckResult &result) {
    switch (result.verdict) {
    case Verdict::pass:
        return "PASS " + result.name;
    case Verdict::skip:
        return "SKIP " + result.name + ": " + result.reason;
    case Verdict::fail:
        break;
    }
    return "FAIL " + result.name + ": " + result.reason;
}

bool Summary::any_failed() const {
    for (const CheckResult &result : results) {
        if (result.verdict == Verdict::fail) {
            return true;
        }
    }
    return false;
}

int Summary::exit_code() const {
    if (any_failed()) {
        return 1;
    }
    return no_usable_encoder ? 77 : 0;
}

Summary run(const Options &options, const std::function<void(const CheckResult &)> &on_result) {
    Runner runner(options, on_result);
    runner.group("plugin", [&](Channel &channel) { run_plugin_group(options, channel); });
    bool any_usable = false;
    for (const EncoderEntry &encoder : runner.encoders()) {
        if (encoder.state != "usable") {
            continue;
        }
        any_usable = true;
        const uint32_t index = encoder.index;
        runner.group(encoder.id + " contract",
                     [&](Channel &channel) { run_contract_group(options, index, channel); });
        runner.group(encoder.id + " 8-bit encode",
                     [&](Channel &channel) { run_encode_group(options, index, 8, channel); });
        runner.group(encoder.id + " 10-bit encode",
                     [&](Channel &channel) { run_encode_group(options, index, 10, channel); });
        runner.group(encoder.id + " quiet",
                     [&](Channel &channel) { run_quiet_group(options, index, channel); });
    }
    Summary &summary = runner.summary();
    summary.no_usable_encoder = !runner.encoders().empty() && !any_usable;
    return std::move(summary);
}

} // namespace vtc::conformance
