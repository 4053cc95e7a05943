// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "transcode_command.hpp"

#include <vtranscode/engine.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace vtc::cli {
namespace {

constexpr std::string_view kTranscodeUsage =
    R"(usage: vtranscode transcode INPUT OUTPUT_DIR [options]

Decodes INPUT once and writes an adaptive-bitrate ladder into OUTPUT_DIR (which
must exist): rendition playlists and segments, master.m3u8 (written last),
manifest.mpd (CMAF), thumbnail.jpg and a stream-copied "original".

options:
  --format cmaf|hls_ts      packaging (default cmaf)
  --codec h264|hevc|av1     video codec of the ladder (default h264)
  --ladder SPEC             rungs as NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS,... (default:
                            VLog's 2160p..360p ladder, rungs taller than the source dropped)
  --segment-seconds S       segment length, 1..60 (default 6)
  --backend LIST            encoder preference, comma-separated plugin names, encoder
                            ids, "hardware" or "software" (default: by rank)
  --preset NAME             encoder preset (default medium for x264/x265, 6 for SVT-AV1)
  --crf N                   constant-rate factor (default 23 / 28 / 30)
  --encoder-option K=V      an encoder-specific setting under the backend's own name
                            ("ref=1" for x264/x265, "hierarchical-levels=4" for
                            SVT-AV1); repeatable; an unknown key fails the job
  --bit-depth 8|10          output bit depth (default 8)
  --threads N               encoder threads in total (default: every core)
  --skip LIST               qualities that already exist: listed, not encoded
  --no-original             do not stream-copy the source as "original"
  --no-dash                 do not write manifest.mpd
  --no-thumbnail            do not write thumbnail.jpg
  --json                    print the result as JSON on stdout
  --log-level LEVEL         error, warning (default), info, debug
  -h, --help                show this help

exit status: 0 done, 1 failed (one line on stderr), 2 bad usage.
)";

constexpr std::string_view kProbeUsage = R"(usage: vtranscode probe INPUT

Prints the container and stream facts the engine uses, as JSON.
exit status: 0 done, 1 not a usable source (one line on stderr), 2 bad usage.
)";

// The token a signal handler may cancel. Only an atomic store happens in the
// handler, which is async-signal-safe.
std::atomic<CancellationToken *> g_signal_token{nullptr};

extern "C" void on_interrupt(int) {
    if (CancellationToken *token = g_signal_token.load()) {
        token->cancel();
    }
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = text.find(separator, start);
        const std::string_view part = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!part.empty()) {
            parts.emplace_back(part);
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return parts;
}

template <class T>
bool parse_number(std::string_view text, T &out) {
    const char *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_ladder(std::string_view spec, std::vector<Rendition> &ladder, std::string &problem) {
    for (const std::string &item : split(spec, ',')) {
        const std::vector<std::string> fields = split(item, ':');
        Rendition rung;
        if (fields.size() != 4 || !parse_number(fields[1], rung.height) ||
            !parse_number(fields[2], rung.video_bitrate_kbps) ||
            !parse_number(fields[3], rung.audio_bitrate_kbps)) {
            problem = "bad --ladder rung '" + item + "' (want NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS)";
            return false;
        }
        rung.name = fields[0];
        ladder.push_back(rung);
    }
    if (ladder.empty()) {
        problem = "--ladder is empty";
        return false;
    }
    return true;
}

std::string format_seconds(double seconds) {
    if (seconds < 0) {
        return "--:--";
    }
    const auto total = static_cast<long>(seconds + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
    return text;
}

// A progress bar redrawn in place on a terminal; plain lines every few seconds
// otherwise (logs, CI).
class ProgressPrinter {
public:
    explicit ProgressPrinter(std::ostream &err) : err_(err), is_tty_(isatty(STDERR_FILENO) != 0) {}

    void operator()(const Progress &p) {
        if (is_tty_) {
            constexpr int width = 30;
            const int filled = static_cast<int>(p.percent / 100.0 * width);
            std::ostringstream line;
            line << "\r[" << std::string(static_cast<size_t>(filled), '#')
                 << std::string(static_cast<size_t>(width - filled), '-') << "] " << std::fixed
                 << std::setprecision(1) << std::setw(5) << p.percent << "%";
            for (const RenditionProgress &r : p.renditions) {
                line << "  " << r.name << ' ' << std::setprecision(0) << r.fps << "fps";
            }
            line << "  eta " << format_seconds(p.eta_seconds) << "   ";
            err_ << line.str() << std::flush;
            drawn_ = true;
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (p.stage != "done" && now - last_line_ < std::chrono::seconds(5)) {
            return;
        }
        last_line_ = now;
        err_ << "progress " << std::fixed << std::setprecision(1) << p.percent << "% (" << p.stage
             << ") eta " << format_seconds(p.eta_seconds) << '\n';
    }

    void finish() {
        if (drawn_) {
            err_ << '\n';
            drawn_ = false;
        }
    }

private:
    std::ostream &err_;
    bool is_tty_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point last_line_{};
};

nlohmann::json source_json(const SourceInfo &s) {
    nlohmann::json j = {
        {"path", s.path.string()},
        {"container", s.container},
        {"duration_seconds", s.duration_seconds},
        {"width", s.width},
        {"height", s.height},
        {"display_width", s.display_width},
        {"display_height", s.display_height},
        {"rotation_degrees", s.rotation_degrees},
        {"frame_rate", s.frame_rate},
        {"video_codec", s.video_codec},
        {"pixel_format", s.pixel_format},
        {"bit_depth", s.bit_depth},
        {"bitrate_bps", s.bitrate_bps},
        {"size_bytes", s.size_bytes},
        {"audio_stream_count", s.audio_stream_count},
        {"audio", nullptr},
    };
    if (s.audio) {
        j["audio"] = {{"codec", s.audio->codec},
                      {"sample_rate_hz", s.audio->sample_rate_hz},
                      {"channels", s.audio->channels},
                      {"bitrate_bps", s.audio->bitrate_bps}};
    }
    return j;
}

nlohmann::json result_json(const TranscodeResult &r) {
    nlohmann::json renditions = nlohmann::json::array();
    for (const RenditionResult &x : r.renditions) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto &f : x.files) {
            files.push_back(f.string());
        }
        renditions.push_back({{"name", x.name},
                              {"encoder", x.encoder_id},
                              {"width", x.width},
                              {"height", x.height},
                              {"frame_rate", x.frame_rate},
                              {"average_bitrate_bps", x.average_bitrate_bps},
                              {"peak_bitrate_bps", x.peak_bitrate_bps},
                              {"codecs", x.codecs},
                              {"has_audio", x.has_audio},
                              {"segment_durations_seconds", x.segment_durations_seconds},
                              {"files", files}});
    }
    return {{"source", source_json(r.source)},
            {"renditions", renditions},
            {"skipped", r.skipped},
            {"master_playlist", r.master_playlist.string()},
            {"dash_manifest", r.dash_manifest.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(r.dash_manifest.string())},
            {"thumbnail",
             r.thumbnail.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.thumbnail.string())}};
}

int usage_error(std::ostream &err, const std::string &message, std::string_view usage) {
    err << "vtranscode: " << message << "\n\n" << usage;
    return 2;
}

} // namespace

int run_transcode(std::span<const std::string_view> args, std::ostream &out, std::ostream &err) {
    TranscodeJob job;
    std::vector<std::string> positional;
    bool print_json = false;
    LogLevel log_level = LogLevel::warning;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        auto value = [&](std::string_view &out_value) {
            if (i + 1 >= args.size()) {
                return false;
            }
            out_value = args[++i];
            return true;
        };
        std::string_view v;
        if (arg == "-h" || arg == "--help") {
            out << kTranscodeUsage;
            return 0;
        } else if (arg == "--json") {
            print_json = true;
        } else if (arg == "--no-original") {
            job.include_original = false;
        } else if (arg == "--no-dash") {
            job.write_dash = false;
        } else if (arg == "--no-thumbnail") {
            job.write_thumbnail = false;
        } else if (arg == "--format") {
            std::optional<OutputFormat> format;
            if (!value(v) || !(format = parse_output_format(v))) {
                return usage_error(err, "--format needs cmaf or hls_ts", kTranscodeUsage);
            }
            job.format = *format;
        } else if (arg == "--codec") {
            std::optional<VideoCodec> codec;
            if (!value(v) || !(codec = parse_video_codec(v))) {
                return usage_error(err, "--codec needs h264, hevc or av1", kTranscodeUsage);
            }
            job.codec = *codec;
        } else if (arg == "--ladder") {
            std::string problem;
            if (!value(v) || !parse_ladder(v, job.ladder, problem)) {
                return usage_error(err, problem.empty() ? "--ladder needs a value" : problem,
                                   kTranscodeUsage);
            }
        } else if (arg == "--segment-seconds") {
            if (!value(v) || !parse_number(v, job.segment_seconds)) {
                return usage_error(err, "--segment-seconds needs a number", kTranscodeUsage);
            }
        } else if (arg == "--backend") {
            if (!value(v)) {
                return usage_error(err, "--backend needs a list", kTranscodeUsage);
            }
            job.backend_preference = split(v, ',');
        } else if (arg == "--skip") {
            if (!value(v)) {
                return usage_error(err, "--skip needs a list", kTranscodeUsage);
            }
            for (std::string &name : split(v, ',')) {
                job.skip_qualities.insert(std::move(name));
            }
        } else if (arg == "--preset") {
            if (!value(v)) {
                return usage_error(err, "--preset needs a name", kTranscodeUsage);
            }
            job.preset = std::string(v);
        } else if (arg == "--encoder-option") {
            if (!value(v) || v.find('=') == std::string_view::npos || v.front() == '=') {
                return usage_error(err, "--encoder-option needs KEY=VALUE", kTranscodeUsage);
            }
            job.encoder_options.emplace_back(v);
        } else if (arg == "--crf") {
            if (!value(v) || !parse_number(v, job.quality) || job.quality < 0) {
                return usage_error(err, "--crf needs a non-negative number", kTranscodeUsage);
            }
        } else if (arg == "--bit-depth") {
            if (!value(v) || !parse_number(v, job.output_bit_depth)) {
                return usage_error(err, "--bit-depth needs 8 or 10", kTranscodeUsage);
            }
        } else if (arg == "--threads") {
            if (!value(v) || !parse_number(v, job.thread_budget)) {
                return usage_error(err, "--threads needs a number", kTranscodeUsage);
            }
        } else if (arg == "--log-level") {
            if (!value(v) || !parse_log_level(v, log_level)) {
                return usage_error(err, "--log-level needs error, warning, info or debug",
                                   kTranscodeUsage);
            }
        } else if (!arg.empty() && arg[0] == '-') {
            return usage_error(err, "unknown option " + std::string(arg), kTranscodeUsage);
        } else {
            positional.emplace_back(arg);
        }
    }
    if (positional.size() != 2) {
        return usage_error(err, "transcode needs INPUT and OUTPUT_DIR", kTranscodeUsage);
    }
    job.source = positional[0];
    job.output_dir = positional[1];

    EngineOptions options;
    options.logger = Logger::to_stderr(log_level);
    auto engine = Engine::create(std::move(options));
    if (!engine) {
        err << "vtranscode: " << engine.error().to_string() << '\n';
        return 1;
    }

    CancellationToken cancel;
    g_signal_token = &cancel;
    struct sigaction action {};
    action.sa_handler = &on_interrupt;
    sigemptyset(&action.sa_mask);
    struct sigaction old_int {};
    struct sigaction old_term {};
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);

    ProgressPrinter printer(err);
    auto result = (*engine)->transcode(
        job, [&](const Progress &p) { printer(p); }, &cancel);
    printer.finish();
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    g_signal_token = nullptr;

    if (!result) {
        err << "vtranscode: " << result.error().to_string() << '\n';
        return 1;
    }
    if (print_json) {
        out << result_json(*result).dump(2) << '\n';
    } else {
        out << "ladder written: " << result->master_playlist.string() << '\n';
        for (const RenditionResult &r : result->renditions) {
            out << "  " << std::left << std::setw(9) << r.name << std::right << std::setw(5)
                << r.width << 'x' << std::left << std::setw(5) << r.height << std::right
                << std::setw(7) << r.average_bitrate_bps / 1000 << " kbps  "
                << r.segment_durations_seconds.size() << " segments  " << r.codecs
                << (r.encoder_id.empty() ? "" : "  (" + r.encoder_id + ")") << '\n';
        }
    }
    return 0;
}

int run_probe(std::span<const std::string_view> args, std::ostream &out, std::ostream &err) {
    std::vector<std::string> positional;
    for (const std::string_view arg : args) {
        if (arg == "-h" || arg == "--help") {
            out << kProbeUsage;
            return 0;
        }
        if (!arg.empty() && arg[0] == '-') {
            return usage_error(err, "unknown option " + std::string(arg), kProbeUsage);
        }
        positional.emplace_back(arg);
    }
    if (positional.size() != 1) {
        return usage_error(err, "probe needs INPUT", kProbeUsage);
    }
    auto info = probe_source(positional[0]);
    if (!info) {
        err << "vtranscode: " << info.error().to_string() << '\n';
        return 1;
    }
    out << source_json(*info).dump(2) << '\n';
    return 0;
}

} // namespace vtc::cli
