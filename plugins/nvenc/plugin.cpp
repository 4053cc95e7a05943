// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-nvenc.so: the descriptor and the one exported entry point. AV1 is listed
// only when the plugin was built against NVENC API 12 headers or newer.
#include "nvenc_encoder.hpp"

#ifdef VTC_NVENC_HAS_AV1
VTC_PLUGIN_DEFINE(nvenc, VTC_NVENC_PLUGIN_VERSION, "LGPL-2.1-or-later",
                  "NVIDIA NVENC hardware encoders (H.264, HEVC, AV1)", vtc::nvenc_plugin::NvencH264,
                  vtc::nvenc_plugin::NvencHevc, vtc::nvenc_plugin::NvencAv1)
#else
VTC_PLUGIN_DEFINE(nvenc, VTC_NVENC_PLUGIN_VERSION, "LGPL-2.1-or-later",
                  "NVIDIA NVENC hardware encoders (H.264, HEVC)", vtc::nvenc_plugin::NvencH264,
                  vtc::nvenc_plugin::NvencHevc)
#endif
