// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-probe: loads one plugin file in this process, validates it, asks each
// encoder for its caps and prints one JSON object on stdout. The registry runs
// it as a child per plugin file, so a plugin that crashes or hangs here costs a
// child process, not the host.
//
// Exit status: 0 a report was printed (encoders may still be unavailable);
// 1 the plugin was refused (the JSON says why, and so does one stderr line);
// 2 bad command line; 3 the report could not be written.
#include "plugin/host_services.hpp"
#include "plugin/module.hpp"
#include "plugin/probe.hpp"
#include "plugin/probe_report.hpp"
#include "vtc_build_config.hpp"

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

namespace {

constexpr const char *usage_text =
    "usage: vtc-probe [--allow-gpl | --refuse-gpl] [--no-caps] [--encoder ID] [--] FILE.so\n"
    "\n"
    "Loads one vtranscode encoder plugin, validates it, queries each encoder's\n"
    "capabilities and prints one JSON object on stdout.\n"
    "\n"
    "  --allow-gpl     accept GPL-licensed plugins\n"
    "  --refuse-gpl    refuse GPL-licensed plugins\n"
    "                  (default: as this build was configured)\n"
    "  --no-caps       validate and describe the plugin, but call no encoder\n"
    "  --encoder ID    query only the encoder ID\n"
    "\n"
    "Exit status: 0 report printed, 1 plugin refused, 2 bad usage.\n";

struct Arguments {
    bool allow_gpl = VTC_GPL_ALLOWED != 0;
    bool query_caps = true;
    std::string only_encoder;
    std::string file;
};

bool write_all(int fd, const std::string &text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t count = ::write(fd, text.data() + done, text.size() - done);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        done += static_cast<size_t>(count);
    }
    return true;
}

// Returns an exit status, or -1 to go on.
int parse(int argc, char **argv, Arguments &args) {
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (!options_done && (arg == "--help" || arg == "-h")) {
            std::fputs(usage_text, stdout);
            return 0;
        }
        if (!options_done && arg == "--allow-gpl") {
            args.allow_gpl = true;
        } else if (!options_done && arg == "--refuse-gpl") {
            args.allow_gpl = false;
        } else if (!options_done && arg == "--no-caps") {
            args.query_caps = false;
        } else if (!options_done && arg == "--encoder") {
            if (i + 1 >= argc) {
                std::fputs("vtc-probe: --encoder needs an encoder id\n", stderr);
                return vtc::detail::probe_exit_usage;
            }
            args.only_encoder = argv[++i];
        } else if (!options_done && arg == "--") {
            options_done = true;
        } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
            std::fprintf(stderr, "vtc-probe: unknown option %s (see --help)\n", argv[i]);
            return vtc::detail::probe_exit_usage;
        } else if (args.file.empty()) {
            args.file = arg;
        } else {
            std::fputs("vtc-probe: give exactly one plugin file (see --help)\n", stderr);
            return vtc::detail::probe_exit_usage;
        }
    }
    if (args.file.empty()) {
        std::fputs(usage_text, stderr);
        return vtc::detail::probe_exit_usage;
    }
    return -1;
}

} // namespace

int main(int argc, char **argv) {
    Arguments args;
    if (const int status = parse(argc, argv, args); status >= 0) {
        return status;
    }

    // A crashing plugin is an expected outcome here, not something to debug
    // from a core file left in the caller's working directory.
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    // The report gets a private copy of stdout; stdout itself goes to stderr,
    // so a plugin that prints (which the ABI forbids) cannot corrupt the JSON.
    const int report_fd = ::dup(STDOUT_FILENO);
    if (report_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        std::perror("vtc-probe: cannot set up stdout");
        return vtc::detail::probe_exit_failure;
    }

    vtc::detail::LoadContext context;
    context.allow_gpl = args.allow_gpl;
    auto module = vtc::detail::PluginModule::load(args.file, context);
    if (!module) {
        const std::string &reason = module.error().message;
        std::fprintf(stderr, "vtc-probe: refused %s: %s\n", args.file.c_str(), reason.c_str());
        write_all(report_fd, vtc::detail::probe_report_to_json(
                                 vtc::detail::refused_report(args.file, reason)) +
                                 "\n");
        return vtc::detail::probe_exit_refused;
    }

    const std::string name = (*module)->descriptor().name;
    vtc::detail::HostServices host(vtc::Logger::to_stderr(vtc::LogLevel::warning), "plugin " + name,
                                   nullptr, {});
    const vtc::detail::ProbeReport report =
        vtc::detail::report_for_module(**module, host.host(), args.query_caps, args.only_encoder);
    if (!write_all(report_fd, vtc::detail::probe_report_to_json(report) + "\n")) {
        std::perror("vtc-probe: cannot write the report");
        return vtc::detail::probe_exit_failure;
    }
    return vtc::detail::probe_exit_report;
}
