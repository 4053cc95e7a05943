// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "package/codec_string.hpp"

#include <vtranscode/plugin/vtc_types.h>

#include <fmt/format.h>

#include <array>
#include <optional>
#include <vector>

namespace vtc::detail {
namespace {

constexpr std::string_view kStage = "package";

Unexpected malformed(std::string message) {
    return fail(Errc::corrupt_input, std::string(kStage), "", std::move(message));
}

/// MSB-first bit reader. Reading past the end yields zeros and sets a flag that the
/// parsers check once at the end, which keeps the syntax code a straight transcription
/// of the specification tables.
class BitReader {
public:
    explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

    uint32_t bits(unsigned count) {
        uint32_t value = 0;
        for (unsigned i = 0; i < count; ++i) {
            value = (value << 1) | bit();
        }
        return value;
    }

    uint32_t bit() {
        if (pos_bits_ >= data_.size() * 8) {
            overrun_ = true;
            return 0;
        }
        const uint8_t byte = data_[pos_bits_ / 8];
        const uint32_t value = (byte >> (7 - pos_bits_ % 8)) & 1u;
        ++pos_bits_;
        return value;
    }

    /// Exp-Golomb ue(v) (H.264/HEVC).
    uint32_t ue() {
        unsigned leading_zeros = 0;
        while (bit() == 0) {
            if (overrun_ || ++leading_zeros > 31) {
                overrun_ = true;
                return 0;
            }
        }
        return static_cast<uint32_t>((uint64_t{1} << leading_zeros) - 1 + bits(leading_zeros));
    }

    /// uvlc() (AV1 §4.10.3).
    uint32_t uvlc() {
        unsigned leading_zeros = 0;
        while (bit() == 0) {
            if (overrun_) {
                return 0;
            }
            ++leading_zeros;
        }
        if (leading_zeros >= 32) {
            return UINT32_MAX;
        }
        return bits(leading_zeros) + static_cast<uint32_t>((uint64_t{1} << leading_zeros) - 1);
    }

    bool overrun() const { return overrun_; }

private:
    std::span<const uint8_t> data_;
    size_t pos_bits_ = 0;
    bool overrun_ = false;
};

/// NAL unit payload with emulation-prevention bytes (00 00 03 -> 00 00) removed.
std::vector<uint8_t> unescape_rbsp(std::span<const uint8_t> nal) {
    std::vector<uint8_t> rbsp;
    rbsp.reserve(nal.size());
    unsigned zeros = 0;
    for (const uint8_t byte : nal) {
        if (zeros >= 2 && byte == 0x03) {
            zeros = 0;
            continue;
        }
        zeros = byte == 0 ? zeros + 1 : 0;
        rbsp.push_back(byte);
    }
    return rbsp;
}

bool starts_with_start_code(std::span<const uint8_t> data) {
    if (data.size() >= 3 && data[0] == 0 && data[1] == 0 && data[2] == 1) {
        return true;
    }
    return data.size() >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 1;
}

/// The NAL units of an Annex B byte stream, without start codes or trailing zeros.
std::vector<std::span<const uint8_t>> split_annex_b(std::span<const uint8_t> data) {
    std::vector<size_t> payload_starts;
    for (size_t i = 0; i + 2 < data.size(); ++i) {
        if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
            payload_starts.push_back(i + 3);
            i += 2;
        }
    }
    std::vector<std::span<const uint8_t>> nals;
    for (size_t n = 0; n < payload_starts.size(); ++n) {
        const size_t begin = payload_starts[n];
        size_t end = n + 1 < payload_starts.size() ? payload_starts[n + 1] - 3 : data.size();
        // Zero bytes before a start code are trailing_zero_8bits or the first byte of a
        // four-byte start code; an RBSP never ends in 0x00.
        while (end > begin && data[end - 1] == 0) {
            --end;
        }
        if (end > begin) {
            nals.push_back(data.subspan(begin, end - begin));
        }
    }
    return nals;
}

/// Length-prefixed NAL arrays of an avcC/hvcC record, read with bounds checks.
class RecordReader {
public:
    explicit RecordReader(std::span<const uint8_t> data) : data_(data) {}
    bool has(size_t count) const { return data_.size() - pos_ >= count; }
    uint8_t u8() { return data_[pos_++]; }
    uint16_t u16() {
        const auto value = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return value;
    }
    std::span<const uint8_t> take(size_t count) {
        auto part = data_.subspan(pos_, count);
        pos_ += count;
        return part;
    }
    void skip(size_t count) { pos_ += count; }

private:
    std::span<const uint8_t> data_;
    size_t pos_ = 0;
};

// ---------------------------------------------------------------- H.264

constexpr unsigned kH264NalSps = 7;

Result<std::span<const uint8_t>> h264_sps_from_avcc(std::span<const uint8_t> record) {
    RecordReader in(record);
    if (!in.has(6)) {
        return malformed(
            fmt::format("H.264 avcC record truncated: {} bytes, need at least 6", record.size()));
    }
    in.skip(5);
    const unsigned sps_count = in.u8() & 0x1fu;
    if (sps_count == 0) {
        return malformed("H.264 avcC record holds no SPS");
    }
    if (!in.has(2)) {
        return malformed("H.264 avcC record truncated before the first SPS length");
    }
    const uint16_t length = in.u16();
    if (length == 0 || !in.has(length)) {
        return malformed(
            fmt::format("H.264 avcC record truncated: SPS of {} bytes announced", length));
    }
    return in.take(length);
}

Result<std::span<const uint8_t>> h264_sps_from_annex_b(std::span<const uint8_t> stream) {
    const auto nals = split_annex_b(stream);
    for (const auto &nal : nals) {
        if ((nal[0] & 0x1fu) == kH264NalSps) {
            return nal;
        }
    }
    return malformed(fmt::format("H.264 Annex B extradata holds no SPS (NAL type 7) among {} "
                                 "NAL units",
                                 nals.size()));
}

Result<std::span<const uint8_t>> h264_find_sps(std::span<const uint8_t> extradata) {
    if (starts_with_start_code(extradata)) {
        return h264_sps_from_annex_b(extradata);
    }
    if (extradata[0] == 1) {
        return h264_sps_from_avcc(extradata);
    }
    return malformed("H.264 extradata is neither Annex B (no start code) nor an avcC record "
                     "(version byte is not 1)");
}

Result<std::string> h264_codec_string(std::span<const uint8_t> extradata) {
    auto sps = h264_find_sps(extradata);
    if (!sps) {
        return Unexpected(sps.error());
    }
    const auto nal = *sps;
    if ((nal[0] & 0x80u) != 0 || (nal[0] & 0x1fu) != kH264NalSps) {
        return malformed(fmt::format("H.264 SPS has an invalid NAL header 0x{:02x}", nal[0]));
    }
    const auto rbsp = unescape_rbsp(nal.subspan(1));
    BitReader in(rbsp);
    const uint32_t profile_idc = in.bits(8);
    const uint32_t constraint_flags = in.bits(8);
    const uint32_t level_idc = in.bits(8);
    const uint32_t sps_id = in.ue();
    if (in.overrun()) {
        return malformed(fmt::format("H.264 SPS truncated: {} payload bytes", rbsp.size()));
    }
    if (profile_idc == 0 || level_idc == 0) {
        return malformed(fmt::format("H.264 SPS has profile_idc {} and level_idc {}; neither may "
                                     "be 0",
                                     profile_idc, level_idc));
    }
    if (sps_id > 31) {
        return malformed(fmt::format("H.264 SPS has seq_parameter_set_id {} (> 31)", sps_id));
    }
    return fmt::format("avc1.{:02x}{:02x}{:02x}", profile_idc, constraint_flags, level_idc);
}

// ---------------------------------------------------------------- HEVC

constexpr unsigned kHevcNalSps = 33;

unsigned hevc_nal_type(std::span<const uint8_t> nal) {
    return (nal[0] >> 1) & 0x3fu;
}

Result<std::span<const uint8_t>> hevc_sps_from_hvcc(std::span<const uint8_t> record) {
    RecordReader in(record);
    constexpr size_t kFixedPart = 23; // up to and including numOfArrays
    if (!in.has(kFixedPart)) {
        return malformed(fmt::format("HEVC hvcC record truncated: {} bytes, need at least {}",
                                     record.size(), kFixedPart));
    }
    in.skip(kFixedPart - 1);
    const unsigned array_count = in.u8();
    for (unsigned a = 0; a < array_count; ++a) {
        if (!in.has(3)) {
            return malformed("HEVC hvcC record truncated inside its NAL unit arrays");
        }
        const unsigned nal_type = in.u8() & 0x3fu;
        const unsigned nal_count = in.u16();
        for (unsigned n = 0; n < nal_count; ++n) {
            if (!in.has(2)) {
                return malformed("HEVC hvcC record truncated inside its NAL unit arrays");
            }
            const uint16_t length = in.u16();
            if (!in.has(length)) {
                return malformed(fmt::format("HEVC hvcC record truncated: NAL unit of {} bytes "
                                             "announced",
                                             length));
            }
            const auto nal = in.take(length);
            if (nal_type == kHevcNalSps && nal.size() >= 2 && hevc_nal_type(nal) == kHevcNalSps) {
                return nal;
            }
        }
    }
    return malformed("HEVC hvcC record holds no SPS (NAL type 33)");
}

Result<std::span<const uint8_t>> hevc_sps_from_annex_b(std::span<const uint8_t> stream) {
    const auto nals = split_annex_b(stream);
    for (const auto &nal : nals) {
        const bool base_layer = nal.size() >= 2 && ((nal[0] & 1u) << 5 | nal[1] >> 3) == 0;
        if (base_layer && hevc_nal_type(nal) == kHevcNalSps) {
            return nal;
        }
    }
    return malformed(fmt::format("HEVC Annex B extradata holds no SPS (NAL type 33) among {} "
                                 "NAL units",
                                 nals.size()));
}

uint32_t reverse_bits(uint32_t value) {
    uint32_t reversed = 0;
    for (int i = 0; i < 32; ++i) {
        reversed = (reversed << 1) | (value & 1u);
        value >>= 1;
    }
    return reversed;
}

Result<std::span<const uint8_t>> hevc_find_sps(std::span<const uint8_t> extradata) {
    if (starts_with_start_code(extradata)) {
        return hevc_sps_from_annex_b(extradata);
    }
    if (extradata[0] == 1) {
        return hevc_sps_from_hvcc(extradata);
    }
    return malformed("HEVC extradata is neither Annex B (no start code) nor an hvcC record "
                     "(version byte is not 1)");
}

Result<std::string> hevc_codec_string(std::span<const uint8_t> extradata) {
    auto sps = hevc_find_sps(extradata);
    if (!sps) {
        return Unexpected(sps.error());
    }
    const auto nal = *sps;
    if ((nal[0] & 0x80u) != 0) {
        return malformed("HEVC SPS has forbidden_zero_bit set");
    }
    // The two-byte NAL header is never escaped; the RBSP starts after it.
    const auto rbsp = unescape_rbsp(nal.subspan(2));
    BitReader in(rbsp);
    in.bits(4); // sps_video_parameter_set_id
    in.bits(3); // sps_max_sub_layers_minus1
    in.bits(1); // sps_temporal_id_nesting_flag
    // profile_tier_level(1, ...): only the general part is needed.
    const uint32_t profile_space = in.bits(2);
    const uint32_t tier_flag = in.bits(1);
    const uint32_t profile_idc = in.bits(5);
    const uint32_t compatibility_flags = in.bits(32);
    std::array<uint32_t, 6> constraint_bytes{};
    for (auto &byte : constraint_bytes) {
        byte = in.bits(8);
    }
    const uint32_t level_idc = in.bits(8);
    if (in.overrun()) {
        return malformed(
            fmt::format("HEVC SPS truncated in profile_tier_level: {} payload bytes", rbsp.size()));
    }
    if (level_idc == 0) {
        return malformed("HEVC SPS has general_level_idc 0");
    }

    static constexpr std::array<std::string_view, 4> kProfileSpace = {"", "A", "B", "C"};
    std::string codec =
        fmt::format("hvc1.{}{}.{:X}.{}{}", kProfileSpace[profile_space], profile_idc,
                    reverse_bits(compatibility_flags), tier_flag ? 'H' : 'L', level_idc);
    size_t kept = constraint_bytes.size();
    while (kept > 0 && constraint_bytes[kept - 1] == 0) {
        --kept;
    }
    for (size_t i = 0; i < kept; ++i) {
        codec += fmt::format(".{:X}", constraint_bytes[i]);
    }
    return codec;
}

// ---------------------------------------------------------------- AV1

constexpr unsigned kObuSequenceHeader = 1;

struct Av1SequenceInfo {
    uint32_t profile = 0;
    uint32_t level_idx = 0; // seq_level_idx[0]
    uint32_t tier = 0;      // seq_tier[0]
    uint32_t bit_depth = 8;
    uint32_t mono_chrome = 0;
    uint32_t subsampling_x = 1;
    uint32_t subsampling_y = 1;
    uint32_t chroma_sample_position = 0;
    bool color_description_present = false;
    uint32_t color_primaries = 2; // CP_UNSPECIFIED
    uint32_t transfer_characteristics = 2;
    uint32_t matrix_coefficients = 2;
    uint32_t color_range = 0;
};

/// sequence_header_obu() of the AV1 specification §5.5, read up to and including
/// film_grain_params_present so that truncation anywhere is noticed.
Result<Av1SequenceInfo> parse_av1_sequence_header(std::span<const uint8_t> payload) {
    BitReader in(payload);
    Av1SequenceInfo info;
    info.profile = in.bits(3);
    in.bits(1); // still_picture
    const uint32_t reduced_still_picture_header = in.bits(1);
    uint32_t decoder_model_info_present = 0;
    uint32_t buffer_delay_length_minus_1 = 0;
    if (reduced_still_picture_header) {
        info.level_idx = in.bits(5);
    } else {
        const uint32_t timing_info_present = in.bits(1);
        if (timing_info_present) {
            in.bits(32);      // num_units_in_display_tick
            in.bits(32);      // time_scale
            if (in.bits(1)) { // equal_picture_interval
                in.uvlc();    // num_ticks_per_picture_minus_1
            }
            decoder_model_info_present = in.bits(1);
            if (decoder_model_info_present) {
                buffer_delay_length_minus_1 = in.bits(5);
                in.bits(32); // num_units_in_decoding_tick
                in.bits(5);  // buffer_removal_time_length_minus_1
                in.bits(5);  // frame_presentation_time_length_minus_1
            }
        }
        const uint32_t initial_display_delay_present = in.bits(1);
        const uint32_t operating_points = in.bits(5) + 1;
        for (uint32_t i = 0; i < operating_points; ++i) {
            in.bits(12); // operating_point_idc[i]
            const uint32_t level_idx = in.bits(5);
            const uint32_t tier = level_idx > 7 ? in.bits(1) : 0;
            if (i == 0) {
                info.level_idx = level_idx;
                info.tier = tier;
            }
            if (decoder_model_info_present && in.bits(1)) { // decoder_model_present_for_this_op
                const unsigned n = buffer_delay_length_minus_1 + 1;
                in.bits(n); // decoder_buffer_delay
                in.bits(n); // encoder_buffer_delay
                in.bits(1); // low_delay_mode_flag
            }
            if (initial_display_delay_present && in.bits(1)) {
                in.bits(4); // initial_display_delay_minus_1
            }
        }
    }
    const unsigned frame_width_bits = in.bits(4) + 1;
    const unsigned frame_height_bits = in.bits(4) + 1;
    in.bits(frame_width_bits);  // max_frame_width_minus_1
    in.bits(frame_height_bits); // max_frame_height_minus_1
    const uint32_t frame_id_numbers_present = reduced_still_picture_header ? 0 : in.bits(1);
    if (frame_id_numbers_present) {
        in.bits(4); // delta_frame_id_length_minus_2
        in.bits(3); // additional_frame_id_length_minus_1
    }
    in.bits(1); // use_128x128_superblock
    in.bits(1); // enable_filter_intra
    in.bits(1); // enable_intra_edge_filter
    if (!reduced_still_picture_header) {
        in.bits(1); // enable_interintra_compound
        in.bits(1); // enable_masked_compound
        in.bits(1); // enable_warped_motion
        in.bits(1); // enable_dual_filter
        const uint32_t enable_order_hint = in.bits(1);
        if (enable_order_hint) {
            in.bits(1); // enable_jnt_comp
            in.bits(1); // enable_ref_frame_mvs
        }
        const uint32_t seq_choose_screen_content_tools = in.bits(1);
        const uint32_t seq_force_screen_content_tools =
            seq_choose_screen_content_tools ? 2 : in.bits(1);
        if (seq_force_screen_content_tools > 0) {
            if (!in.bits(1)) { // seq_choose_integer_mv
                in.bits(1);    // seq_force_integer_mv
            }
        }
        if (enable_order_hint) {
            in.bits(3); // order_hint_bits_minus_1
        }
    }
    in.bits(1); // enable_superres
    in.bits(1); // enable_cdef
    in.bits(1); // enable_restoration

    // color_config()
    const uint32_t high_bitdepth = in.bits(1);
    if (info.profile == 2 && high_bitdepth) {
        info.bit_depth = in.bits(1) ? 12 : 10; // twelve_bit
    } else {
        info.bit_depth = high_bitdepth ? 10 : 8;
    }
    info.mono_chrome = info.profile == 1 ? 0 : in.bits(1);
    info.color_description_present = in.bits(1) != 0;
    if (info.color_description_present) {
        info.color_primaries = in.bits(8);
        info.transfer_characteristics = in.bits(8);
        info.matrix_coefficients = in.bits(8);
    }
    constexpr uint32_t kCpBt709 = 1, kTcSrgb = 13, kMcIdentity = 0;
    if (info.mono_chrome) {
        info.color_range = in.bits(1);
        info.subsampling_x = info.subsampling_y = 1;
        info.chroma_sample_position = 0;
    } else if (info.color_primaries == kCpBt709 && info.transfer_characteristics == kTcSrgb &&
               info.matrix_coefficients == kMcIdentity) {
        info.color_range = 1;
        info.subsampling_x = info.subsampling_y = 0;
        in.bits(1); // separate_uv_delta_q
    } else {
        info.color_range = in.bits(1);
        if (info.profile == 0) {
            info.subsampling_x = info.subsampling_y = 1;
        } else if (info.profile == 1) {
            info.subsampling_x = info.subsampling_y = 0;
        } else if (info.bit_depth == 12) {
            info.subsampling_x = in.bits(1);
            info.subsampling_y = info.subsampling_x ? in.bits(1) : 0;
        } else {
            info.subsampling_x = 1;
            info.subsampling_y = 0;
        }
        if (info.subsampling_x && info.subsampling_y) {
            info.chroma_sample_position = in.bits(2);
        }
        in.bits(1); // separate_uv_delta_q
    }
    in.bits(1); // film_grain_params_present
    if (in.overrun()) {
        return malformed(
            fmt::format("AV1 sequence header OBU truncated: {} payload bytes", payload.size()));
    }
    return info;
}

/// leb128() of AV1 §4.10.5; nullopt when it runs past the data or exceeds 32 bits.
std::optional<uint64_t> read_leb128(std::span<const uint8_t> data, size_t &pos) {
    uint64_t value = 0;
    for (unsigned i = 0; i < 8; ++i) {
        if (pos >= data.size()) {
            return std::nullopt;
        }
        const uint8_t byte = data[pos++];
        value |= uint64_t{byte & 0x7fu} << (i * 7);
        if ((byte & 0x80u) == 0) {
            return value <= UINT32_MAX ? std::optional(value) : std::nullopt;
        }
    }
    return std::nullopt;
}

/// The payload of the first sequence header OBU in a low-overhead OBU sequence, or
/// an empty span when there is none.
Result<std::span<const uint8_t>> find_sequence_header_obu(std::span<const uint8_t> obus) {
    size_t pos = 0;
    while (pos < obus.size()) {
        const uint8_t header = obus[pos++];
        if (header & 0x80u) {
            return malformed(fmt::format("AV1 OBU at byte {} has forbidden_bit set", pos - 1));
        }
        const unsigned type = (header >> 3) & 0x0fu;
        const bool has_extension = (header & 0x04u) != 0;
        const bool has_size = (header & 0x02u) != 0;
        if (has_extension) {
            ++pos;
        }
        uint64_t size = 0;
        if (has_size) {
            const auto leb = read_leb128(obus, pos);
            if (!leb) {
                return malformed("AV1 OBU size field is truncated or too large");
            }
            size = *leb;
        } else {
            // Without a size field the OBU runs to the end of the data.
            size = pos <= obus.size() ? obus.size() - pos : 0;
        }
        if (pos > obus.size() || size > obus.size() - pos) {
            return malformed(
                fmt::format("AV1 OBU of type {} truncated: {} bytes announced", type, size));
        }
        if (type == kObuSequenceHeader) {
            return obus.subspan(pos, static_cast<size_t>(size));
        }
        pos += static_cast<size_t>(size);
    }
    return std::span<const uint8_t>{};
}

std::string av1_codec_string_from(const Av1SequenceInfo &info) {
    std::string codec = fmt::format("av01.{}.{:02}{}.{:02}", info.profile, info.level_idx,
                                    info.tier ? 'H' : 'M', info.bit_depth);
    const bool default_sampling = info.mono_chrome == 0 && info.subsampling_x == 1 &&
                                  info.subsampling_y == 1 && info.chroma_sample_position == 0;
    const bool default_colour = !info.color_description_present ||
                                (info.color_primaries == 1 && info.transfer_characteristics == 1 &&
                                 info.matrix_coefficients == 1);
    if (default_sampling && default_colour && info.color_range == 0) {
        return codec;
    }
    codec += fmt::format(".{}.{}{}{}.{:02}.{:02}.{:02}.{}", info.mono_chrome, info.subsampling_x,
                         info.subsampling_y, info.chroma_sample_position, info.color_primaries,
                         info.transfer_characteristics, info.matrix_coefficients, info.color_range);
    return codec;
}

Result<std::string> av1_codec_string(std::span<const uint8_t> extradata) {
    Av1SequenceInfo info;
    if (extradata[0] & 0x80u) {
        // av1C: marker(1) version(7) profile(3) level(5) tier(1) high_bitdepth(1)
        // twelve_bit(1) monochrome(1) subsampling_x(1) subsampling_y(1) position(2) ...
        if ((extradata[0] & 0x7fu) != 1) {
            return malformed(
                fmt::format("AV1 av1C record has version {}, expected 1", extradata[0] & 0x7fu));
        }
        if (extradata.size() < 4) {
            return malformed(fmt::format("AV1 av1C record truncated: {} bytes, need at least 4",
                                         extradata.size()));
        }
        auto header = find_sequence_header_obu(extradata.subspan(4));
        if (!header) {
            return Unexpected(header.error());
        }
        if (!header->empty()) {
            auto parsed = parse_av1_sequence_header(*header);
            if (!parsed) {
                return Unexpected(parsed.error());
            }
            return av1_codec_string_from(*parsed);
        }
        // No configOBUs: the record's own fields are copies of the sequence header's.
        info.profile = extradata[1] >> 5;
        info.level_idx = extradata[1] & 0x1fu;
        info.tier = extradata[2] >> 7;
        const bool high_bitdepth = (extradata[2] & 0x40u) != 0;
        const bool twelve_bit = (extradata[2] & 0x20u) != 0;
        info.bit_depth = twelve_bit ? 12 : high_bitdepth ? 10 : 8;
        info.mono_chrome = (extradata[2] >> 4) & 1u;
        info.subsampling_x = (extradata[2] >> 3) & 1u;
        info.subsampling_y = (extradata[2] >> 2) & 1u;
        info.chroma_sample_position = extradata[2] & 3u;
    } else {
        auto header = find_sequence_header_obu(extradata);
        if (!header) {
            return Unexpected(header.error());
        }
        if (header->empty()) {
            return malformed("AV1 extradata holds no sequence header OBU");
        }
        auto parsed = parse_av1_sequence_header(*header);
        if (!parsed) {
            return Unexpected(parsed.error());
        }
        info = *parsed;
    }
    if (info.profile > 2) {
        return malformed(fmt::format("AV1 seq_profile {} is reserved", info.profile));
    }
    return av1_codec_string_from(info);
}

} // namespace

Result<std::string> video_codec_string(int32_t vtc_codec, std::span<const uint8_t> extradata) {
    if (extradata.empty()) {
        return fail(Errc::invalid_argument, std::string(kStage), "",
                    "no codec extradata: the CODECS string needs the stream's parameter sets");
    }
    switch (vtc_codec) {
    case VTC_CODEC_H264:
        return h264_codec_string(extradata);
    case VTC_CODEC_HEVC:
        return hevc_codec_string(extradata);
    case VTC_CODEC_AV1:
        return av1_codec_string(extradata);
    default:
        return fail(Errc::invalid_argument, std::string(kStage), "",
                    fmt::format("no CODECS string for vtc_codec {}", vtc_codec));
    }
}

Result<std::string> audio_codec_string(std::string_view codec_name,
                                       std::span<const uint8_t> extradata) {
    if (codec_name == "aac") {
        if (extradata.empty()) {
            return std::string("mp4a.40.2");
        }
        // AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1): audioObjectType is 5 bits,
        // with 31 escaping to 32 + the next 6 bits.
        BitReader in(extradata);
        uint32_t object_type = in.bits(5);
        if (object_type == 31) {
            object_type = 32 + in.bits(6);
        }
        if (in.overrun() || object_type == 0) {
            return malformed(fmt::format("AAC AudioSpecificConfig of {} bytes has no valid "
                                         "audioObjectType",
                                         extradata.size()));
        }
        return fmt::format("mp4a.40.{}", object_type);
    }
    struct Known {
        std::string_view ffmpeg_name;
        std::string_view codecs;
    };
    // RFC 6381 / the MP4 registration authority's sample-entry codes. MP3 and MP2 use
    // the MPEG-4 audio object types 34 (Layer-3) and 33 (Layer-2).
    static constexpr std::array<Known, 6> kKnown = {{{"ac3", "ac-3"},
                                                     {"eac3", "ec-3"},
                                                     {"opus", "opus"},
                                                     {"mp3", "mp4a.40.34"},
                                                     {"mp2", "mp4a.40.33"},
                                                     {"flac", "fLaC"}}};
    for (const auto &known : kKnown) {
        if (known.ffmpeg_name == codec_name) {
            return std::string(known.codecs);
        }
    }
    return fail(Errc::unsupported, std::string(kStage), "",
                fmt::format("no CODECS string for audio codec '{}'", codec_name));
}

} // namespace vtc::detail
