/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: MIT */

/*
 * skeleton_encoder.h: what plugin.c needs from the encoder, and nothing more.
 */
#ifndef SKELETON_ENCODER_H
#define SKELETON_ENCODER_H

#include <vtranscode/plugin/vtc_plugin.h>

/* The description of the one encoder this plugin offers ("skeleton-h264").
 * A global symbol, so plugin.c can list it; the linker version script keeps it
 * out of the dynamic symbol table all the same (VTC_PLUGIN_1). */
extern const struct vtc_encoder_info skeleton_h264_encoder_info;

#endif /* SKELETON_ENCODER_H */
