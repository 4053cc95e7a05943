// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// vtranscode-worker: wiring only. Parse the subcommand, read the configuration once, build
// the log sink, the engine (or, in test builds only, the test transcoder) and run.
#include "cli/commands.hpp"
#include "config/config.hpp"
#include "runner/engine_transcoder.hpp"
#include "util/logging.hpp"

#include "vtc_host_build.hpp"

#ifdef VTC_WORKER_TEST_BUILD
#include "test_transcoder.hpp"
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

constexpr const char *usage =
    "usage: vtranscode-worker [run]                 run the worker (default)\n"
    "       vtranscode-worker check                 check config, API and encoders; exit 0 when "
    "ready\n"
    "       vtranscode-worker register --name NAME  register a worker (needs "
    "VLOG_WORKER_ADMIN_SECRET)\n"
    "       vtranscode-worker --version | --help\n"
    "Configuration comes from VLOG_* environment variables; see host/README.md.\n";

} // namespace

int main(int argc, char **argv) {
    using namespace vtc::host;
    std::string command = "run";
    std::string name;
    int arg = 1;
    if (arg < argc && argv[arg][0] != '-') {
        command = argv[arg++];
    }
    for (; arg < argc; ++arg) {
        const std::string a = argv[arg];
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (a == "--version") {
            std::printf("vtranscode-worker %s (plugin ABI %s)\n", VTC_HOST_VERSION, VTC_HOST_ABI);
            return 0;
        }
        if (a == "--name" && arg + 1 < argc && command == "register") {
            name = argv[++arg];
        } else {
            std::fprintf(stderr, "vtranscode-worker: unexpected argument '%s'\n%s", a.c_str(),
                         usage);
            return 2;
        }
    }
    if (command != "run" && command != "check" && command != "register") {
        std::fprintf(stderr, "vtranscode-worker: unknown command '%s'\n%s", command.c_str(), usage);
        return 2;
    }
    if (command == "register" && name.empty()) {
        std::fprintf(stderr, "vtranscode-worker: register needs --name NAME\n");
        return 2;
    }

    // Before any thread exists: for `run`, SIGTERM/SIGINT go to the worker's signal thread
    // only (check and register keep the default: Ctrl-C ends them). A closed socket must
    // never kill the process.
    if (command == "run") {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
    }
    std::signal(SIGPIPE, SIG_IGN);

    const ConfigPurpose purpose = command == "register" ? ConfigPurpose::register_worker
                                  : command == "check"  ? ConfigPurpose::check
                                                        : ConfigPurpose::run;
    vtc::Result<Config> config = load_config(process_config_source(), purpose);
    if (!config) {
        std::fprintf(stderr, "vtranscode-worker: %s\n", config.error().message.c_str());
        return 1;
    }
    LogHub logs(config->log_format, config->log_level, stderr);
    logs.add_secret(config->api_key);
    logs.add_secret(config->admin_secret);
    logs.add_secret(config->redis.endpoint.password);
    logs.add_secret(config->api_url_password);
    const vtc::Logger log = logs.logger();

    std::unique_ptr<Transcoder> transcoder;
    std::unique_ptr<EncoderInventory> inventory;
    const char *test_transcoder = std::getenv("VTC_WORKER_TEST_TRANSCODER");
    if (test_transcoder != nullptr && *test_transcoder != '\0') {
#ifdef VTC_WORKER_TEST_BUILD
        log.log(vtc::LogLevel::warning, "worker",
                "TEST BUILD: using the test-only transcoder (placeholder files, nothing decoded)");
        transcoder =
            std::make_unique<test::TestTranscoder>(test::TestTranscoderOptions::from_env());
        inventory = std::make_unique<test::TestInventory>();
#else
        std::fprintf(stderr, "vtranscode-worker: VTC_WORKER_TEST_TRANSCODER is set, but this is a "
                             "production build without the test transcoder; refusing to start\n");
        return 1;
#endif
    } else {
        EngineServices engine = make_engine_services(*config, log);
        inventory = std::move(engine.inventory);
        transcoder = std::move(engine.transcoder);
    }

    if (command == "check") {
        return run_check(*config, logs, *inventory);
    }
    if (command == "register") {
        return run_register(*config, logs, *inventory, name);
    }
    return run_worker(*config, logs, *transcoder, *inventory);
}
