// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file codec_string.hpp
/// @brief RFC 6381 `CODECS` strings read from the real bitstream (HLS master, DASH MPD).
///
/// VLog's Python worker writes a fixed default when it cannot find the init
/// segment (protocol §5.15, §12 item 4), so players are told the wrong codec.
/// These functions parse the parameter sets the encoder actually produced and
/// fail, with a reason, when they cannot; they never return a guess.
///
/// All functions are pure and thread-safe; the spans are only read during the call.
#pragma once

#include <vtranscode/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vtc::detail {

/// The codec string of a video stream, from its parameter sets.
///
/// @param vtc_codec  an `enum vtc_codec` value (VTC_CODEC_H264, _HEVC or _AV1).
/// @param extradata  any of:
///   - H.264: Annex B bytes (start codes + SPS [+ PPS ...], what encoder plugins'
///     `get_extradata` returns; slices after the parameter sets are allowed) or an
///     `avcC` AVCDecoderConfigurationRecord (a source's codecpar extradata);
///   - HEVC: Annex B (VPS/SPS/PPS ...) or an `hvcC` HEVCDecoderConfigurationRecord;
///   - AV1: low-overhead OBUs (a sequence header OBU, possibly after a temporal
///     delimiter; what encoders emit) or an `av1C` AV1CodecConfigurationRecord.
///   For a stream-copied source whose codecpar extradata is empty (some MPEG-TS
///   inputs), an Annex B key-frame packet that carries the parameter sets works too:
///   NAL units other than the SPS are skipped.
/// @return
///   - H.264 `avc1.PPCCLL` (profile_idc, constraint-flag byte, level_idc; lower-case hex);
///   - HEVC `hvc1.[A-C]<profile>.<compat flags reversed, hex>.<L|H><level>[.<constraint
///     byte>...]` per ISO/IEC 14496-15 Annex E, trailing zero constraint bytes dropped.
///     The prefix is `hvc1`, so the CMAF muxer must write an `hvc1` sample entry
///     (parameter sets only in `hvcC`), which is also what Apple players require;
///   - AV1 `av01.<profile>.<level:02><M|H>.<bitdepth:02>` per the AV1 ISO-BMFF binding,
///     with the optional `.<mono>.<subsampling>.<cp>.<tc>.<mc>.<range>` tail appended
///     only when the sequence header signals values other than that binding's
///     defaults (4:2:0, BT.709, limited range); an absent colour description does
///     not count as different.
///   An error (Errc::corrupt_input, stage "package") naming what is missing or
///   malformed; Errc::invalid_argument for an unknown codec or empty extradata.
Result<std::string> video_codec_string(int32_t vtc_codec, std::span<const uint8_t> extradata);

/// The codec string of an audio stream.
///
/// @param codec_name FFmpeg's codec name (`avcodec_get_name()`): "aac", "ac3", "eac3",
///                   "opus", "mp3", "flac".
/// @param extradata  for AAC, the AudioSpecificConfig when known (its object type
///                   is used: `mp4a.40.<aot>`); empty means AAC-LC (`mp4a.40.2`),
///                   which is what our own audio encoder produces. Ignored otherwise.
/// @return `mp4a.40.<aot>`, `ac-3`, `ec-3`, `opus`, `mp4a.40.34` or `fLaC`; an error
///         (Errc::unsupported) for a codec with no registered string, or
///         (Errc::corrupt_input) for an AudioSpecificConfig that cannot be read.
Result<std::string> audio_codec_string(std::string_view codec_name,
                                       std::span<const uint8_t> extradata = {});

} // namespace vtc::detail
