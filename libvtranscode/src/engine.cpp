// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <vtranscode/engine.hpp>

#include "pipeline/transcode_pipeline.hpp"
#include "probe/source.hpp"
#include "util/ffmpeg_log.hpp"

#include <algorithm>
#include <cctype>

namespace vtc {

std::string_view to_string(OutputFormat format) noexcept {
    return format == OutputFormat::hls_ts ? "hls_ts" : "cmaf";
}

std::string_view to_string(VideoCodec codec) noexcept {
    switch (codec) {
    case VideoCodec::h264:
        return "h264";
    case VideoCodec::hevc:
        return "hevc";
    case VideoCodec::av1:
        return "av1";
    }
    return "unknown";
}

namespace {
std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}
} // namespace

std::optional<OutputFormat> parse_output_format(std::string_view text) noexcept {
    const std::string value = lower(text);
    if (value == "hls_ts" || value == "hls-ts" || value == "ts") {
        return OutputFormat::hls_ts;
    }
    if (value == "cmaf" || value == "fmp4") {
        return OutputFormat::cmaf;
    }
    return std::nullopt;
}

std::optional<VideoCodec> parse_video_codec(std::string_view text) noexcept {
    const std::string value = lower(text);
    if (value == "h264" || value == "avc" || value == "h.264") {
        return VideoCodec::h264;
    }
    if (value == "hevc" || value == "h265" || value == "h.265") {
        return VideoCodec::hevc;
    }
    if (value == "av1") {
        return VideoCodec::av1;
    }
    return std::nullopt;
}

std::vector<Rendition> default_ladder() {
    return {
        {"2160p", 2160, 15000, 192}, {"1440p", 1440, 8000, 192}, {"1080p", 1080, 5000, 128},
        {"720p", 720, 2500, 128},    {"480p", 480, 1000, 96},    {"360p", 360, 600, 96},
    };
}

struct Engine::Impl {
    std::shared_ptr<EncoderRegistry> registry;
    Logger logger;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(EngineOptions options) {
    detail::route_ffmpeg_log(options.logger);
    if (!options.registry.logger.enabled(LogLevel::error)) {
        options.registry.logger = options.logger;
    }
    auto registry = EncoderRegistry::scan(std::move(options.registry));
    if (!registry) {
        return Unexpected(std::move(registry).error());
    }
    auto impl = std::make_unique<Impl>();
    impl->registry = std::move(*registry);
    impl->logger = std::move(options.logger);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

const EncoderRegistry &Engine::registry() const noexcept {
    return *impl_->registry;
}

Result<SourceInfo> probe_source(const std::filesystem::path &source) {
    auto opened = detail::open_source(source);
    if (!opened) {
        return Unexpected(std::move(opened).error());
    }
    return std::move(opened->info);
}

Result<SourceInfo> Engine::probe(const std::filesystem::path &source) const {
    return probe_source(source);
}

Result<TranscodeResult> Engine::transcode(const TranscodeJob &job, const ProgressCallback &progress,
                                          const CancellationToken *cancel) const {
    return detail::run_transcode(*impl_->registry, impl_->logger, job, progress, cancel);
}

} // namespace vtc
