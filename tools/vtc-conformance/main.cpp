// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-conformance PLUGIN.so: runs the plugin conformance suite against one
// plugin module and prints one line per check. Exit status: 0 when every check
// passed, 77 when no encoder of the plugin can run on this machine (no device),
// 1 when a check failed, 2 on a usage error.
#include <conformance.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void usage(std::FILE *out) {
    std::fputs("usage: vtc-conformance [--timeout SECONDS] PLUGIN.so\n"
               "Checks an encoder plugin against the vtranscode plugin ABI and prints one\n"
               "line per check: PASS name, FAIL name: reason, SKIP name: reason.\n"
               "Exit status: 0 all passed, 1 a check failed, 77 no usable encoder here\n"
               "(for example no GPU), 2 usage error.\n",
               out);
}

} // namespace

int main(int argc, char **argv) {
    vtc::conformance::Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return 0;
        }
        if (arg == "--timeout" && i + 1 < argc) {
            char *end = nullptr;
            const unsigned long seconds = std::strtoul(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || seconds == 0 || seconds > 3600) {
                std::fprintf(stderr, "vtc-conformance: --timeout takes 1 to 3600 seconds\n");
                return 2;
            }
            options.group_timeout_s = static_cast<unsigned>(seconds);
            continue;
        }
        if (!options.plugin_path.empty() || arg.empty() || arg[0] == '-') {
            usage(stderr);
            return 2;
        }
        options.plugin_path = arg;
    }
    if (options.plugin_path.empty()) {
        usage(stderr);
        return 2;
    }

    const vtc::conformance::Summary summary =
        vtc::conformance::run(options, [](const vtc::conformance::CheckResult &result) {
            std::printf("%s\n", vtc::conformance::format(result).c_str());
            std::fflush(stdout);
        });
    size_t passed = 0, failed = 0, skipped = 0;
    for (const auto &result : summary.results) {
        (result.verdict == vtc::conformance::Verdict::pass   ? passed
         : result.verdict == vtc::conformance::Verdict::skip ? skipped
                                                             : failed) += 1;
    }
    std::printf("# %zu passed, %zu failed, %zu skipped%s\n", passed, failed, skipped,
                summary.no_usable_encoder ? " (no encoder of this plugin is usable here)" : "");
    return summary.exit_code();
}
