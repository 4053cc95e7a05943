// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The registry: one pass over the plugin files, then immutable.
//
// For each candidate file, in search order: check the file (stat), skip a name
// already loaded from an earlier directory, probe it (a vtc-probe child by
// default, which reports the descriptor and each encoder's caps, or why it
// refused the plugin or crashed), then load it in this process for real (the
// probe has shown that its entry point survives) and validate it again, now
// also against the encoder ids already taken. Every refusal is one warning
// line, "refused <file>: <reason>"; every unavailable encoder one info line.
#include "plugin/candidates.hpp"
#include "plugin/caps.hpp"
#include "plugin/host_services.hpp"
#include "plugin/module.hpp"
#include "plugin/probe.hpp"
#include "plugin/rank_overrides.hpp"
#include "plugin/search_path.hpp"
#include "plugin/session_state.hpp"
#include "plugin/status.hpp"
#include "vtc_build_config.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace vtc {
namespace {

constexpr std::string_view component = "registry";

std::string bounded_string(const char *text) {
    return text == nullptr ? std::string() : std::string(text, strnlen(text, 4096));
}

std::string plugin_component(std::string_view name) {
    return fmt::format("plugin {}", name);
}

} // namespace

struct EncoderRegistry::Impl {
    struct Entry {
        std::shared_ptr<detail::PluginModule> module;
        const vtc_encoder_info *abi = nullptr;
        std::shared_ptr<std::atomic<uint32_t>> in_use;
    };

    Logger logger;
    std::vector<PluginInfo> plugins;
    std::vector<EncoderInfo> encoders;
    std::vector<Entry> entries; // parallel to encoders

    void refuse(PluginInfo plugin, std::string reason) {
        logger.log(LogLevel::warning, component,
                   fmt::format("refused {}: {}", plugin.file.string(), reason));
        plugin.loaded = false;
        plugin.rejection_reason = std::move(reason);
        plugins.push_back(std::move(plugin));
    }
};

namespace {

struct ResolvedOptions {
    std::vector<std::filesystem::path> files;
    bool allow_gpl = false;
    ProbeMode probe_mode = ProbeMode::child_process;
    std::filesystem::path probe_executable;
    std::chrono::milliseconds probe_timeout{};
    detail::RankOverrides ranks;
};

Result<ResolvedOptions> resolve(const RegistryOptions &options) {
    ResolvedOptions resolved;
    if (options.probe_timeout.count() <= 0) {
        return fail(Errc::invalid_argument, "registry", "", "the probe timeout must be positive");
    }
    std::string ranks_text;
    if (options.rank_overrides) {
        ranks_text = *options.rank_overrides;
    } else if (const char *env = std::getenv("VTC_ENCODER_RANKS")) {
        ranks_text = env;
    }
    auto ranks = detail::parse_rank_overrides(ranks_text);
    if (!ranks) {
        return Unexpected(ranks.error());
    }
    resolved.ranks = std::move(*ranks);
    resolved.allow_gpl = options.allow_gpl.value_or(VTC_GPL_ALLOWED != 0);
    resolved.probe_mode = options.probe_mode;
    resolved.probe_timeout = options.probe_timeout;
    resolved.probe_executable = options.probe_executable.empty()
                                    ? detail::default_probe_executable()
                                    : options.probe_executable;
    if (!options.plugin_files.empty()) {
        resolved.files = options.plugin_files;
    } else {
        resolved.files = detail::find_plugin_files(options.search_path.empty()
                                                       ? detail::default_plugin_search_path()
                                                       : options.search_path,
                                                   options.logger);
    }
    return resolved;
}

// The probe child is an executable; a missing one means an incomplete install
// (or a tool run from a build tree without VTC_PROBE_PATH).
bool probe_executable_usable(const std::filesystem::path &executable) {
    std::error_code ec;
    return std::filesystem::is_regular_file(executable, ec) &&
           ::access(executable.c_str(), X_OK) == 0;
}

void apply_caps(EncoderInfo &info, vtc_status status, std::string reason,
                const vtc_encoder_caps &caps) {
    info.status = status;
    info.available = status == VTC_OK;
    if (info.available) {
        info.caps = caps;
    } else {
        info.unavailable_reason =
            reason.empty() ? std::string("no reason given") : std::move(reason);
    }
}

} // namespace

Result<std::shared_ptr<EncoderRegistry>> EncoderRegistry::scan(RegistryOptions options) {
    auto resolved = resolve(options);
    if (!resolved) {
        return Unexpected(resolved.error());
    }
    auto impl = std::make_unique<Impl>();
    impl->logger = options.logger;
    const Logger &logger = impl->logger;

    if (resolved->probe_mode == ProbeMode::child_process &&
        !probe_executable_usable(resolved->probe_executable)) {
        logger.log(LogLevel::warning, component,
                   fmt::format("probe helper {} is missing; querying plugins in this process (a "
                               "crashing plugin will crash it)",
                               resolved->probe_executable.string()));
        resolved->probe_mode = ProbeMode::in_process;
    }

    detail::TakenIds taken_ids;
    std::map<std::string, std::filesystem::path, std::less<>> loaded_names;
    for (const std::filesystem::path &file : resolved->files) {
        PluginInfo plugin;
        plugin.file = file;
        if (auto usable = detail::check_plugin_file(file); !usable) {
            impl->refuse(std::move(plugin), usable.error().message);
            continue;
        }
        const std::optional<std::string> name = detail::plugin_name_from_file(file);
        if (!name) {
            impl->refuse(std::move(plugin), "file name is not vtc-<name>.so");
            continue;
        }
        if (auto it = loaded_names.find(*name); it != loaded_names.end()) {
            impl->refuse(std::move(plugin), fmt::format("plugin '{}' is already loaded from {}",
                                                        *name, it->second.string()));
            continue;
        }

        std::optional<detail::ProbeReport> report;
        if (resolved->probe_mode == ProbeMode::child_process) {
            detail::ProbeRequest request;
            request.executable = resolved->probe_executable;
            request.plugin_file = file;
            request.allow_gpl = resolved->allow_gpl;
            request.timeout = resolved->probe_timeout;
            auto probed = detail::probe_isolated(request);
            if (!probed) {
                impl->refuse(std::move(plugin), probed.error().message);
                continue;
            }
            if (!probed->accepted) {
                impl->refuse(std::move(plugin), probed->reason);
                continue;
            }
            report = std::move(*probed);
        }

        detail::LoadContext context;
        context.allow_gpl = resolved->allow_gpl;
        context.taken_ids = &taken_ids;
        auto module = detail::PluginModule::load(file, context);
        if (!module) {
            impl->refuse(std::move(plugin), module.error().message);
            continue;
        }
        const vtc_plugin_descriptor &d = (*module)->descriptor();
        plugin.name = bounded_string(d.name);
        plugin.version = bounded_string(d.version);
        plugin.license = bounded_string(d.license);
        plugin.description = bounded_string(d.description);
        plugin.abi_major = d.abi_major;
        plugin.abi_minor = d.abi_minor;
        plugin.loaded = true;

        // In-process queries get a host whose log lines name the plugin.
        detail::HostServices caps_host(logger, plugin_component(plugin.name), nullptr, {});
        for (const vtc_encoder_info *abi : (*module)->encoders()) {
            EncoderInfo info;
            info.id = bounded_string(abi->id);
            info.description = bounded_string(abi->description);
            info.plugin = plugin.name;
            info.plugin_file = file;
            info.codec = abi->codec;
            info.declared_rank = abi->rank;
            const auto rank = resolved->ranks.find(info.id);
            info.rank = rank != resolved->ranks.end() ? rank->second : abi->rank;
            if (report) {
                const detail::ProbeEncoderReport *answer = nullptr;
                for (const auto &candidate : report->encoders) {
                    if (candidate.id == info.id) {
                        answer = &candidate;
                    }
                }
                if (answer == nullptr) {
                    apply_caps(info, VTC_ERR_INTERNAL, "the probe did not report this encoder", {});
                } else {
                    apply_caps(info, answer->status, answer->reason, answer->caps);
                }
            } else {
                detail::CapsOutcome caps = detail::query_encoder_caps(*abi, caps_host.host());
                apply_caps(info, caps.status, std::move(caps.reason), caps.caps);
            }
            if (!info.available) {
                logger.log(LogLevel::info, component,
                           fmt::format("encoder {} unavailable ({}): {}", info.id,
                                       vtc_status_name(info.status), info.unavailable_reason));
            }
            taken_ids.emplace(info.id, file.string());
            plugin.encoder_ids.push_back(info.id);
            impl->encoders.push_back(std::move(info));
            impl->entries.push_back({*module, abi, std::make_shared<std::atomic<uint32_t>>(0)});
        }
        logger.log(LogLevel::info, component,
                   fmt::format("loaded {}: {} {} ({}), {} encoder(s)", file.string(), plugin.name,
                               plugin.version, plugin.license, plugin.encoder_ids.size()));
        loaded_names.emplace(plugin.name, file);
        impl->plugins.push_back(std::move(plugin));
    }

    for (const auto &[id, rank] : resolved->ranks) {
        bool known = false;
        for (const EncoderInfo &info : impl->encoders) {
            known = known || info.id == id;
        }
        if (!known) {
            // Fleet-wide settings name encoders that some machines lack: not an error.
            logger.log(
                LogLevel::info, component,
                fmt::format("VTC_ENCODER_RANKS names {}, which no plugin provides here", id));
        }
    }
    return std::make_shared<EncoderRegistry>(std::move(impl));
}

Result<std::shared_ptr<EncoderRegistry>>
EncoderRegistry::load_file(const std::filesystem::path &file, RegistryOptions options) {
    options.search_path.clear();
    options.plugin_files = {file};
    auto registry = scan(std::move(options));
    if (!registry) {
        return registry;
    }
    const PluginInfo &plugin = (*registry)->plugins().front();
    if (!plugin.loaded) {
        return fail(Errc::plugin, "plugin", file.string(), plugin.rejection_reason);
    }
    return registry;
}

EncoderRegistry::EncoderRegistry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EncoderRegistry::~EncoderRegistry() = default;

const std::vector<PluginInfo> &EncoderRegistry::plugins() const noexcept {
    return impl_->plugins;
}

const std::vector<EncoderInfo> &EncoderRegistry::encoders() const noexcept {
    return impl_->encoders;
}

const EncoderInfo *EncoderRegistry::find(std::string_view encoder_id) const noexcept {
    for (const EncoderInfo &info : impl_->encoders) {
        if (info.id == encoder_id) {
            return &info;
        }
    }
    return nullptr;
}

std::vector<EncoderInfo>
EncoderRegistry::candidates(const EncoderRequirements &requirements,
                            const std::vector<std::string> &preference) const {
    return detail::select_candidates(impl_->encoders, requirements, preference);
}

Result<std::unique_ptr<EncoderSession>> EncoderRegistry::open(std::string_view encoder_id,
                                                              const vtc_encoder_config &config,
                                                              SessionOptions options) const {
    size_t index = 0;
    while (index < impl_->encoders.size() && impl_->encoders[index].id != encoder_id) {
        ++index;
    }
    if (index == impl_->encoders.size()) {
        return fail(Errc::not_found, "encoder", std::string(encoder_id), "no such encoder");
    }
    const EncoderInfo &info = impl_->encoders[index];
    const Impl::Entry &entry = impl_->entries[index];
    if (!info.available) {
        return Unexpected(detail::error_from_status(info.status, "encoder", info.id, "unavailable",
                                                    info.unavailable_reason));
    }
    auto state = std::make_unique<EncoderSession::State>(
        entry.module, entry.in_use,
        std::make_unique<detail::HostServices>(impl_->logger, plugin_component(info.plugin),
                                               std::move(options.cancellation),
                                               std::move(options.services)),
        entry.abi->vtbl, info.id);
    char error_buf[512] = {};
    vtc_encoder *encoder = nullptr;
    const vtc_status status = entry.abi->vtbl->create(state->host->host(), &config, &encoder,
                                                      error_buf, sizeof(error_buf));
    error_buf[sizeof(error_buf) - 1] = '\0';
    if (status != VTC_OK) {
        // On failure *out is not ours to destroy, whatever the plugin left there.
        if (status > 0) {
            return fail(Errc::plugin, "encoder", info.id,
                        fmt::format("create returned {}, which it may not return",
                                    vtc_status_name(status)));
        }
        return Unexpected(
            detail::error_from_status(status, "encoder", info.id, "create failed", error_buf));
    }
    if (encoder == nullptr) {
        return fail(Errc::plugin, "encoder", info.id, "create returned VTC_OK without an instance");
    }
    state->encoder = encoder;
    entry.in_use->fetch_add(1, std::memory_order_relaxed);
    return std::make_unique<EncoderSession>(std::move(state));
}

Result<std::unique_ptr<EncoderSession>>
EncoderRegistry::open(std::string_view encoder_id, const vtc_encoder_config &config,
                      std::shared_ptr<const CancellationToken> cancellation) const {
    SessionOptions options;
    options.cancellation = std::move(cancellation);
    return open(encoder_id, config, std::move(options));
}

std::map<std::string, uint32_t> EncoderRegistry::sessions_in_use() const {
    std::map<std::string, uint32_t> counts;
    for (size_t i = 0; i < impl_->encoders.size(); ++i) {
        counts[impl_->encoders[i].id] = impl_->entries[i].in_use->load(std::memory_order_relaxed);
    }
    return counts;
}

} // namespace vtc
