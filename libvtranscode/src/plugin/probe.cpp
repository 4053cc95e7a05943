// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/probe.hpp"

#include "plugin/caps.hpp"
#include "plugin/child_process.hpp"

#include <fmt/format.h>

#include <cstring>

namespace vtc::detail {
namespace {

std::string bounded_string(const char *text) {
    return text == nullptr ? std::string() : std::string(text, strnlen(text, 4096));
}

std::string last_line(const std::string &text) {
    size_t end = text.find_last_not_of("\r\n");
    if (end == std::string::npos) {
        return {};
    }
    const size_t start = text.find_last_of('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end - (start == std::string::npos ? 0 : start + 1) + 1);
}

} // namespace

ProbeReport report_for_module(const PluginModule &module, const vtc_host *host, bool query_caps,
                              std::string_view only_encoder) {
    const vtc_plugin_descriptor &d = module.descriptor();
    ProbeReport report;
    report.file = module.file().string();
    report.accepted = true;
    report.name = bounded_string(d.name);
    report.version = bounded_string(d.version);
    report.license = bounded_string(d.license);
    report.description = bounded_string(d.description);
    report.abi_major = d.abi_major;
    report.abi_minor = d.abi_minor;
    for (const vtc_encoder_info *info : module.encoders()) {
        ProbeEncoderReport encoder;
        encoder.id = bounded_string(info->id);
        encoder.description = bounded_string(info->description);
        encoder.codec = info->codec;
        encoder.rank = info->rank;
        if (query_caps && (only_encoder.empty() || only_encoder == encoder.id)) {
            CapsOutcome caps = query_encoder_caps(*info, host);
            encoder.status = caps.status;
            encoder.reason = std::move(caps.reason);
            encoder.caps = caps.caps;
        } else {
            encoder.status = VTC_ERR_INTERNAL;
            encoder.reason = "not queried";
        }
        report.encoders.push_back(std::move(encoder));
    }
    return report;
}

ProbeReport refused_report(const std::filesystem::path &file, std::string reason) {
    ProbeReport report;
    report.file = file.string();
    report.accepted = false;
    report.reason = std::move(reason);
    return report;
}

Result<ProbeReport> run_probe_child(const ProbeRequest &request) {
    std::vector<std::string> arguments;
    arguments.emplace_back(request.allow_gpl ? "--allow-gpl" : "--refuse-gpl");
    if (!request.query_caps) {
        arguments.emplace_back("--no-caps");
    }
    if (!request.only_encoder.empty()) {
        arguments.emplace_back("--encoder");
        arguments.push_back(request.only_encoder);
    }
    arguments.emplace_back("--");
    arguments.push_back(request.plugin_file.string());

    const ChildOutcome child = run_child(request.executable, arguments, request.timeout);
    const std::string file = request.plugin_file.string();
    if (!child.started) {
        return fail(Errc::plugin, "probe", file, "cannot start probe: " + child.start_error);
    }
    if (child.timed_out) {
        return fail(Errc::timeout, "probe", file,
                    fmt::format("probe timed out after {} ms", request.timeout.count()));
    }
    if (child.signal != 0) {
        return fail(Errc::plugin, "probe", file,
                    fmt::format("probe crashed (signal {})", child.signal));
    }
    if (child.exit_code != probe_exit_report && child.exit_code != probe_exit_refused) {
        std::string detail = last_line(child.stderr_text);
        return fail(Errc::plugin, "probe", file,
                    child.exit_code < 0
                        ? std::string("probe ended without an exit status")
                        : fmt::format("probe exited with status {}{}{}", child.exit_code,
                                      detail.empty() ? "" : ": ", detail));
    }
    auto report = parse_probe_report(child.stdout_text);
    if (!report) {
        return fail(Errc::plugin, "probe", file, report.error().message);
    }
    if (report->accepted != (child.exit_code == probe_exit_report)) {
        return fail(Errc::plugin, "probe", file,
                    fmt::format("probe exited with status {} but its report says {}",
                                child.exit_code, report->accepted ? "accepted" : "refused"));
    }
    return report;
}

Result<ProbeReport> probe_isolated(const ProbeRequest &request) {
    auto full = run_probe_child(request);
    if (full || !request.query_caps) {
        return full;
    }
    ProbeRequest descriptor_only = request;
    descriptor_only.query_caps = false;
    descriptor_only.only_encoder.clear();
    auto descriptor = run_probe_child(descriptor_only);
    if (!descriptor) {
        return full; // the entry point (or loading) itself fails: the first reason stands
    }
    if (!descriptor->accepted) {
        return descriptor;
    }
    ProbeReport merged = std::move(*descriptor);
    for (ProbeEncoderReport &encoder : merged.encoders) {
        ProbeRequest single = request;
        single.only_encoder = encoder.id;
        auto alone = run_probe_child(single);
        if (!alone) {
            encoder.status = VTC_ERR_INTERNAL;
            encoder.reason = alone.error().message;
            continue;
        }
        bool found = false;
        for (const ProbeEncoderReport &answer : alone->encoders) {
            if (answer.id == encoder.id) {
                encoder = answer;
                found = true;
            }
        }
        if (!found) {
            encoder.status = VTC_ERR_INTERNAL;
            encoder.reason = "the probe did not report this encoder";
        }
    }
    return merged;
}

} // namespace vtc::detail
