// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// CODECS strings from real encoder output: the ffmpeg CLI encodes one tiny frame
// from lavfi with known profile/level settings, the test reads the parameter sets
// (raw Annex B / OBU files) or configuration records (MP4 sample entries), and the
// result is compared with what those settings must produce and with ffprobe's view.
#include "package/codec_string.hpp"

#include <vtranscode/plugin/vtc_types.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using vtc::detail::audio_codec_string;
using vtc::detail::video_codec_string;

namespace {

using Bytes = std::vector<uint8_t>;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "vtc-codec-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path &path() const { return path_; }

private:
    fs::path path_;
};

Bytes read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    Bytes bytes(static_cast<size_t>(fs::file_size(path)));
    in.read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(in.gcount() == static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

std::string read_text(const fs::path &path) {
    const Bytes bytes = read_file(path);
    return std::string(bytes.begin(), bytes.end());
}

/// Encodes one frame of testsrc2 with @p encoder_args into @p out. The ffmpeg CLI
/// is a test dependency (scripts/install-deps.sh); a missing one fails the test.
void encode(const TempDir &dir, const std::string &size_rate, const std::string &encoder_args,
            const std::string &out) {
    const fs::path log = dir.path() / (out + ".log");
    const std::string command =
        "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc2=" + size_rate +
        " -frames:v 1 " + encoder_args + " '" + (dir.path() / out).string() + "' > '" +
        log.string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    INFO("command: " << command);
    INFO("ffmpeg output: " << read_text(log));
    REQUIRE(rc == 0);
}

/// ffprobe's `level` of the first video stream: an independent reading of the same file.
int ffprobe_level(const fs::path &file) {
    const std::string command = "ffprobe -v error -select_streams v:0 -show_entries stream=level "
                                "-of default=nw=1:nk=1 '" +
                                file.string() + "'";
    FILE *pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char line[64] = {};
    const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
    ::pclose(pipe);
    REQUIRE(got);
    return std::atoi(line);
}

// -- a minimal ISO-BMFF reader: just enough to reach a sample entry's config box.

struct Box {
    std::string type;
    size_t payload = 0; // offset of the payload in the file
    size_t end = 0;
};

std::optional<Box> find_child(const Bytes &file, size_t begin, size_t end,
                              const std::string &type) {
    size_t pos = begin;
    while (pos + 8 <= end) {
        uint64_t size = (uint64_t{file[pos]} << 24) | (uint64_t{file[pos + 1]} << 16) |
                        (uint64_t{file[pos + 2]} << 8) | file[pos + 3];
        const std::string box_type(file.begin() + static_cast<long>(pos + 4),
                                   file.begin() + static_cast<long>(pos + 8));
        size_t header = 8;
        if (size == 1) {
            REQUIRE(pos + 16 <= end);
            size = 0;
            for (int i = 0; i < 8; ++i) {
                size = (size << 8) | file[pos + 8 + static_cast<size_t>(i)];
            }
            header = 16;
        } else if (size == 0) {
            size = end - pos;
        }
        REQUIRE(size >= header);
        REQUIRE(pos + size <= end);
        if (box_type == type) {
            return Box{box_type, pos + header, pos + static_cast<size_t>(size)};
        }
        pos += static_cast<size_t>(size);
    }
    return std::nullopt;
}

/// Payload of moov/trak/mdia/minf/stbl/stsd/<entry>/<config> of the first track.
Bytes sample_entry_config(const fs::path &mp4, const std::string &entry,
                          const std::string &config) {
    const Bytes file = read_file(mp4);
    size_t begin = 0;
    size_t end = file.size();
    for (const char *type : {"moov", "trak", "mdia", "minf", "stbl", "stsd"}) {
        const auto box = find_child(file, begin, end, type);
        INFO("box " << type << " in " << mp4);
        REQUIRE(box.has_value());
        begin = box->payload;
        end = box->end;
    }
    begin += 8; // stsd: version/flags, entry_count
    const auto sample_entry = find_child(file, begin, end, entry);
    INFO("sample entry " << entry << " in " << mp4);
    REQUIRE(sample_entry.has_value());
    // VisualSampleEntry fields before its child boxes: 78 bytes (ISO/IEC 14496-12).
    const auto box = find_child(file, sample_entry->payload + 78, sample_entry->end, config);
    INFO("config box " << config);
    REQUIRE(box.has_value());
    return Bytes(file.begin() + static_cast<long>(box->payload),
                 file.begin() + static_cast<long>(box->end));
}

std::string codec_of(int32_t codec, const Bytes &extradata) {
    auto result = video_codec_string(codec, extradata);
    INFO((result ? std::string() : result.error().to_string()));
    REQUIRE(result.has_value());
    return *result;
}

// -- bit writer for hand-built headers

class BitWriter {
public:
    void put(uint64_t value, unsigned bits) {
        for (unsigned i = bits; i-- > 0;) {
            if (count_ % 8 == 0) {
                bytes_.push_back(0);
            }
            if ((value >> i) & 1u) {
                bytes_.back() |= static_cast<uint8_t>(0x80u >> (count_ % 8));
            }
            ++count_;
        }
    }
    /// rbsp_trailing_bits / trailing_bits: a one, then zeros to the byte boundary.
    Bytes finish() {
        put(1, 1);
        while (count_ % 8 != 0) {
            put(0, 1);
        }
        return bytes_;
    }

private:
    Bytes bytes_;
    size_t count_ = 0;
};

/// Inserts emulation-prevention bytes the way an encoder must (H.264 7.4.1 / HEVC 7.4.2).
Bytes escape(const Bytes &rbsp) {
    Bytes out;
    int zeros = 0;
    for (const uint8_t byte : rbsp) {
        if (zeros >= 2 && byte <= 3) {
            out.push_back(3);
            zeros = 0;
        }
        out.push_back(byte);
        zeros = byte == 0 ? zeros + 1 : 0;
    }
    return out;
}

Bytes annex_b(std::initializer_list<Bytes> nals) {
    Bytes out;
    for (const auto &nal : nals) {
        out.insert(out.end(), {0, 0, 0, 1});
        out.insert(out.end(), nal.begin(), nal.end());
    }
    return out;
}

Bytes concat(Bytes a, const Bytes &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace

TEST_CASE("H.264 codec strings come from the SPS of real x264 output") {
    TempDir dir;
    const std::string small = "s=128x96:r=25";
    struct Case {
        const char *args;
        const char *file;
        const char *expected;
        int ffprobe_level;
    };
    // Constraint bytes are x264's: set0+set1 for baseline (0xc0), set1 for main (0x40),
    // none for high profiles.
    const Case cases[] = {
        {"-c:v libx264 -profile:v baseline -level 3.0 -f h264", "baseline.h264", "avc1.42c01e", 30},
        {"-c:v libx264 -profile:v main -level 3.1 -f mp4", "main.mp4", "avc1.4d401f", 31},
        {"-c:v libx264 -profile:v high -level 4.0 -f h264", "high.h264", "avc1.640028", 40},
        {"-c:v libx264 -pix_fmt yuv420p10le -profile:v high10 -level 4.1 -f mp4", "high10.mp4",
         "avc1.6e0029", 41},
    };
    for (const auto &c : cases) {
        CAPTURE(c.file);
        encode(dir, small, c.args, c.file);
        const fs::path file = dir.path() / c.file;
        CHECK(ffprobe_level(file) == c.ffprobe_level);
        const bool mp4 = file.extension() == ".mp4";
        const Bytes extradata = mp4 ? sample_entry_config(file, "avc1", "avcC") : read_file(file);
        CHECK(codec_of(VTC_CODEC_H264, extradata) == c.expected);
    }
}

TEST_CASE("HEVC codec strings come from the SPS of real x265 output, Annex B and hvcC") {
    TempDir dir;
    // Main at level 4.1 as a raw stream: the SPS carries emulation-prevention bytes in
    // its zero-filled compatibility/constraint flags, so a reader that does not remove
    // them gets the level wrong. x265 sets general_tier_flag (High) whenever a level is
    // given, unless told no-high-tier (ffmpeg's trace_headers bitstream filter shows
    // general_tier_flag = 1 for the first stream and 0 for the second).
    encode(dir, "s=128x96:r=25", "-c:v libx265 -x265-params level-idc=41:log-level=error -f hevc",
           "main.hevc");
    CHECK(ffprobe_level(dir.path() / "main.hevc") == 123);
    // Constraint byte 0x90: progressive_source_flag and frame_only_constraint_flag.
    CHECK(codec_of(VTC_CODEC_HEVC, read_file(dir.path() / "main.hevc")) == "hvc1.1.6.H123.90");

    encode(dir, "s=128x96:r=25",
           "-c:v libx265 -pix_fmt yuv420p10le "
           "-x265-params level-idc=50:no-high-tier=1:log-level=error -tag:v hvc1 -f mp4",
           "main10.mp4");
    CHECK(ffprobe_level(dir.path() / "main10.mp4") == 150);
    const Bytes hvcc = sample_entry_config(dir.path() / "main10.mp4", "hvc1", "hvcC");
    CHECK(codec_of(VTC_CODEC_HEVC, hvcc) == "hvc1.2.4.L150.90");
}

TEST_CASE("AV1 codec strings come from the sequence header of real SVT-AV1 output") {
    TempDir dir;
    // 720p60 makes SVT-AV1 pick level 4.0 (seq_level_idx 8), where the tier bit exists.
    encode(dir, "s=1280x720:r=60", "-c:v libsvtav1 -preset 12 -f obu", "p720.obu");
    const int level = ffprobe_level(dir.path() / "p720.obu");
    CHECK(level == 8);
    // The raw OBU stream starts with a temporal delimiter before the sequence header.
    const Bytes obu = read_file(dir.path() / "p720.obu");
    REQUIRE(obu.size() > 2);
    CHECK(((obu[0] >> 3) & 0xf) == 2);
    CHECK(codec_of(VTC_CODEC_AV1, obu) == "av01.0.08M.08");

    encode(dir, "s=128x96:r=25", "-c:v libsvtav1 -preset 12 -pix_fmt yuv420p10le -f mp4",
           "ten.mp4");
    const Bytes av1c = sample_entry_config(dir.path() / "ten.mp4", "av01", "av1C");
    CHECK(codec_of(VTC_CODEC_AV1, av1c) ==
          "av01.0." + std::string(ffprobe_level(dir.path() / "ten.mp4") < 10 ? "0" : "") +
              std::to_string(ffprobe_level(dir.path() / "ten.mp4")) + "M.10");

    // HDR signalling is not the binding's default (BT.709), so the long form says so:
    // BT.2020 primaries (9), PQ transfer (16), BT.2020 non-constant matrix (9).
    encode(dir, "s=128x96:r=25",
           "-c:v libsvtav1 -preset 12 -pix_fmt yuv420p10le -color_primaries bt2020 "
           "-color_trc smpte2084 -colorspace bt2020nc -f obu",
           "hdr.obu");
    CHECK(codec_of(VTC_CODEC_AV1, read_file(dir.path() / "hdr.obu")) ==
          "av01.0.00M.10.0.110.09.16.09.0");
}

TEST_CASE("hand-built parameter sets: emulation prevention, records, truncation") {
    SUBCASE("HEVC SPS whose zero flags need emulation-prevention bytes") {
        BitWriter sps;
        sps.put(0, 4);           // sps_video_parameter_set_id
        sps.put(0, 3);           // sps_max_sub_layers_minus1
        sps.put(1, 1);           // sps_temporal_id_nesting_flag
        sps.put(0, 2);           // general_profile_space
        sps.put(1, 1);           // general_tier_flag: High
        sps.put(2, 5);           // general_profile_idc: Main 10
        sps.put(0x20000000, 32); // compatibility flag 2
        sps.put(0, 48);          // no constraint flags at all
        sps.put(153, 8);         // level 5.1
        const Bytes rbsp = sps.finish();
        const Bytes escaped = escape(rbsp);
        REQUIRE(escaped.size() > rbsp.size()); // the test really exercises the escaping
        const Bytes nal = concat({0x42, 0x01}, escaped);
        // All constraint bytes are zero, so none is written.
        CHECK(codec_of(VTC_CODEC_HEVC, annex_b({{0x40, 0x01, 0x0c}, nal})) == "hvc1.2.4.H153");
    }
    SUBCASE("HEVC profile space and reversed compatibility flags") {
        BitWriter sps;
        sps.put(0, 8);
        sps.put(1, 2); // general_profile_space 1 -> "A"
        sps.put(0, 1);
        sps.put(4, 5);           // general_profile_idc 4 (RExt)
        sps.put(0x08000000, 32); // flag 4 -> reversed 0x10
        sps.put(0xB00000000001ull, 48);
        sps.put(120, 8);
        const Bytes nal = concat({0x42, 0x01}, escape(sps.finish()));
        CHECK(codec_of(VTC_CODEC_HEVC, annex_b({nal})) == "hvc1.A4.10.L120.B0.0.0.0.0.1");
    }
    SUBCASE("H.264 avcC record and Annex B agree") {
        const Bytes sps = {0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78};
        CHECK(codec_of(VTC_CODEC_H264, annex_b({{0x09, 0xf0}, sps, {0x68, 0xeb, 0xe3}})) ==
              "avc1.640028");
        Bytes avcc = {0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, static_cast<uint8_t>(sps.size())};
        avcc = concat(avcc, sps);
        avcc = concat(avcc, {0x01, 0x00, 0x03, 0x68, 0xeb, 0xe3});
        CHECK(codec_of(VTC_CODEC_H264, avcc) == "avc1.640028");
    }
    SUBCASE("AV1 sequence header with timing, decoder model and two operating points") {
        BitWriter seq;
        seq.put(0, 3); // seq_profile
        seq.put(0, 1); // still_picture
        seq.put(0, 1); // reduced_still_picture_header
        seq.put(1, 1); // timing_info_present_flag
        seq.put(1001, 32);
        seq.put(60000, 32);
        seq.put(1, 1);       // equal_picture_interval
        seq.put(0b00111, 5); // uvlc num_ticks_per_picture_minus_1 = 6
        seq.put(1, 1);       // decoder_model_info_present_flag
        seq.put(9, 5);       // buffer_delay_length_minus_1 -> 10-bit delays
        seq.put(1001, 32);   // num_units_in_decoding_tick
        seq.put(4, 5);
        seq.put(4, 5);
        seq.put(1, 1); // initial_display_delay_present_flag
        seq.put(1, 5); // operating_points_cnt_minus_1: two points
        // operating point 0: level 13 (5.1), High tier, decoder model, display delay
        seq.put(0x101, 12);
        seq.put(13, 5);
        seq.put(1, 1);
        seq.put(1, 1);
        seq.put(500, 10);
        seq.put(300, 10);
        seq.put(0, 1);
        seq.put(1, 1);
        seq.put(3, 4);
        // operating point 1: level 4 (3.0), no tier bit, nothing else
        seq.put(0x103, 12);
        seq.put(4, 5);
        seq.put(0, 1);
        seq.put(0, 1);
        seq.put(11, 4); // frame_width_bits_minus_1
        seq.put(10, 4);
        seq.put(1919, 12);
        seq.put(1079, 11);
        seq.put(0, 1); // frame_id_numbers_present_flag
        seq.put(0, 3); // 128x128, filter intra, intra edge
        seq.put(0, 4); // interintra, masked, warped, dual filter
        seq.put(1, 1); // enable_order_hint
        seq.put(0, 2); // jnt_comp, ref_frame_mvs
        seq.put(1, 1); // seq_choose_screen_content_tools
        seq.put(1, 1); // seq_choose_integer_mv
        seq.put(6, 3); // order_hint_bits_minus_1
        seq.put(0, 3); // superres, cdef, restoration
        seq.put(0, 1); // high_bitdepth
        seq.put(0, 1); // mono_chrome
        seq.put(1, 1); // color_description_present_flag
        seq.put(1, 8);
        seq.put(1, 8);
        seq.put(1, 8); // BT.709 throughout: the short form applies
        seq.put(0, 1); // color_range
        seq.put(0, 2); // chroma_sample_position
        seq.put(0, 1); // separate_uv_delta_q
        seq.put(0, 1); // film_grain_params_present
        const Bytes payload = seq.finish();
        Bytes obus = {0x12, 0x00}; // temporal delimiter with obu_size 0
        obus.push_back(0x0a);      // sequence header, has_size_field
        obus.push_back(static_cast<uint8_t>(payload.size()));
        obus = concat(obus, payload);
        CHECK(codec_of(VTC_CODEC_AV1, obus) == "av01.0.13H.08");

        // Cut the sequence header short (keeping the OBU size consistent).
        Bytes cut = {0x0a, 10};
        cut.insert(cut.end(), payload.begin(), payload.begin() + 10);
        const auto truncated = video_codec_string(VTC_CODEC_AV1, cut);
        REQUIRE_FALSE(truncated);
        CHECK(truncated.error().code == vtc::Errc::corrupt_input);
        CHECK(truncated.error().message.find("truncated") != std::string::npos);
    }
    SUBCASE("av1C record without configOBUs uses the record's own fields") {
        // marker|version, profile 0 level 8, tier 0 high_bitdepth 1 subsampling 1,1
        CHECK(codec_of(VTC_CODEC_AV1, {0x81, 0x08, 0x4c, 0x00}) == "av01.0.08M.10");
        CHECK_FALSE(video_codec_string(VTC_CODEC_AV1, Bytes{0x82, 0x08, 0x4c, 0x00}));
    }
    SUBCASE("errors say what is wrong and never fall back to a default") {
        const auto empty = video_codec_string(VTC_CODEC_H264, {});
        REQUIRE_FALSE(empty);
        CHECK(empty.error().code == vtc::Errc::invalid_argument);

        const auto unknown = video_codec_string(99, Bytes{0, 0, 1, 0x67});
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().message.find("99") != std::string::npos);

        const auto garbage = video_codec_string(VTC_CODEC_H264, Bytes{0x47, 0x40, 0x11, 0x10});
        REQUIRE_FALSE(garbage);
        CHECK(garbage.error().message.find("neither Annex B") != std::string::npos);

        const auto no_sps = video_codec_string(VTC_CODEC_H264, annex_b({{0x68, 0xeb, 0xe3}}));
        REQUIRE_FALSE(no_sps);
        CHECK(no_sps.error().message.find("no SPS") != std::string::npos);

        const auto short_sps = video_codec_string(VTC_CODEC_H264, annex_b({{0x67, 0x64}}));
        REQUIRE_FALSE(short_sps);
        CHECK(short_sps.error().message.find("truncated") != std::string::npos);

        const auto short_hevc =
            video_codec_string(VTC_CODEC_HEVC, annex_b({{0x42, 0x01, 0x01, 0x01, 0x60}}));
        REQUIRE_FALSE(short_hevc);
        CHECK(short_hevc.error().message.find("truncated") != std::string::npos);

        const auto short_avcc = video_codec_string(
            VTC_CODEC_H264, Bytes{0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x20, 0x67, 0x64});
        REQUIRE_FALSE(short_avcc);
        CHECK(short_avcc.error().message.find("avcC") != std::string::npos);

        const auto short_hvcc = video_codec_string(VTC_CODEC_HEVC, Bytes{0x01, 0x01, 0x60});
        REQUIRE_FALSE(short_hvcc);
        CHECK(short_hvcc.error().message.find("hvcC") != std::string::npos);

        const auto no_sequence_header = video_codec_string(VTC_CODEC_AV1, Bytes{0x12, 0x00});
        REQUIRE_FALSE(no_sequence_header);
        CHECK(no_sequence_header.error().message.find("no sequence header") != std::string::npos);

        const auto oversized_obu = video_codec_string(VTC_CODEC_AV1, Bytes{0x0a, 0x7f, 0x00});
        REQUIRE_FALSE(oversized_obu);
        CHECK(oversized_obu.error().message.find("truncated") != std::string::npos);
    }
}

TEST_CASE("audio codec strings") {
    auto audio = [](std::string_view name, const Bytes &asc = {}) {
        auto result = audio_codec_string(name, asc);
        return result ? *result : "error: " + result.error().message;
    };
    CHECK(audio("aac") == "mp4a.40.2");
    CHECK(audio("aac", {0x12, 0x10}) == "mp4a.40.2");             // AAC-LC, 44.1 kHz stereo
    CHECK(audio("aac", {0x2b, 0x92, 0x08, 0x00}) == "mp4a.40.5"); // explicit HE-AAC
    CHECK(audio("aac", {0xf9, 0x40}) == "mp4a.40.42");            // escaped object type
    CHECK(audio("aac", {0x00, 0x00}).rfind("error:", 0) == 0);
    CHECK(audio("aac", {0xf8}).rfind("error:", 0) == 0); // escape cut short
    CHECK(audio("ac3") == "ac-3");
    CHECK(audio("eac3") == "ec-3");
    CHECK(audio("opus") == "opus");
    CHECK(audio("mp3") == "mp4a.40.34");
    CHECK(audio("flac") == "fLaC");
    const auto vorbis = audio_codec_string("vorbis");
    REQUIRE_FALSE(vorbis);
    CHECK(vorbis.error().code == vtc::Errc::unsupported);
}
