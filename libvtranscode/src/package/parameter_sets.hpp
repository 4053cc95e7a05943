// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Removes in-band parameter sets from Annex B access units.
//
// Encoder plugins repeat SPS/PPS (and VPS) on every keyframe so MPEG-TS
// segments decode on their own. In fMP4 the parameter sets live in the sample
// entry ('avc1'/'hvc1'), and 'hvc1' in particular promises players that samples
// carry none, so the CMAF packager strips them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vtc::detail {

/// Returns @p access_unit (Annex B) without its SPS/PPS NAL units (H.264,
/// @p vtc_codec == VTC_CODEC_H264) or VPS/SPS/PPS (HEVC). Other codecs, and
/// data that is not Annex B, come back unchanged.
std::vector<uint8_t> strip_parameter_sets(int32_t vtc_codec, std::span<const uint8_t> access_unit);

} // namespace vtc::detail
