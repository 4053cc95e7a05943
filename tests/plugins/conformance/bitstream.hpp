// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file bitstream.hpp
/// @brief Just enough bitstream parsing for the conformance checks: find and
///        remove parameter sets (H.264/HEVC Annex B NAL units, AV1 sequence
///        header OBUs).
#pragma once

#include <cstdint>
#include <vector>

namespace vtc::conformance {

/// True when the access unit @p data of @p codec (enum vtc_codec) holds the
/// parameter sets a decoder needs to start there: SPS and PPS (H.264), VPS, SPS
/// and PPS (HEVC), a sequence header OBU (AV1).
bool has_parameter_sets(int codec, const std::vector<uint8_t> &data);

/// @p data without its parameter-set NAL units (H.264/HEVC). AV1 data is
/// returned unchanged: libavcodec's AV1 decoders do not start from a sequence
/// header given out of band.
std::vector<uint8_t> strip_parameter_sets(int codec, const std::vector<uint8_t> &data);

/// The first sequence header OBU of AV1 @p data (whole OBU), or empty.
std::vector<uint8_t> av1_sequence_header(const std::vector<uint8_t> &data);

/// True when @p data is exactly one AV1 OBU of type sequence header.
bool is_single_av1_sequence_header(const std::vector<uint8_t> &data);

} // namespace vtc::conformance
