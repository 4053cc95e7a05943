// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file transcoder.hpp
/// @brief The transcode step as the job runner sees it. The production implementation
///        drives libvtranscode's engine; tests use doubles. The host never runs ffmpeg.
#pragma once

#include "config/config.hpp"

#include <vtranscode/log.hpp>
#include <vtranscode/result.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

namespace vtc::host {

/// One job's transcode, fully decided by the worker (protocol §5.1).
struct TranscodeRequest {
    std::filesystem::path source;
    std::filesystem::path output_dir; ///< receives the §5.8 layout
    StreamingFormat format = StreamingFormat::cmaf;
    StreamingCodec codec = StreamingCodec::h264;
    int segment_seconds = 6;
    bool write_dash = true;                      ///< CMAF only
    bool include_original = true;                ///< false when "original" is in existing_qualities
    std::set<std::string> skip_qualities;        ///< existing_qualities: not encoded again
    std::vector<std::string> backend_preference; ///< empty: the engine's rank order
    Logger logger;                               ///< stamps lines with the job id
    /// Optional: told about every init and media segment as soon as it is final on disk
    /// (rendition name, path relative to output_dir), in file order per rendition, while
    /// the transcode still runs. Called from transcoder threads; must return quickly.
    std::function<void(const std::string &rendition, const std::filesystem::path &file)>
        on_file_ready;
};

struct RenditionProgress {
    std::string name;
    double percent = 0; ///< 0..100
    double fps = 0;     ///< encode speed, frames per second
};

/// Progress as the engine reports it. Called from engine threads.
struct TranscodeProgress {
    std::string stage;       ///< "probe", "thumbnail", "transcode", "package", ...
    double percent = 0;      ///< overall, 0..100
    double eta_seconds = -1; ///< < 0 when unknown
    std::vector<RenditionProgress> renditions;
    std::optional<double> duration_seconds; ///< once the probe knows it
    std::optional<int> source_width;
    std::optional<int> source_height;
};

/// One rendition written to output_dir.
struct ProducedRendition {
    std::string name; ///< "original", "1080p", ...
    int width = 0;    ///< measured from the output
    int height = 0;
    int bitrate_kbps = 0;
    std::string codecs; ///< RFC 6381 string from the bitstream
    /// Its files, relative to output_dir or absolute inside it.
    std::vector<std::filesystem::path> files;
};

struct TranscodeOutcome {
    double duration_seconds = 0;
    int source_width = 0;
    int source_height = 0;
    std::vector<ProducedRendition> renditions;
    std::filesystem::path master;    ///< master.m3u8; empty when not written
    std::filesystem::path manifest;  ///< manifest.mpd; empty when not written
    std::filesystem::path thumbnail; ///< thumbnail.jpg; empty when not written
};

using TranscodeProgressFn = std::function<void(const TranscodeProgress &)>;

/// Runs transcodes. Implementations must be callable from the runner thread while
/// `progress` is invoked from any thread, and must return soon (seconds) after `cancel`
/// fires, with Errc::cancelled.
class Transcoder {
public:
    virtual ~Transcoder() = default;
    /// @return what was produced, or an Error: Errc::corrupt_input for a source that cannot
    ///         be read, Errc::cancelled when `cancel` fired, others as the engine reports.
    virtual Result<TranscodeOutcome> transcode(const TranscodeRequest &request,
                                               const TranscodeProgressFn &progress,
                                               std::stop_token cancel) = 0;
};

} // namespace vtc::host
