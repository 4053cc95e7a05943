// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Test support: decodes an elementary stream produced by an encoder plugin with
// libavcodec, so tests check what a real player would see rather than what the
// plugin claims.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vtc::test {

struct DecodedFrame {
    int64_t pts = 0;
    bool is_keyframe = false; ///< libavcodec's key-frame flag (IDR / AV1 key frame)
    char picture_type = '?';  ///< 'I', 'P', 'B' as libavcodec reports it
    int width = 0;
    int height = 0;
    int bit_depth = 0;        ///< bits per luma sample of the decoded picture
};

struct DecodeReport {
    bool ok = false;
    std::string error;                 ///< why decoding failed, when !ok
    std::vector<DecodedFrame> frames;  ///< in presentation order
    int profile = -1;                  ///< AVCodecContext::profile after decoding
    int level = -1;                    ///< AVCodecContext::level after decoding
    std::string codec_name;            ///< "h264", "hevc", "libdav1d"/"av1"
};

/// One compressed access unit as a plugin returned it.
struct EncodedPacket {
    std::vector<uint8_t> data;
    int64_t pts = 0;
    int64_t dts = 0;
    bool is_keyframe = false;
};

/// Decodes @p packets (codec: 1 = H.264, 2 = HEVC, 3 = AV1, as enum vtc_codec)
/// with @p extradata (may be empty) and returns every frame in pts order.
/// Decode errors make the report fail: a conforming stream decodes cleanly.
DecodeReport decode_stream(int codec, const std::vector<uint8_t> &extradata,
                           const std::vector<EncodedPacket> &packets);

} // namespace vtc::test
