// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/playlist.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string_view>

namespace vtc::detail {
namespace {

constexpr std::string_view kStage = "package";

Unexpected invalid(std::string message) {
    return fail(Errc::invalid_argument, std::string(kStage), "", std::move(message));
}

/// Playlists must not contain control characters (RFC 8216 §4.1), and a URI line
/// with spaces or a quoted value with '"' would be misread by players.
bool is_clean_token(std::string_view text) {
    return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7f || c == '"';
    });
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool valid_duration(double seconds) {
    return std::isfinite(seconds) && seconds > 0;
}

/// EXTINF value exactly as written; TARGETDURATION is derived from this text so
/// that a player reading it back gets a consistent pair.
std::string extinf_text(double seconds) {
    return fmt::format("{:.6f}", seconds);
}

Result<void> check_segments(std::span<const SegmentEntry> segments) {
    if (segments.empty()) {
        return invalid("a playlist needs at least one segment");
    }
    for (size_t i = 0; i < segments.size(); ++i) {
        if (!valid_duration(segments[i].duration_seconds)) {
            return invalid(fmt::format("segment {} ('{}') has duration {}; it must be positive", i,
                                       segments[i].uri, segments[i].duration_seconds));
        }
    }
    return ok();
}

} // namespace

uint32_t target_duration_seconds(std::span<const SegmentEntry> segments) {
    if (segments.empty()) {
        return 0;
    }
    long longest = 1;
    for (const auto &segment : segments) {
        if (!valid_duration(segment.duration_seconds)) {
            continue;
        }
        const double written = std::strtod(extinf_text(segment.duration_seconds).c_str(), nullptr);
        longest = std::max(longest, std::lround(written));
    }
    return static_cast<uint32_t>(longest);
}

Result<std::string> render_media_playlist(const MediaPlaylist &playlist) {
    if (auto checked = check_segments(playlist.segments); !checked) {
        return Unexpected(checked.error());
    }
    const bool fmp4 = playlist.container == HlsContainer::fmp4;
    const std::string_view suffix = fmp4 ? ".m4s" : ".ts";
    for (const auto &segment : playlist.segments) {
        if (!is_clean_token(segment.uri) || !ends_with(segment.uri, suffix)) {
            return invalid(fmt::format("segment URI '{}' is not a bare relative name ending in {}",
                                       segment.uri, suffix));
        }
    }
    if (fmp4 && !is_clean_token(playlist.init_uri)) {
        return invalid(fmt::format("init segment URI '{}' is empty or has spaces, quotes or "
                                   "control characters",
                                   playlist.init_uri));
    }

    std::string text = "#EXTM3U\n";
    text += fmt::format("#EXT-X-VERSION:{}\n", fmp4 ? 7 : 3);
    text += fmt::format("#EXT-X-TARGETDURATION:{}\n", target_duration_seconds(playlist.segments));
    text += "#EXT-X-MEDIA-SEQUENCE:0\n";
    text += "#EXT-X-PLAYLIST-TYPE:VOD\n";
    text += "#EXT-X-INDEPENDENT-SEGMENTS\n";
    if (fmp4) {
        text += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", playlist.init_uri);
    }
    for (const auto &segment : playlist.segments) {
        text +=
            fmt::format("#EXTINF:{},\n{}\n", extinf_text(segment.duration_seconds), segment.uri);
    }
    text += "#EXT-X-ENDLIST\n";
    return text;
}

Result<Bandwidth> bandwidth_from_segments(std::span<const SegmentEntry> segments) {
    if (auto checked = check_segments(segments); !checked) {
        return Unexpected(checked.error());
    }
    // long double: sums of many multi-megabyte segments stay exact well past any
    // realistic length.
    long double total_bits = 0;
    long double total_seconds = 0;
    for (const auto &segment : segments) {
        total_bits += static_cast<long double>(segment.size_bytes) * 8;
        total_seconds += segment.duration_seconds;
    }
    const long double average = total_bits / total_seconds;

    const long double target = target_duration_seconds(segments);
    const long double shortest_set = target * 0.5L;
    const long double longest_set = target * 1.5L;
    long double peak = 0;
    bool any_set = false;
    for (size_t first = 0; first < segments.size(); ++first) {
        long double set_bits = 0;
        long double set_seconds = 0;
        for (size_t last = first; last < segments.size(); ++last) {
            set_bits += static_cast<long double>(segments[last].size_bytes) * 8;
            set_seconds += segments[last].duration_seconds;
            if (set_seconds > longest_set) {
                break;
            }
            if (set_seconds >= shortest_set) {
                peak = std::max(peak, set_bits / set_seconds);
                any_set = true;
            }
        }
    }
    if (!any_set) {
        peak = average;
    }
    peak = std::max(peak, average);
    return Bandwidth{static_cast<uint64_t>(std::ceil(peak)),
                     static_cast<uint64_t>(std::ceil(average))};
}

Result<std::string> render_master_playlist(HlsContainer container,
                                           std::span<const VariantStream> variants) {
    if (variants.empty()) {
        return invalid("a master playlist needs at least one variant");
    }
    for (const auto &variant : variants) {
        const auto name = variant.uri.empty() ? std::string("(empty URI)") : variant.uri;
        if (!is_clean_token(variant.uri)) {
            return invalid(fmt::format("variant URI '{}' is empty or has spaces, quotes or "
                                       "control characters",
                                       variant.uri));
        }
        if (variant.bandwidth.peak_bps == 0 ||
            variant.bandwidth.average_bps > variant.bandwidth.peak_bps) {
            return invalid(fmt::format("variant {}: bandwidth peak {} / average {} bps is not "
                                       "a measurement (peak must be > 0 and >= average)",
                                       name, variant.bandwidth.peak_bps,
                                       variant.bandwidth.average_bps));
        }
        if (variant.width <= 0 || variant.height <= 0) {
            return invalid(fmt::format("variant {}: resolution {}x{} is not a real size", name,
                                       variant.width, variant.height));
        }
        if (!std::isfinite(variant.frame_rate) || variant.frame_rate <= 0) {
            return invalid(
                fmt::format("variant {}: frame rate {} is not positive", name, variant.frame_rate));
        }
        if (!is_clean_token(variant.video_codecs) ||
            (!variant.audio_codecs.empty() && !is_clean_token(variant.audio_codecs))) {
            return invalid(fmt::format("variant {}: codec strings '{}' / '{}' are empty or "
                                       "malformed",
                                       name, variant.video_codecs, variant.audio_codecs));
        }
    }

    std::vector<const VariantStream *> order;
    order.reserve(variants.size());
    for (const auto &variant : variants) {
        order.push_back(&variant);
    }
    std::stable_sort(order.begin(), order.end(), [](const auto *a, const auto *b) {
        return a->bandwidth.peak_bps > b->bandwidth.peak_bps;
    });

    std::string text = "#EXTM3U\n";
    text += fmt::format("#EXT-X-VERSION:{}\n", container == HlsContainer::fmp4 ? 7 : 3);
    text += "#EXT-X-INDEPENDENT-SEGMENTS\n";
    for (const auto *variant : order) {
        std::string codecs = variant->video_codecs;
        if (!variant->audio_codecs.empty()) {
            codecs += ',';
            codecs += variant->audio_codecs;
        }
        text +=
            fmt::format("#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},"
                        "RESOLUTION={}x{},FRAME-RATE={:.3f},CODECS=\"{}\"\n{}\n",
                        variant->bandwidth.peak_bps, variant->bandwidth.average_bps, variant->width,
                        variant->height, variant->frame_rate, codecs, variant->uri);
    }
    return text;
}

} // namespace vtc::detail
