// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-vaapi.so: the descriptor and the one exported entry point.
#include "vaapi_encoder.hpp"

namespace {
using H264 = vtc::vaapi_plugin::VaapiCodecEncoder<VTC_CODEC_H264>;
using Hevc = vtc::vaapi_plugin::VaapiCodecEncoder<VTC_CODEC_HEVC>;
using Av1 = vtc::vaapi_plugin::VaapiCodecEncoder<VTC_CODEC_AV1>;
} // namespace

VTC_PLUGIN_DEFINE(vaapi, VTC_VAAPI_PLUGIN_VERSION, "LGPL-2.1-or-later",
                  "VA-API hardware encoders through FFmpeg (h264_vaapi, hevc_vaapi, av1_vaapi)",
                  H264, Hevc, Av1)
