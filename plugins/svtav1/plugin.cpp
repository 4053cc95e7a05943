// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The vtc-svtav1 plugin: its descriptor and entry point, nothing else. The
// plugin code is LGPL-2.1-or-later; libSvtAv1Enc itself is BSD-3-Clause-Clear.
#include "svtav1_encoder.hpp"

VTC_PLUGIN_DEFINE(svtav1, "1.0.0", "LGPL-2.1-or-later",
                  "SVT-AV1 AV1 software encoder (plugin LGPL-2.1-or-later, libSvtAv1Enc "
                  "BSD-3-Clause-Clear)",
                  vtc::plugins::svtav1::SvtAv1Encoder)
