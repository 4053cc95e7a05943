/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * @file vtc_plugin.h
 * @brief Start here: the ABI version, the plugin descriptor and the one
 *        exported entry point of a vtranscode encoder plugin.
 *
 * A plugin is a shared object named `vtc-<name>.so` that exports exactly one
 * symbol, vtc_plugin_entry(). The host (libvtranscode) finds it on its search
 * path (VTC_PLUGIN_PATH, then the installed plugin directory), loads it with
 * RTLD_NOW, calls the entry with its own ABI version and validates the
 * descriptor it gets back before using anything in it.
 *
 * Versioning. The ABI version is VTC_PLUGIN_ABI_MAJOR.VTC_PLUGIN_ABI_MINOR.
 *  - A minor release only appends: new struct members, new vtable members, new
 *    enumeration values, new flags. Each is marked "Since 1.N" and recorded in
 *    CHANGES.md next to this header.
 *  - A host accepts a plugin with the same major and a minor no newer than its
 *    own. A plugin built for 1.0 therefore loads in a 1.3 host, and one built
 *    for 1.3 is refused by a 1.0 host with a message saying so.
 *  - Anything else (removing, reordering or retyping a member, changing a
 *    meaning) is a new major, installed in a separate plugin directory
 *    (`<libdir>/vtranscode-<major>`).
 *
 * This header includes the whole ABI: vtc_types.h, vtc_host.h, vtc_encoder.h.
 */
#ifndef VTRANSCODE_PLUGIN_VTC_PLUGIN_H
#define VTRANSCODE_PLUGIN_VTC_PLUGIN_H

#include "vtc_encoder.h"
#include "vtc_host.h"
#include "vtc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Incompatible changes bump the major; the host refuses any other major. */
#define VTC_PLUGIN_ABI_MAJOR 1
/** Appended members bump the minor; see CHANGES.md. */
#define VTC_PLUGIN_ABI_MINOR 1

/** Name of the only symbol a plugin exports. */
#define VTC_PLUGIN_ENTRY_SYMBOL "vtc_plugin_entry"

/** Marks the entry point for export (the plugin's linker version script then
 *  hides everything else). */
#if defined(_WIN32)
#define VTC_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define VTC_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define VTC_PLUGIN_EXPORT
#endif

/** Suggested vtc_encoder_info::rank values (higher wins; 0 = never chosen
 *  automatically, only by explicit request). */
#define VTC_RANK_NONE 0
#define VTC_RANK_MARGINAL 64
#define VTC_RANK_SECONDARY 128 /**< software encoders */
#define VTC_RANK_PRIMARY 256   /**< hardware encoders */

/**
 * One encoder offered by a plugin.
 *
 * Ownership: static data of the plugin, valid until the module is unloaded.
 */
struct vtc_encoder_info {
    uint32_t struct_size;  /**< sizeof(struct vtc_encoder_info) as the plugin compiled it */
    int32_t codec;         /**< enum vtc_codec this encoder produces */
    /** Unique id across all plugins, "<plugin>-<codec>" by convention
     *  ("x264-h264", "nvenc-hevc"); characters [a-z0-9._-]. The host refuses a
     *  second encoder with an id it already has. */
    const char *id;
    /** One line for people ("x264 H.264 software encoder"). */
    const char *description;
    /** The functions; static data of the plugin. */
    const struct vtc_encoder_vtbl *vtbl;
    /** Preference among encoders of one codec (VTC_RANK_*); the host may
     *  override it (VTC_ENCODER_RANKS). */
    int32_t rank;
    uint32_t _pad0;
};

/**
 * What a plugin returns from vtc_plugin_entry().
 *
 * Ownership: static data of the plugin, valid until the module is unloaded.
 * The host validates, in this order: struct_size is at least the ABI 1.0 size
 * and not larger than the host knows for the plugin's minor; abi_major equals
 * the host's and abi_minor is not newer; name, version and license are
 * non-empty; name equals the file name without "vtc-" and ".so"; the license is
 * acceptable to the host; every encoder has a valid struct_size, codec, id and
 * a vtable with every required member, and no id is already taken.
 */
struct vtc_plugin_descriptor {
    uint32_t struct_size; /**< sizeof(struct vtc_plugin_descriptor) as the plugin compiled it */
    uint16_t abi_major;   /**< VTC_PLUGIN_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;   /**< VTC_PLUGIN_ABI_MINOR the plugin was built against */
    /** Short name, [a-z0-9_]; must match the file: "x264" for vtc-x264.so. */
    const char *name;
    /** The plugin's own version ("1.2.0"). */
    const char *version;
    /** SPDX licence expression ("GPL-2.0-or-later", "BSD-3-Clause"). A host
     *  built without GPL support refuses GPL-licensed plugins. */
    const char *license;
    /** One line for people. */
    const char *description;
    /** encoder_count pointers to encoder descriptions. */
    const struct vtc_encoder_info *const *encoders;
    uint32_t encoder_count;
    uint32_t _pad0;
};

/**
 * The entry point every plugin exports, under the name VTC_PLUGIN_ENTRY_SYMBOL.
 *
 * @param host_abi_major  the host's VTC_PLUGIN_ABI_MAJOR.
 * @param host_abi_minor  the host's VTC_PLUGIN_ABI_MINOR.
 * @return the plugin's descriptor, or NULL when the plugin cannot work with
 *         that host at all (the host then skips it with a log line). The
 *         plugin reports the ABI it was built for in the descriptor; refusing
 *         a mismatch is the host's job.
 *
 * Called once per load, from the loading thread, before any other call. It must
 * be cheap and side-effect free: no device is opened here (that is what
 * query_caps() is for), no thread is started, nothing is printed.
 */
typedef const struct vtc_plugin_descriptor *(*vtc_plugin_entry_fn)(uint32_t host_abi_major,
                                                                    uint32_t host_abi_minor);

/** Prototype of the entry point, for the plugin's own definition. */
VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry(uint32_t host_abi_major,
                                                                        uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* VTRANSCODE_PLUGIN_VTC_PLUGIN_H */
