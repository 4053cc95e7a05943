// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "test_transcoder.hpp"

#include <cstdlib>
#include <fstream>
#include <thread>

namespace vtc::host::test {

namespace fs = std::filesystem;

namespace {

struct Preset {
    const char *name;
    int height;
    int kbps;
};
constexpr Preset presets[] = {{"2160p", 2160, 15000}, {"1440p", 1440, 8000}, {"1080p", 1080, 5000},
                              {"720p", 720, 2500},    {"480p", 480, 1000},   {"360p", 360, 600}};

void write(const fs::path &path, const std::string &data) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string ts_segment(int index) {
    // Incompressible payload, so archives have a realistic size for cut-transfer tests.
    std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(index) * 7919u;
    std::string data;
    for (int i = 0; i < 40; ++i) {
        std::string packet(188, '\0');
        packet[0] = 0x47;
        for (std::size_t k = 1; k < packet.size(); ++k) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            packet[k] = static_cast<char>(x & 0xff);
        }
        data += packet;
    }
    return data;
}

std::string box(const char *type, std::size_t payload) {
    const std::size_t size = 8 + payload;
    std::string b;
    b += static_cast<char>((size >> 24) & 0xff);
    b += static_cast<char>((size >> 16) & 0xff);
    b += static_cast<char>((size >> 8) & 0xff);
    b += static_cast<char>(size & 0xff);
    b += type;
    b += std::string(payload, '\x01');
    return b;
}

std::string cmaf_segment_name(int index) {
    char name[64];
    std::snprintf(name, sizeof name, "seg_%04d.m4s", index);
    return name;
}

int even(double v) {
    return static_cast<int>(v / 2) * 2;
}

bool plausible_media(const fs::path &source) {
    std::ifstream in(source, std::ios::binary);
    char head[12] = {};
    in.read(head, sizeof head);
    if (in.gcount() < 12) {
        return false;
    }
    const std::string h(head, 12);
    return h.substr(4, 4) == "ftyp" || h.substr(0, 4) == "\x1a\x45\xdf\xa3" ||
           h.substr(0, 4) == "RIFF" || static_cast<unsigned char>(h[0]) == 0x47;
}

} // namespace

TestTranscoderOptions TestTranscoderOptions::from_env() {
    TestTranscoderOptions o;
    if (const char *ms = std::getenv("VTC_TEST_TRANSCODER_MS")) {
        o.duration = std::chrono::milliseconds(std::atoll(ms));
    }
    if (const char *h = std::getenv("VTC_TEST_TRANSCODER_HEIGHT")) {
        o.source_height = std::atoi(h);
    }
    if (const char *s = std::getenv("VTC_TEST_TRANSCODER_SEGMENTS")) {
        o.segments = std::max(1, std::atoi(s));
    }
    return o;
}

Result<TranscodeOutcome> TestTranscoder::transcode(const TranscodeRequest &request,
                                                   const TranscodeProgressFn &progress,
                                                   std::stop_token cancel) {
    ++calls_;
    if (!plausible_media(request.source)) {
        return fail(Errc::corrupt_input, "probe", request.source.filename().string(),
                    "Invalid data found when processing input");
    }
    const int source_width = even(options_.source_height * 16.0 / 9.0);
    std::vector<Preset> ladder;
    for (const Preset &p : presets) {
        if (p.height <= options_.source_height && !request.skip_qualities.count(p.name)) {
            ladder.push_back(p);
        }
    }
    const fs::path &dir = request.output_dir;
    // CMAF ladder files appear during the "encode", init first, as the engine writes them,
    // and are offered to request.on_file_ready; everything else is written at the end.
    const bool cmaf = request.format == StreamingFormat::cmaf;
    int segments_written = -1; // -1: not even init.mp4
    auto write_cmaf_files_up_to = [&](int count) {
        for (; segments_written < count; ++segments_written) {
            for (const Preset &q : ladder) {
                std::string file = "init.mp4";
                std::string data = box("ftyp", 16) + box("moov", 64);
                if (segments_written >= 0) {
                    file = cmaf_segment_name(segments_written);
                    data = box("moof", 32 + static_cast<std::size_t>(segments_written)) +
                           box("mdat", 256);
                }
                write(dir / q.name / file, data);
                if (request.on_file_ready) {
                    request.on_file_ready(q.name, fs::path(q.name) / file);
                }
            }
        }
    };
    const double total_ms = static_cast<double>(options_.duration.count());
    const auto start = std::chrono::steady_clock::now();
    for (int step = 0;; ++step) {
        const double elapsed =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        const double pct = total_ms <= 0 ? 100.0 : std::min(100.0, 100.0 * elapsed / total_ms);
        TranscodeProgress p;
        p.stage = step == 0 ? "probe" : "transcode";
        p.percent = pct;
        p.eta_seconds = (total_ms - elapsed) / 1000.0;
        p.duration_seconds = 4.0;
        p.source_width = source_width;
        p.source_height = options_.source_height;
        for (const Preset &q : ladder) {
            p.renditions.push_back({q.name, pct, 120.0});
        }
        progress(p);
        if (cmaf) {
            write_cmaf_files_up_to(
                std::min(options_.segments, static_cast<int>(pct * (options_.segments + 1) / 100)));
        }
        if (pct >= 100.0) {
            break;
        }
        if (cancel.stop_requested() && !options_.ignore_cancel) {
            return fail(Errc::cancelled, "transcode", "", "cancelled");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    TranscodeOutcome out;
    out.duration_seconds = 4.0;
    out.source_width = source_width;
    out.source_height = options_.source_height;
    const int seg = request.segment_seconds;
    auto playlist = [&](int version, const std::string &map, const std::string &prefix,
                        const std::string &ext) {
        std::string text = "#EXTM3U\n#EXT-X-VERSION:" + std::to_string(version) +
                           "\n#EXT-X-TARGETDURATION:" + std::to_string(seg) +
                           "\n#EXT-X-MEDIA-SEQUENCE:0\n" + map;
        for (int i = 0; i < options_.segments; ++i) {
            char name[64];
            std::snprintf(name, sizeof name, "%s%04d%s", prefix.c_str(), i, ext.c_str());
            text += "#EXTINF:" + std::to_string(seg) + ".000000,\n" + name + "\n";
        }
        return text + "#EXT-X-ENDLIST\n";
    };
    if (request.include_original) {
        ProducedRendition r{
            "original", source_width, options_.source_height, 3000, "avc1.64001f,mp4a.40.2", {}};
        write(dir / "original.m3u8", playlist(3, "", "original_", ".ts"));
        r.files.push_back("original.m3u8");
        for (int i = 0; i < options_.segments; ++i) {
            char name[64];
            std::snprintf(name, sizeof name, "original_%04d.ts", i);
            write(dir / name, ts_segment(i));
            r.files.push_back(name);
        }
        out.renditions.push_back(r);
    }
    for (const Preset &q : ladder) {
        ProducedRendition r{q.name, even(q.height * 16.0 / 9.0), q.height,
                            q.kbps, "avc1.64001f,mp4a.40.2",     {}};
        const std::string name = q.name;
        if (request.format == StreamingFormat::hls_ts) {
            write(dir / (name + ".m3u8"), playlist(3, "", name + "_", ".ts"));
            r.files.push_back(name + ".m3u8");
            for (int i = 0; i < options_.segments; ++i) {
                char file[64];
                std::snprintf(file, sizeof file, "%s_%04d.ts", q.name, i);
                write(dir / file, ts_segment(i));
                r.files.push_back(file);
            }
        } else {
            r.files.push_back(name + "/init.mp4"); // written during the encode
            for (int i = 0; i < options_.segments; ++i) {
                r.files.push_back(name + "/" + cmaf_segment_name(i));
            }
            write(dir / name / "stream.m3u8",
                  playlist(7, "#EXT-X-MAP:URI=\"init.mp4\"\n", "seg_", ".m4s"));
            r.files.push_back(name + "/stream.m3u8");
        }
        out.renditions.push_back(r);
    }
    std::string master = request.format == StreamingFormat::hls_ts
                             ? "#EXTM3U\n#EXT-X-VERSION:3\n\n"
                             : "#EXTM3U\n#EXT-X-VERSION:7\n\n";
    for (const ProducedRendition &r : out.renditions) {
        const bool cmaf_layout = request.format == StreamingFormat::cmaf && r.name != "original";
        master += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(r.bitrate_kbps * 1000) +
                  ",RESOLUTION=" + std::to_string(r.width) + "x" + std::to_string(r.height) +
                  ",CODECS=\"" + r.codecs + "\"\n" +
                  (cmaf_layout ? r.name + "/stream.m3u8" : r.name + ".m3u8") + "\n";
    }
    write(dir / "master.m3u8", master);
    out.master = dir / "master.m3u8";
    if (request.format == StreamingFormat::cmaf && request.write_dash) {
        write(dir / "manifest.mpd",
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MPD type=\"static\"/>\n");
        out.manifest = dir / "manifest.mpd";
    }
    write(dir / "thumbnail.jpg",
          std::string("\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11) + std::string(100, '\x20'));
    out.thumbnail = dir / "thumbnail.jpg";
    if (options_.before_return) {
        options_.before_return();
    }
    return out;
}

std::vector<EncoderStatus> TestInventory::encoders() const {
    std::vector<EncoderStatus> out;
    for (const char *codec : {"h264", "hevc", "av1"}) {
        EncoderStatus e;
        e.backend = std::string("test-") + codec;
        e.codec = codec;
        e.usable = true;
        e.max_sessions = 4;
        out.push_back(e);
    }
    return out;
}

} // namespace vtc::host::test
