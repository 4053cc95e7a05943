// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtranscode: wiring only. Finds the subcommand and hands it its arguments.
#include "backends_command.hpp"
#include "transcode_command.hpp"

#include <iostream>
#include <span>
#include <string_view>
#include <vector>

namespace {

struct Command {
    std::string_view name;
    std::string_view summary;
    int (*run)(std::span<const std::string_view> args, std::ostream &out, std::ostream &err);
};

constexpr Command commands[] = {
    {"transcode", vtc::cli::transcode_summary, &vtc::cli::run_transcode},
    {"probe", vtc::cli::probe_summary, &vtc::cli::run_probe},
    {"backends", vtc::cli::backends_summary, &vtc::cli::run_backends},
};

void print_usage(std::ostream &out) {
    out << "usage: vtranscode COMMAND [OPTIONS]\n\ncommands:\n";
    for (const Command &command : commands) {
        out << "  " << command.name;
        for (size_t pad = command.name.size(); pad < 12; ++pad) {
            out << ' ';
        }
        out << command.summary << '\n';
    }
    out << "\nRun 'vtranscode COMMAND --help' for a command's options.\n";
}

} // namespace

int main(int argc, char **argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_usage(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(std::cout);
        return 0;
    }
    for (const Command &command : commands) {
        if (args[0] == command.name) {
            return command.run(std::span(args).subspan(1), std::cout, std::cerr);
        }
    }
    std::cerr << "vtranscode: unknown command '" << args[0] << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
