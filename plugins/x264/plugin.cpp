// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// vtc-x264.so: the descriptor and the one exported entry point.
#include "x264_encoder.hpp"

VTC_PLUGIN_DEFINE(x264, VTC_X264_PLUGIN_VERSION, "GPL-2.0-or-later", "x264 H.264 software encoder",
                  vtc::x264_plugin::X264Encoder)
