// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-qsv.so: the descriptor and the one exported entry point.
#include "qsv_encoder.hpp"

VTC_PLUGIN_DEFINE(qsv, VTC_QSV_PLUGIN_VERSION, "LGPL-2.1-or-later",
                  "Intel Quick Sync encoders through oneVPL 2.x",
                  vtc::qsv_plugin::QsvEncoder<VTC_CODEC_H264>,
                  vtc::qsv_plugin::QsvEncoder<VTC_CODEC_HEVC>,
                  vtc::qsv_plugin::QsvEncoder<VTC_CODEC_AV1>)
