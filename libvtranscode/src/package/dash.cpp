// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/dash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string_view>

namespace vtc::detail {
namespace {

constexpr std::string_view kStage = "package";

Unexpected invalid(std::string message) {
    return fail(Errc::invalid_argument, std::string(kStage), "", std::move(message));
}

std::string xml_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            escaped += "&amp;";
            break;
        case '<':
            escaped += "&lt;";
            break;
        case '>':
            escaped += "&gt;";
            break;
        case '"':
            escaped += "&quot;";
            break;
        case '\'':
            escaped += "&apos;";
            break;
        default:
            escaped += c;
            break;
        }
    }
    return escaped;
}

/// Ids name a folder and appear inside URL templates, where '$', '/', '%', '?', '#'
/// or spaces would change the meaning; quality names never need them.
bool valid_id(std::string_view id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

bool valid_codecs(std::string_view codecs) {
    return !codecs.empty() && std::all_of(codecs.begin(), codecs.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7f && c != '"';
    });
}

Result<void> check(const DashRepresentation &rep, std::set<std::string_view> &ids) {
    if (!valid_id(rep.id)) {
        return invalid(fmt::format("DASH representation id '{}' must be letters, digits, '.', "
                                   "'_' or '-'",
                                   rep.id));
    }
    if (!ids.insert(rep.id).second) {
        return invalid(fmt::format("DASH representation id '{}' appears twice", rep.id));
    }
    if (rep.bandwidth_bps == 0 || rep.width <= 0 || rep.height <= 0 || rep.frame_rate_num == 0 ||
        rep.frame_rate_den == 0 || rep.timescale == 0) {
        return invalid(fmt::format("DASH representation {}: bandwidth {}, size {}x{}, frame "
                                   "rate {}/{} and timescale {} must all be positive",
                                   rep.id, rep.bandwidth_bps, rep.width, rep.height,
                                   rep.frame_rate_num, rep.frame_rate_den, rep.timescale));
    }
    if (!valid_codecs(rep.codecs)) {
        return invalid(fmt::format("DASH representation {}: codecs '{}' is empty or malformed",
                                   rep.id, rep.codecs));
    }
    if (rep.segments.empty()) {
        return invalid(fmt::format("DASH representation {} has no segments", rep.id));
    }
    for (size_t i = 0; i < rep.segments.size(); ++i) {
        const auto &segment = rep.segments[i];
        if (segment.duration == 0) {
            return invalid(
                fmt::format("DASH representation {}: segment {} has duration 0", rep.id, i));
        }
        if (segment.start > UINT64_MAX - segment.duration) {
            return invalid(
                fmt::format("DASH representation {}: segment {} ends past 2^64", rep.id, i));
        }
        if (i > 0) {
            const auto &previous = rep.segments[i - 1];
            if (segment.start < previous.start + previous.duration) {
                return invalid(fmt::format("DASH representation {}: segment {} starts at {}, "
                                           "before segment {} ends at {}",
                                           rep.id, i, segment.start, i - 1,
                                           previous.start + previous.duration));
            }
        }
    }
    return ok();
}

double seconds(uint64_t ticks, uint32_t timescale) {
    return static_cast<double>(ticks) / static_cast<double>(timescale);
}

/// Seconds from the Period start to the end of the representation's last segment.
double presentation_end_seconds(const DashRepresentation &rep) {
    const auto &last = rep.segments.back();
    const uint64_t end = last.start + last.duration;
    const double offset = seconds(rep.presentation_time_offset, rep.timescale);
    return seconds(end, rep.timescale) - offset;
}

/// Aligned in the MPD's sense: same count, and the k-th boundaries of all
/// representations at the same presentation time (within half the shortest frame).
bool segments_aligned(std::span<const DashRepresentation> reps) {
    double tolerance = INFINITY;
    for (const auto &rep : reps) {
        tolerance = std::min(tolerance, 0.5 * static_cast<double>(rep.frame_rate_den) /
                                            static_cast<double>(rep.frame_rate_num));
    }
    const auto &first = reps.front();
    for (const auto &rep : reps) {
        if (rep.segments.size() != first.segments.size()) {
            return false;
        }
        for (size_t k = 0; k < rep.segments.size(); ++k) {
            const double a = seconds(rep.segments[k].start, rep.timescale) -
                             seconds(rep.presentation_time_offset, rep.timescale);
            const double b = seconds(first.segments[k].start, first.timescale) -
                             seconds(first.presentation_time_offset, first.timescale);
            if (std::fabs(a - b) >= tolerance) {
                return false;
            }
        }
    }
    return true;
}

/// DASH FrameRateType: "N" or "N/D", reduced.
std::string frame_rate_text(uint32_t num, uint32_t den) {
    const uint32_t divisor = std::gcd(num, den);
    num /= divisor;
    den /= divisor;
    return den == 1 ? fmt::format("{}", num) : fmt::format("{}/{}", num, den);
}

/// `<S>` elements: `t` where the timeline starts or jumps, `r` for repeats.
std::string segment_timeline(const std::vector<DashSegment> &segments) {
    std::string xml = "          <SegmentTimeline>\n";
    size_t i = 0;
    uint64_t expected_start = 0;
    while (i < segments.size()) {
        const DashSegment &head = segments[i];
        size_t repeats = 0;
        while (i + repeats + 1 < segments.size()) {
            const DashSegment &next = segments[i + repeats + 1];
            const DashSegment &prev = segments[i + repeats];
            if (next.duration != head.duration || next.start != prev.start + prev.duration) {
                break;
            }
            ++repeats;
        }
        xml += "            <S";
        if (i == 0 || head.start != expected_start) {
            xml += fmt::format(" t=\"{}\"", head.start);
        }
        xml += fmt::format(" d=\"{}\"", head.duration);
        if (repeats > 0) {
            xml += fmt::format(" r=\"{}\"", repeats);
        }
        xml += "/>\n";
        i += repeats + 1;
        const DashSegment &last = segments[i - 1];
        expected_start = last.start + last.duration;
    }
    xml += "          </SegmentTimeline>\n";
    return xml;
}

} // namespace

std::string iso8601_duration(double value_seconds) {
    const double clamped = std::isfinite(value_seconds) && value_seconds > 0 ? value_seconds : 0;
    // Round up to the millisecond: a duration that ends early can cut the last frame.
    auto total_ms = static_cast<uint64_t>(std::ceil(clamped * 1000.0 - 1e-6));
    const uint64_t hours = total_ms / 3'600'000;
    total_ms %= 3'600'000;
    const uint64_t minutes = total_ms / 60'000;
    total_ms %= 60'000;
    std::string text = "PT";
    if (hours > 0) {
        text += fmt::format("{}H", hours);
    }
    if (hours > 0 || minutes > 0) {
        text += fmt::format("{}M", minutes);
    }
    text += fmt::format("{}.{:03}S", total_ms / 1000, total_ms % 1000);
    return text;
}

Result<std::string> render_dash_manifest(std::span<const DashRepresentation> representations) {
    if (representations.empty()) {
        return invalid("no representations for the DASH manifest");
    }
    std::set<std::string_view> ids;
    for (const auto &rep : representations) {
        if (auto checked = check(rep, ids); !checked) {
            return Unexpected(checked.error());
        }
    }

    double duration = 0;
    double longest_segment = 0;
    int32_t max_width = 0;
    int32_t max_height = 0;
    size_t fastest = 0;
    for (size_t i = 0; i < representations.size(); ++i) {
        const auto &rep = representations[i];
        duration = std::max(duration, presentation_end_seconds(rep));
        for (const auto &segment : rep.segments) {
            longest_segment = std::max(longest_segment, seconds(segment.duration, rep.timescale));
        }
        max_width = std::max(max_width, rep.width);
        max_height = std::max(max_height, rep.height);
        // Compare a/b > c/d without division.
        const auto &best = representations[fastest];
        if (uint64_t{rep.frame_rate_num} * best.frame_rate_den >
            uint64_t{best.frame_rate_num} * rep.frame_rate_den) {
            fastest = i;
        }
    }

    std::vector<size_t> order(representations.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return representations[a].bandwidth_bps > representations[b].bandwidth_bps;
    });
    if (duration <= 0) {
        return invalid("the DASH timelines end before their presentationTimeOffset");
    }

    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += fmt::format("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                       "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" "
                       "mediaPresentationDuration=\"{}\" minBufferTime=\"{}\">\n",
                       iso8601_duration(duration), iso8601_duration(longest_segment));
    xml += "  <Period id=\"0\" start=\"PT0S\">\n";
    xml += fmt::format("    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\"{} "
                       "startWithSAP=\"1\" maxWidth=\"{}\" maxHeight=\"{}\" "
                       "maxFrameRate=\"{}\">\n",
                       segments_aligned(representations) ? " segmentAlignment=\"true\"" : "",
                       max_width, max_height,
                       frame_rate_text(representations[fastest].frame_rate_num,
                                       representations[fastest].frame_rate_den));
    for (const size_t index : order) {
        const DashRepresentation *rep = &representations[index];
        const std::string id = xml_escape(rep->id);
        xml += fmt::format("      <Representation id=\"{}\" bandwidth=\"{}\" width=\"{}\" "
                           "height=\"{}\" frameRate=\"{}\" codecs=\"{}\">\n",
                           id, rep->bandwidth_bps, rep->width, rep->height,
                           frame_rate_text(rep->frame_rate_num, rep->frame_rate_den),
                           xml_escape(rep->codecs));
        xml +=
            fmt::format("        <SegmentTemplate timescale=\"{}\" presentationTimeOffset=\"{}\" "
                        "startNumber=\"0\" initialization=\"{}/init.mp4\" "
                        "media=\"{}/seg_$Number%04d$.m4s\">\n",
                        rep->timescale, rep->presentation_time_offset, id, id);
        xml += segment_timeline(rep->segments);
        xml += "        </SegmentTemplate>\n";
        xml += "      </Representation>\n";
    }
    xml += "    </AdaptationSet>\n";
    xml += "  </Period>\n";
    xml += "</MPD>\n";
    return xml;
}

} // namespace vtc::detail
