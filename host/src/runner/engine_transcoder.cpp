// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The encoder inventory comes from libvtranscode's plugin registry (scanned once at start,
// hardware probed in vtc-probe child processes; sessions in use are read live).
//
// TODO(#4): libvtranscode's transcoding engine (issue 3) is not on this branch yet. Until it
// is merged, this build says so plainly: every encoder is listed as unusable with that
// reason, so /ready answers 503 ("encoder_available": false), `check` prints why, and the
// dispatcher claims nothing (a claimed job would fail and use one of its attempts).
#include "runner/engine_transcoder.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <fmt/format.h>

namespace vtc::host {

namespace {

constexpr const char *no_engine = "this build has no transcoding engine yet";

class MissingEngineTranscoder final : public Transcoder {
public:
    Result<TranscodeOutcome> transcode(const TranscodeRequest &, const TranscodeProgressFn &,
                                       std::stop_token) override {
        return fail(Errc::unsupported, "transcode", "", no_engine);
    }
};

std::string codec_name(int32_t codec) {
    switch (codec) {
    case VTC_CODEC_H264:
        return "h264";
    case VTC_CODEC_HEVC:
        return "hevc";
    case VTC_CODEC_AV1:
        return "av1";
    default:
        return "";
    }
}

/// VLog knows two GPU vendors (protocol §5.6); VA-API is Intel's path there.
std::string vendor_of(const std::string &plugin) {
    if (plugin == "nvenc") {
        return "nvidia";
    }
    if (plugin == "vaapi" || plugin == "qsv") {
        return "intel";
    }
    return "";
}

class RegistryInventory final : public EncoderInventory {
public:
    RegistryInventory(std::shared_ptr<EncoderRegistry> registry, bool engine_present)
        : registry_(std::move(registry)), engine_present_(engine_present) {}

    std::vector<EncoderStatus> encoders() const override {
        std::vector<EncoderStatus> out;
        if (!registry_) {
            return out;
        }
        const std::map<std::string, uint32_t> in_use = registry_->sessions_in_use();
        for (const EncoderInfo &e : registry_->encoders()) {
            EncoderStatus s;
            s.codec = codec_name(e.codec);
            if (s.codec.empty()) {
                continue;
            }
            s.backend = e.id;
            s.hardware = e.is_hardware();
            s.vendor = s.hardware ? vendor_of(e.plugin) : "";
            s.usable = e.available && engine_present_;
            s.reason = !e.available ? e.unavailable_reason : (engine_present_ ? "" : no_engine);
            s.max_sessions = static_cast<int>(e.caps.max_sessions);
            auto it = in_use.find(e.id);
            s.sessions_in_use = it == in_use.end() ? 0 : static_cast<int>(it->second);
            out.push_back(std::move(s));
        }
        return out;
    }

private:
    std::shared_ptr<EncoderRegistry> registry_;
    bool engine_present_;
};

} // namespace

std::unique_ptr<Transcoder> make_engine_transcoder(const Config &, Logger logger) {
    logger.log(LogLevel::warning, "engine", std::string(no_engine) + ": no jobs will be claimed");
    return std::make_unique<MissingEngineTranscoder>();
}

std::unique_ptr<EncoderInventory> make_engine_inventory(const Config &, Logger logger) {
    RegistryOptions options;
    options.logger = logger;
    Result<std::shared_ptr<EncoderRegistry>> registry = EncoderRegistry::scan(std::move(options));
    if (!registry) {
        logger.log(LogLevel::error, "engine",
                   "plugin scan failed: " + registry.error().to_string());
        return std::make_unique<RegistryInventory>(nullptr, false);
    }
    int available = 0;
    for (const EncoderInfo &e : (*registry)->encoders()) {
        available += e.available ? 1 : 0;
    }
    logger.log(LogLevel::info, "engine",
               fmt::format("{} encoder(s) found, {} available", (*registry)->encoders().size(),
                           available));
    return std::make_unique<RegistryInventory>(std::move(*registry), false);
}

} // namespace vtc::host
