// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: MIT

// A C++ application that embeds libvtranscode: transcodes INPUT into a small
// CMAF ladder in OUTPUT_DIR and prints what it made. Build it against an
// installed vtranscode with pkg-config (see the Makefile next to it).
#include <vtranscode/engine.hpp>

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUT OUTPUT_DIR\n", argv[0]);
        return 2;
    }

    // Plugins are found on VTC_PLUGIN_PATH and in the installed plugin directory.
    vtc::EngineOptions options;
    options.logger = vtc::Logger::to_stderr(vtc::LogLevel::warning);
    auto engine = vtc::Engine::create(std::move(options));
    if (!engine) {
        std::fprintf(stderr, "embed: %s\n", engine.error().to_string().c_str());
        return 1;
    }

    vtc::TranscodeJob job;
    job.source = argv[1];
    job.output_dir = argv[2];
    job.format = vtc::OutputFormat::cmaf;
    job.codec = vtc::VideoCodec::h264;
    job.segment_seconds = 2;
    job.ladder = {{"360p", 360, 800, 96}, {"240p", 240, 400, 64}};

    auto result = (*engine)->transcode(job, [](const vtc::Progress &progress) {
        std::fprintf(stderr, "\r%5.1f%%", progress.percent);
    });
    std::fputc('\n', stderr);
    if (!result) {
        std::fprintf(stderr, "embed: %s\n", result.error().to_string().c_str());
        return 1;
    }
    std::printf("master playlist: %s\n", result->master_playlist.c_str());
    for (const vtc::RenditionResult &rendition : result->renditions) {
        std::printf("%-9s %4dx%-4d %7lld kbps  %s\n", rendition.name.c_str(), rendition.width,
                    rendition.height,
                    static_cast<long long>(rendition.average_bitrate_bps / 1000),
                    rendition.codecs.c_str());
    }
    return 0;
}
