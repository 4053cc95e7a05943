// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file engine.hpp
/// @brief The transcoding engine: one source in, an adaptive-bitrate ladder out.
///
/// @code
/// auto engine = vtc::Engine::create({});            // scans the encoder plugins once
/// if (!engine) { fputs(engine.error().to_string().c_str(), stderr); return 1; }
/// vtc::TranscodeJob job;
/// job.source = "in.mp4";
/// job.output_dir = "out";                            // must exist and be writable
/// job.format = vtc::OutputFormat::cmaf;
/// job.codec = vtc::VideoCodec::h264;
/// auto result = (*engine)->transcode(job, [](const vtc::Progress &p) { ... });
/// @endcode
///
/// Threading: an Engine is immutable after create() and may be shared; transcode()
/// and probe() may run concurrently from several threads. transcode() blocks the
/// calling thread until the job ends and calls the progress callback on that
/// thread. The work itself runs on threads the engine starts and joins.
#pragma once

#include "cancel.hpp"
#include "encoder_registry.hpp"
#include "export.hpp"
#include "log.hpp"
#include "result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vtc {

/// How renditions are packaged.
enum class OutputFormat {
    hls_ts, ///< `{q}.m3u8` + `{q}_NNNN.ts` (MPEG-TS segments), master VERSION 3
    cmaf,   ///< `{q}/stream.m3u8` + `{q}/init.mp4` + `{q}/seg_NNNN.m4s`, master VERSION 7, DASH
};

/// The video codec of the ladder.
enum class VideoCodec { h264, hevc, av1 };

/// "hls_ts" / "cmaf"; "h264" / "hevc" / "av1" (VLog's spelling).
VTC_API std::string_view to_string(OutputFormat format) noexcept;
VTC_API std::string_view to_string(VideoCodec codec) noexcept;
/// Parses the spellings above (also "hls-ts", "h265", "avc"); nullopt when unknown.
VTC_API std::optional<OutputFormat> parse_output_format(std::string_view text) noexcept;
VTC_API std::optional<VideoCodec> parse_video_codec(std::string_view text) noexcept;

/// One rung of the ladder.
struct Rendition {
    std::string name;           ///< VLog quality name: "2160p" … "360p"
    int height = 0;             ///< target height in pixels (even)
    int video_bitrate_kbps = 0; ///< VBV cap (VLog: -maxrate = -b:v, -bufsize = 2x)
    int audio_bitrate_kbps = 0; ///< stereo AAC bit rate
};

/// VLog's ladder: 2160p/1440p/1080p/720p/480p/360p at 15000/8000/5000/2500/1000/600 kbps
/// video and 192/192/128/128/96/96 kbps audio.
VTC_API std::vector<Rendition> default_ladder();

/// The audio stream the engine uses (the first one).
struct AudioInfo {
    std::string codec; ///< libavcodec name ("aac", "opus")
    int sample_rate_hz = 0;
    int channels = 0;
    int64_t bitrate_bps = 0; ///< 0 when unknown
};

/// What probe() finds out about a source.
struct SourceInfo {
    std::filesystem::path path;
    std::string container; ///< libavformat name ("mov,mp4,m4a,3gp,3g2,mj2")
    double duration_seconds = 0;
    int width = 0;         ///< coded width of the first video stream
    int height = 0;        ///< coded height
    int display_width = 0; ///< after rotation: what a viewer sees
    int display_height = 0;
    int rotation_degrees = 0; ///< clockwise: 0, 90, 180 or 270
    double frame_rate = 0;    ///< average frames per second; 0 when unknown
    std::string video_codec;  ///< libavcodec name ("h264")
    std::string pixel_format; ///< libavutil name ("yuv420p10le")
    int bit_depth = 0;        ///< bits per luma sample
    int64_t bitrate_bps = 0;  ///< container bit rate; 0 when unknown
    int64_t size_bytes = 0;
    int audio_stream_count = 0;
    std::optional<AudioInfo> audio; ///< the first audio stream, if any
};

/// Reads the container and stream headers of @p source; needs no Engine (and
/// no encoder plugin). Thread-safe.
/// Errors (stage "probe"): not_found, corrupt_input (not media, no video stream,
/// no duration), unsupported (no decoder, longer than 7 days).
VTC_API Result<SourceInfo> probe_source(const std::filesystem::path &source);

/// A media file the engine has finished writing (see TranscodeJob::on_file_ready).
struct FileReady {
    std::string rendition;      ///< "1080p", …, or "original"
    std::filesystem::path file; ///< relative to output_dir: "1080p/seg_0003.m4s", "720p_0000.ts"
};

/// Told about each finished init or media segment while the job still runs.
using FileReadyCallback = std::function<void(const FileReady &)>;

/// One transcoding job.
struct TranscodeJob {
    std::filesystem::path source;
    /// Where the ladder goes; must exist and be writable. Files of a failed or
    /// cancelled job are removed again, so nothing that looks complete stays.
    std::filesystem::path output_dir;
    OutputFormat format = OutputFormat::cmaf;
    VideoCodec codec = VideoCodec::h264;
    /// The ladder; empty means default_ladder(). Rungs taller than the source's
    /// display height are dropped; when none is left, the smallest rung is
    /// encoded at the source's own height (never upscaled).
    std::vector<Rendition> ladder;
    /// Target segment length. Boundaries are chosen once on the source timeline
    /// and every rendition gets a keyframe there, so all renditions have the same
    /// segment count and durations.
    double segment_seconds = 6.0;
    /// Encoder choice, most preferred first: plugin names ("x264"), encoder ids
    /// ("nvenc-h264"), or "hardware" / "software". Empty: rank order.
    std::vector<std::string> backend_preference;
    /// Worker threads for all encoders together; 0 = every core.
    unsigned thread_budget = 0;
    /// Rendition names that already exist elsewhere: not encoded, but still
    /// listed in the master playlist and DASH manifest.
    std::set<std::string> skip_qualities;
    bool include_original = true; ///< also stream-copy the source as "original"
    bool write_dash = true;       ///< manifest.mpd (CMAF only)
    bool write_thumbnail = true;  ///< thumbnail.jpg, 640 px wide
    /// Encoder preset; empty = the codec's default ("medium" for x264/x265, "6" for SVT-AV1).
    std::string preset;
    /// CRF; -1 = the codec's default (23 H.264, 28 HEVC, 30 AV1, as VLog uses).
    int quality = -1;
    /// 8 or 10 bits per sample in the output (10 needs an encoder that supports it).
    int output_bit_depth = 8;
    /// Encoder-specific "key=value" settings, handed unchanged to every
    /// rendition's encoder (vtc_encoder_config.options), under the backend's
    /// own names: x264 and x265 take their --params names ("ref=1"),
    /// SVT-AV1 its own ("hierarchical-levels=4"). The keys an encoder knows
    /// differ between backends, so pin one with backend_preference; an encoder
    /// that does not know a key refuses to open, naming it, and the job fails
    /// rather than silently ignoring the setting.
    std::vector<std::string> encoder_options;
    /// Optional: called once for every init segment (init.mp4) and media segment
    /// as soon as it is complete on disk, so a caller can upload it while the
    /// encoders go on. Within a rendition the calls come in file order, init.mp4
    /// first; renditions interleave. Called on the engine's worker threads,
    /// possibly several at once: it must return quickly, must not throw, and must
    /// neither change nor remove the file. The file keeps its content until
    /// transcode() returns; if the job then fails or is cancelled it is removed
    /// with everything else; so are the files of an "original" copy the engine
    /// gives up on (the job goes on without that rung). Playlists, the DASH
    /// manifest and the thumbnail are written at the end and not reported here.
    FileReadyCallback on_file_ready;
};

/// Progress of one rendition.
struct RenditionProgress {
    std::string name;
    int64_t frames_encoded = 0;
    int64_t frames_total = 0; ///< estimate from the probe; 0 when unknown
    double fps = 0;           ///< encoded frames per second, recent average
    bool finished = false;
};

/// Progress of the whole job, delivered to the ProgressCallback.
struct Progress {
    std::string stage;       ///< "probe", "transcode", "package", "done"
    double percent = 0;      ///< 0..100 over all renditions
    double eta_seconds = -1; ///< -1 when unknown
    std::vector<RenditionProgress> renditions;
};

/// Called on the thread that runs transcode(), a few times per second. It must
/// return quickly; to stop the job, cancel the token instead of throwing.
using ProgressCallback = std::function<void(const Progress &)>;

/// What one produced rendition turned out to be (measured, never assumed).
struct RenditionResult {
    std::string name;       ///< "1080p", …, or "original"
    std::string encoder_id; ///< the plugin encoder used; empty for "original"
    int width = 0;
    int height = 0;
    double frame_rate = 0;
    int64_t average_bitrate_bps = 0; ///< all segment bytes over the duration
    int64_t peak_bitrate_bps = 0;    ///< the highest segment bit rate
    std::string codecs;              ///< RFC 6381 CODECS, derived from the bitstream
    std::vector<double> segment_durations_seconds;
    /// Every file of the rendition, relative to output_dir, playlist first.
    std::vector<std::filesystem::path> files;
    bool has_audio = false;
};

/// The finished ladder.
struct TranscodeResult {
    SourceInfo source;
    std::vector<RenditionResult> renditions; ///< "original" first when produced
    std::vector<std::string> skipped;        ///< from TranscodeJob::skip_qualities
    std::filesystem::path master_playlist;   ///< output_dir / "master.m3u8"
    std::filesystem::path dash_manifest;     ///< empty unless written
    std::filesystem::path thumbnail;         ///< empty unless written
};

/// Engine settings.
struct EngineOptions {
    /// Where to find encoder plugins and how to probe them.
    RegistryOptions registry;
    /// The engine's log sink; plugins log through it too.
    Logger logger;
};

/// Loads the encoder plugins once and runs jobs.
class VTC_API Engine {
public:
    /// Scans the plugins (see EncoderRegistry::scan). Fails only when the
    /// registry cannot be built at all; an engine without usable encoders is
    /// valid (transcode() then fails with Errc::unsupported).
    static Result<std::unique_ptr<Engine>> create(EngineOptions options);

    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    const EncoderRegistry &registry() const noexcept;

    /// Same as vtc::probe_source().
    Result<SourceInfo> probe(const std::filesystem::path &source) const;

    /// Runs @p job to the end. On success every file of TranscodeResult exists and
    /// master.m3u8 was written last; on failure or cancellation the files this job
    /// created are removed and the error names the stage, the file and the cause
    /// (Errc::cancelled when @p cancel fired). @p cancel may be nullptr.
    Result<TranscodeResult> transcode(const TranscodeJob &job,
                                      const ProgressCallback &progress = {},
                                      const CancellationToken *cancel = nullptr) const;

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace vtc
