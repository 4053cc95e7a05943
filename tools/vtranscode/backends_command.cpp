// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "backends_command.hpp"

#include "plugin/caps.hpp"
#include "plugin/probe_report.hpp"
#include "plugin/search_path.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace vtc::cli {
namespace {

constexpr const char *usage_text =
    "usage: vtranscode backends [--json] [--in-process] [--log-level LEVEL]\n"
    "\n"
    "Lists the encoder plugins found on the plugin search path (VTC_PLUGIN_PATH,\n"
    "then the installed directory) and every encoder they offer, with its\n"
    "capabilities or the reason it cannot be used here.\n"
    "\n"
    "  --json             print one JSON object instead of a table\n"
    "  --in-process       query plugins in this process instead of a vtc-probe\n"
    "                     child (a crashing plugin then crashes this tool)\n"
    "  --log-level LEVEL  error (default), warning, info, debug or trace\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 at least one encoder is usable, 1 none is, 2 bad usage.\n";

struct Options {
    bool json = false;
    bool in_process = false;
    LogLevel log_level = LogLevel::error;
};

// Returns an exit status to stop with, or -1 to go on.
int parse(std::span<const std::string_view> args, Options &options, std::ostream &out,
          std::ostream &err) {
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--help" || arg == "-h") {
            out << usage_text;
            return 0;
        }
        if (arg == "--json") {
            options.json = true;
        } else if (arg == "--in-process") {
            options.in_process = true;
        } else if (arg == "--log-level") {
            if (i + 1 >= args.size() || !parse_log_level(args[i + 1], options.log_level)) {
                err << "vtranscode backends: --log-level needs one of error, warning, info, "
                       "debug, trace\n";
                return 2;
            }
            ++i;
        } else {
            err << "vtranscode backends: unknown argument '" << arg << "' (see --help)\n";
            return 2;
        }
    }
    return -1;
}

std::string joined_paths(const std::vector<std::filesystem::path> &paths) {
    std::string text;
    for (const auto &path : paths) {
        if (!text.empty()) {
            text += ':';
        }
        text += path.string();
    }
    return text.empty() ? std::string("(empty)") : text;
}

void print_table(const EncoderRegistry &registry,
                 const std::vector<std::filesystem::path> &search_path, std::ostream &out) {
    out << "Plugins (search path: " << joined_paths(search_path) << ")\n";
    if (registry.plugins().empty()) {
        out << "  none found\n";
    }
    // Refused plugins may not have a readable name; the file's is the fallback.
    auto display_name = [](const PluginInfo &plugin) {
        if (plugin.loaded) {
            return plugin.name;
        }
        const std::string stem = plugin.file.stem().string();
        return stem.rfind("vtc-", 0) == 0 ? stem.substr(4) : stem;
    };
    size_t name_width = 0;
    for (const PluginInfo &plugin : registry.plugins()) {
        name_width = std::max(name_width, display_name(plugin).size());
    }
    for (const PluginInfo &plugin : registry.plugins()) {
        if (plugin.loaded) {
            out << fmt::format("  {:<{}}  {} ({}, ABI {}.{})  {}\n", display_name(plugin),
                               name_width, plugin.version, plugin.license, plugin.abi_major,
                               plugin.abi_minor, plugin.file.string());
        } else {
            out << fmt::format("  {:<{}}  refused: {}  {}\n", display_name(plugin), name_width,
                               plugin.rejection_reason, plugin.file.string());
        }
    }

    out << "\nEncoders\n";
    if (registry.encoders().empty()) {
        out << "  none\n";
    }
    size_t id_width = 0;
    for (const EncoderInfo &encoder : registry.encoders()) {
        id_width = std::max(id_width, encoder.id.size());
    }
    size_t usable = 0;
    for (const EncoderInfo &encoder : registry.encoders()) {
        const std::string rank =
            encoder.rank == encoder.declared_rank
                ? fmt::format("rank {:<3}", encoder.rank)
                : fmt::format("rank {:<3} (declared {})", encoder.rank, encoder.declared_rank);
        if (encoder.available) {
            ++usable;
            const std::string device = encoder.device_name();
            out << fmt::format("  {:<{}}  {:<4}  {}  usable  {}{}\n", encoder.id, id_width,
                               codec_name(encoder.codec), rank, detail::caps_summary(encoder.caps),
                               device.empty() ? "" : "  on " + device);
        } else {
            out << fmt::format("  {:<{}}  {:<4}  {}  unavailable ({}): {}\n", encoder.id, id_width,
                               codec_name(encoder.codec), rank, vtc_status_name(encoder.status),
                               encoder.unavailable_reason);
        }
    }
    out << fmt::format("\n{} of {} encoder(s) usable.\n", usable, registry.encoders().size());
}

void print_json(const EncoderRegistry &registry,
                const std::vector<std::filesystem::path> &search_path, std::ostream &out) {
    using nlohmann::json;
    json root;
    root["search_path"] = json::array();
    for (const auto &path : search_path) {
        root["search_path"].push_back(path.string());
    }
    root["plugins"] = json::array();
    for (const PluginInfo &plugin : registry.plugins()) {
        json item{{"file", plugin.file.string()}, {"loaded", plugin.loaded}};
        if (plugin.loaded) {
            item["name"] = plugin.name;
            item["version"] = plugin.version;
            item["license"] = plugin.license;
            item["description"] = plugin.description;
            item["abi"] = fmt::format("{}.{}", plugin.abi_major, plugin.abi_minor);
            item["encoders"] = plugin.encoder_ids;
        } else {
            item["reason"] = plugin.rejection_reason;
        }
        root["plugins"].push_back(std::move(item));
    }
    root["encoders"] = json::array();
    size_t usable = 0;
    for (const EncoderInfo &encoder : registry.encoders()) {
        json item{
            {"id", encoder.id},
            {"plugin", encoder.plugin},
            {"description", encoder.description},
            {"codec", codec_name(encoder.codec)},
            {"rank", encoder.rank},
            {"declared_rank", encoder.declared_rank},
            {"available", encoder.available},
            {"status", vtc_status_name(encoder.status)},
        };
        if (encoder.available) {
            ++usable;
            item["caps"] = detail::caps_to_json(encoder.caps);
        } else {
            item["reason"] = encoder.unavailable_reason;
        }
        root["encoders"].push_back(std::move(item));
    }
    root["usable_encoders"] = usable;
    out << root.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

} // namespace

int run_backends(std::span<const std::string_view> args, std::ostream &out, std::ostream &err) {
    Options options;
    if (const int status = parse(args, options, out, err); status >= 0) {
        return status;
    }
    RegistryOptions registry_options;
    registry_options.search_path = detail::default_plugin_search_path();
    registry_options.probe_mode =
        options.in_process ? ProbeMode::in_process : ProbeMode::child_process;
    registry_options.logger = Logger::to_stderr(options.log_level);
    auto registry = EncoderRegistry::scan(registry_options);
    if (!registry) {
        err << "vtranscode backends: " << registry.error().to_string() << '\n';
        return 2;
    }
    if (options.json) {
        print_json(**registry, registry_options.search_path, out);
    } else {
        print_table(**registry, registry_options.search_path, out);
    }
    const auto &encoders = (*registry)->encoders();
    const bool any_usable = std::any_of(encoders.begin(), encoders.end(),
                                        [](const EncoderInfo &e) { return e.available; });
    return any_usable ? 0 : 1;
}

} // namespace vtc::cli
