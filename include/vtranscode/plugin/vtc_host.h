/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * @file vtc_host.h
 * @brief Services the host lends to a plugin: logging, cancellation, devices.
 *
 * Part of the plugin ABI (C99). Host services are data, not globals: the host
 * passes a `const struct vtc_host *` into query_caps() and create(), and a
 * plugin reaches the host only through it. New services are added by appending
 * members (check them with VTC_HAS_FIELD) or by new type strings for
 * get_service(), so no function signature ever changes for them.
 */
#ifndef VTRANSCODE_PLUGIN_VTC_HOST_H
#define VTRANSCODE_PLUGIN_VTC_HOST_H

#include "vtc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** get_service() type string: the CUDA context (`CUcontext`) the host decodes
 *  with, so an NVENC encoder can share it. */
#define VTC_SERVICE_CUDA_CONTEXT "vtc.cuda.context"
/** get_service() type string: the `VADisplay` the host opened for the device
 *  named in vtc_encoder_config::device. */
#define VTC_SERVICE_VA_DISPLAY "vtc.va.display"
/** get_service() type string: an `mfxLoader` the host created (oneVPL). */
#define VTC_SERVICE_VPL_LOADER "vtc.vpl.loader"

/**
 * The host's services.
 *
 * Ownership and lifetime: the host owns the struct. The pointer passed to
 * query_caps() is valid for that call only. The pointer passed to create() stays
 * valid until destroy() of the instance it created returns, so an encoder may
 * keep it.
 *
 * Threading: every function here is thread-safe and may be called from any
 * thread, including threads the plugin's codec library creates internally.
 * None of them blocks for long.
 */
struct vtc_host {
    uint32_t struct_size; /**< sizeof(struct vtc_host) as the host compiled it */
    /** Most detailed enum vtc_log_level the host will keep; a plugin may skip
     *  formatting messages above it. Always at least VTC_LOG_ERROR. */
    int32_t log_level;
    /** Opaque first argument of every function below. */
    void *ctx;

    /**
     * Writes one log line.
     * @param ctx      vtc_host::ctx
     * @param level    enum vtc_log_level
     * @param message  UTF-8, NUL-terminated, one line without a trailing newline;
     *                 borrowed for the call. The host prefixes the plugin's name.
     * Plugins never write to stdout or stderr themselves.
     */
    void (*log)(void *ctx, int32_t level, const char *message);

    /**
     * Asks whether the job this call belongs to has been cancelled.
     * @return 0 to carry on; non-zero when the host wants the work stopped. A
     *         plugin that sees non-zero during a long operation returns
     *         VTC_ERR_CANCELLED from the current call as soon as it can.
     * Cheap (an atomic load); may be polled often.
     */
    int32_t (*is_cancelled)(void *ctx);

    /**
     * Looks up a device or context the host owns, by type string
     * (VTC_SERVICE_*).
     * @return the object, borrowed: it stays valid as long as this vtc_host
     *         pointer does, and the plugin never frees it. NULL when the host
     *         has no such service; the plugin then opens its own device or
     *         returns VTC_ERR_NO_DEVICE.
     */
    const void *(*get_service)(void *ctx, const char *type);
};

#ifdef __cplusplus
}
#endif

#endif /* VTRANSCODE_PLUGIN_VTC_HOST_H */
