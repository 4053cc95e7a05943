// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// vtc-x265.so: the descriptor and the one exported entry point.
#include "x265_encoder.hpp"

VTC_PLUGIN_DEFINE(x265, VTC_X265_PLUGIN_VERSION, "GPL-2.0-or-later", "x265 HEVC software encoder",
                  vtc::x265_plugin::X265Encoder)
