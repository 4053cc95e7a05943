/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A minimal C host, compiled by staging_install_test.sh against the *installed*
 * headers: proves that a C99 program with nothing but <vtranscode/plugin/...>
 * can load a plugin, negotiate the ABI and query an encoder.
 *
 *   load_plugin PLUGIN.so EXPECTED_NAME EXPECTED_ENCODER_ID
 *
 * Exit status 0 when every check passes; otherwise 1 with one line on stderr
 * saying which check failed.
 */
#include <vtranscode/plugin/vtc_plugin.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define SIZE_UNTIL(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

static int failed(const char *path, const char *what) {
    fprintf(stderr, "load_plugin: %s: %s\n", path, what);
    return 1;
}

static int non_empty(const char *text) {
    return text != NULL && text[0] != '\0';
}

static void host_log(void *ctx, int32_t level, const char *message) {
    (void)ctx;
    fprintf(stderr, "load_plugin: [plugin log %d] %s\n", (int)level, message);
}

static int32_t host_is_cancelled(void *ctx) {
    (void)ctx;
    return 0;
}

static const void *host_get_service(void *ctx, const char *type) {
    (void)ctx;
    (void)type;
    return NULL;
}

int main(int argc, char **argv) {
    const char *path;
    void *module;
    void *symbol;
    vtc_plugin_entry_fn entry;
    const struct vtc_plugin_descriptor *d;
    const struct vtc_encoder_info *info;
    const struct vtc_encoder_vtbl *vt;
    struct vtc_host host;
    struct vtc_encoder_caps caps;
    char reason[256] = "";

    if (argc != 4) {
        fprintf(stderr, "usage: load_plugin PLUGIN.so EXPECTED_NAME EXPECTED_ENCODER_ID\n");
        return 2;
    }
    path = argv[1];

    module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (module == NULL) {
        return failed(path, dlerror());
    }
    symbol = dlsym(module, VTC_PLUGIN_ENTRY_SYMBOL);
    if (symbol == NULL) {
        return failed(path, "no " VTC_PLUGIN_ENTRY_SYMBOL " symbol");
    }
    /* Object-to-function pointer conversion, as POSIX dlsym() requires. */
    memcpy(&entry, &symbol, sizeof entry);

    d = entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
    if (d == NULL) {
        return failed(path, "entry returned NULL");
    }
    if (d->struct_size < SIZE_UNTIL(struct vtc_plugin_descriptor, encoder_count)) {
        return failed(path, "descriptor struct_size is below the ABI 1.0 size");
    }
    if (d->abi_major != VTC_PLUGIN_ABI_MAJOR || d->abi_minor > VTC_PLUGIN_ABI_MINOR) {
        return failed(path, "descriptor ABI does not match the installed headers");
    }
    if (!non_empty(d->name) || strcmp(d->name, argv[2]) != 0) {
        return failed(path, "descriptor name differs from the expected name");
    }
    if (!non_empty(d->version) || !non_empty(d->license) || !non_empty(d->description)) {
        return failed(path, "descriptor version, license or description is empty");
    }
    if (d->encoder_count != 1 || d->encoders == NULL || d->encoders[0] == NULL) {
        return failed(path, "descriptor does not list exactly one encoder");
    }
    info = d->encoders[0];
    if (info->struct_size < SIZE_UNTIL(struct vtc_encoder_info, rank) || !non_empty(info->id) ||
        strcmp(info->id, argv[3]) != 0 || info->vtbl == NULL) {
        return failed(path, "encoder info is short, has another id, or has no vtable");
    }
    vt = info->vtbl;
    if (vt->struct_size < SIZE_UNTIL(struct vtc_encoder_vtbl, last_error) ||
        vt->query_caps == NULL || vt->create == NULL || vt->destroy == NULL ||
        vt->get_extradata == NULL || vt->send_frame == NULL || vt->drain == NULL ||
        vt->receive_packet == NULL || vt->last_error == NULL) {
        return failed(path, "vtable is short or has a NULL ABI 1.0 member");
    }

    memset(&host, 0, sizeof host);
    host.struct_size = sizeof host;
    host.log_level = VTC_LOG_INFO;
    host.log = host_log;
    host.is_cancelled = host_is_cancelled;
    host.get_service = host_get_service;
    memset(&caps, 0, sizeof caps);
    caps.struct_size = sizeof caps;
    if (vt->query_caps(&host, &caps, reason, sizeof reason) != VTC_OK) {
        return failed(path, reason);
    }
    if (caps.codec != info->codec || caps.pixel_formats == 0 || caps.max_width == 0) {
        return failed(path, "caps do not describe the encoder");
    }

    printf("load_plugin: %s: %s %s (%s), encoder %s codec %d rank %d, caps %ux%u..%ux%u\n", path,
           d->name, d->version, d->license, info->id, (int)info->codec, (int)info->rank,
           (unsigned)caps.min_width, (unsigned)caps.min_height, (unsigned)caps.max_width,
           (unsigned)caps.max_height);
    /* No dlclose(): the process ends here, and unloading is the host's business. */
    return 0;
}
