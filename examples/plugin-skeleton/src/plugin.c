/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: MIT */

/*
 * plugin.c: the descriptor and the entry point, and nothing else. Every
 * vtranscode plugin has this shape: this file says *what* the plugin offers,
 * skeleton_encoder.c does the work.
 *
 * The VTC_PLUGIN_n numbers refer to the policy in docs/plugin-authoring.md.
 */
#include "skeleton_encoder.h"

#include <vtranscode/plugin/vtc_plugin.h>

/* The list of encoders: an array of pointers, static data of the plugin. */
static const struct vtc_encoder_info *const skeleton_encoders[] = {
    &skeleton_h264_encoder_info,
};

static const struct vtc_plugin_descriptor skeleton_descriptor = {
    /* VTC_PLUGIN_5: struct_size first, set to sizeof as *this* plugin was
     * compiled. A newer host reads only what this size covers. */
    .struct_size = sizeof(struct vtc_plugin_descriptor),
    /* VTC_PLUGIN_4: the ABI this file was compiled against, straight from the
     * installed headers. Never write numbers here by hand. */
    .abi_major = VTC_PLUGIN_ABI_MAJOR,
    .abi_minor = VTC_PLUGIN_ABI_MINOR,
    /* VTC_PLUGIN_2: the name must equal the file name between "vtc-" and
     * ".so": this plugin is vtc-skeleton.so. */
    .name = "skeleton",
    .version = "1.0.0",
    /* VTC_PLUGIN_7: an SPDX licence expression; the host checks it. */
    .license = "MIT",
    .description = "Teaching example: lossless H.264 I_PCM encoder written against the C ABI",
    .encoders = skeleton_encoders,
    .encoder_count = (uint32_t)(sizeof skeleton_encoders / sizeof skeleton_encoders[0]),
    /* Members not named here (_pad0) are zero, as explicit padding must be. */
};

/*
 * VTC_PLUGIN_1: the one symbol the plugin exports. VTC_PLUGIN_EXPORT makes it
 * visible even under -fvisibility=hidden, and skeleton.map lists it as the only
 * global symbol.
 *
 * VTC_PLUGIN_3: the entry is cheap and has no side effects: it returns a
 * pointer to static data, opens nothing, starts nothing, prints nothing.
 *
 * VTC_PLUGIN_4: the host passes its own ABI version. A plugin built for 1.0
 * works with every 1.x host, so this one always answers; refusing another
 * major or a newer minor is the host's job, made possible by the abi_major and
 * abi_minor the descriptor carries. Return NULL only when you know you cannot
 * serve the host at all.
 */
VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry(uint32_t host_abi_major,
                                                                       uint32_t host_abi_minor) {
    (void)host_abi_major;
    (void)host_abi_minor;
    return &skeleton_descriptor;
}
