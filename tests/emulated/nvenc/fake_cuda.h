/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the emulated libnvidia-encode.so.1 asks the emulated libcuda.so.1
 * (TEST-ONLY). The real encode library is tied to the real CUDA driver the
 * same way: a session lives on a CUDA context. */
#ifndef VTC_FAKE_CUDA_H
#define VTC_FAKE_CUDA_H

#ifdef __cplusplus
extern "C" {
#endif

/** Non-zero when @p ctx is a CUcontext created and not yet destroyed. */
__attribute__((visibility("default"))) int fake_cuda_context_is_live(const void *ctx);
/** Counts NVENC sessions on @p ctx (destroying it with sessions is misuse). */
__attribute__((visibility("default"))) void fake_cuda_context_add_session(const void *ctx,
                                                                          int delta);
/** The CUcontext current on the calling thread, or NULL. */
__attribute__((visibility("default"))) const void *fake_cuda_current_context(void);
/** Reports a misuse the real driver would not survive, on stderr, and aborts. */
__attribute__((visibility("default"), noreturn)) void fake_cuda_violation(const char *text);

#ifdef __cplusplus
}
#endif

#endif
