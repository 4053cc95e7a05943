/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Emulated libcuda.so.1 for the NVENC plugin tests. TEST-ONLY, never installed.
 *
 * nv-codec-headers' cuda_load_functions() resolves every symbol of its table
 * unconditionally (dynlink_loader.h, LOAD_SYMBOL), so all of them are exported
 * here. The plugin uses only device discovery and context management; those
 * behave like the real driver, including its refusals:
 *  - cuInit(flags != 0) is CUDA_ERROR_INVALID_VALUE, like the driver;
 *  - every other call before cuInit() is CUDA_ERROR_NOT_INITIALIZED;
 *  - FAKE_NVENC_NO_DEVICE=1 makes cuInit() answer CUDA_ERROR_NO_DEVICE, what
 *    a machine with the driver but no GPU (or a hidden one) answers;
 *  - FAKE_NVENC_DEVICE_COUNT=N (default 1) devices exist;
 *  - contexts are real objects: a stale or foreign CUcontext is
 *    CUDA_ERROR_INVALID_CONTEXT, and destroying a context that still has NVENC
 *    sessions on it is reported as a misuse and aborts (the real driver tears
 *    the sessions down under the client's feet).
 * Everything else is a stub answering CUDA_ERROR_NOT_SUPPORTED: the plugin
 * must never call it (it copies frames through NVENC's own input buffers).
 */
#include "fake_cuda.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

enum {
    kSuccess = 0,
    kInvalidValue = 1,
    kNotInitialized = 3,
    kNoDevice = 100,
    kInvalidDevice = 101,
    kInvalidContext = 201,
    kNotSupported = 801
};

#define kContextMagic 0x43545846u /* "FXTC" */
#define kMaxContexts 256
#define kStackDepth 16

struct fake_context {
    unsigned magic;
    int device;
    int sessions;
};

static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static int g_initialised;
static struct fake_context *g_contexts[kMaxContexts];
static __thread struct fake_context *t_stack[kStackDepth];
static __thread int t_depth;

static int device_count(void) {
    const char *text = getenv("FAKE_NVENC_DEVICE_COUNT");
    return text != NULL && *text != '\0' ? atoi(text) : 1;
}

static int env_flag(const char *name) {
    const char *text = getenv(name);
    return text != NULL && *text != '\0' && strcmp(text, "0") != 0;
}

void fake_cuda_violation(const char *text) {
    fprintf(stderr, "fake-nvenc: driver misuse: %s\n", text);
    fflush(stderr);
    abort();
}

/* Caller holds g_mutex. */
static int context_index(const void *ctx) {
    for (int i = 0; i < kMaxContexts; ++i) {
        if (ctx != NULL && g_contexts[i] == ctx) {
            return i;
        }
    }
    return -1;
}

int fake_cuda_context_is_live(const void *ctx) {
    pthread_mutex_lock(&g_mutex);
    const int live = context_index(ctx) >= 0;
    pthread_mutex_unlock(&g_mutex);
    return live;
}

void fake_cuda_context_add_session(const void *ctx, int delta) {
    pthread_mutex_lock(&g_mutex);
    const int index = context_index(ctx);
    if (index >= 0) {
        g_contexts[index]->sessions += delta;
    }
    pthread_mutex_unlock(&g_mutex);
}

const void *fake_cuda_current_context(void) {
    return t_depth > 0 ? t_stack[t_depth - 1] : NULL;
}

EXPORT int cuInit(unsigned int flags) {
    if (flags != 0) {
        return kInvalidValue;
    }
    if (env_flag("FAKE_NVENC_NO_DEVICE")) {
        return kNoDevice;
    }
    pthread_mutex_lock(&g_mutex);
    g_initialised = 1;
    pthread_mutex_unlock(&g_mutex);
    return kSuccess;
}

static int initialised(void) {
    pthread_mutex_lock(&g_mutex);
    const int done = g_initialised;
    pthread_mutex_unlock(&g_mutex);
    return done;
}

EXPORT int cuDriverGetVersion(int *version) {
    if (version == NULL) {
        return kInvalidValue;
    }
    *version = 12000;
    return kSuccess;
}

EXPORT int cuDeviceGetCount(int *count) {
    if (!initialised()) {
        return kNotInitialized;
    }
    if (count == NULL) {
        return kInvalidValue;
    }
    *count = device_count();
    return kSuccess;
}

EXPORT int cuDeviceGet(int *device, int ordinal) {
    if (!initialised()) {
        return kNotInitialized;
    }
    if (device == NULL) {
        return kInvalidValue;
    }
    if (ordinal < 0 || ordinal >= device_count()) {
        return kInvalidDevice;
    }
    *device = ordinal;
    return kSuccess;
}

EXPORT int cuDeviceGetName(char *name, int length, int device) {
    if (!initialised()) {
        return kNotInitialized;
    }
    if (name == NULL || length <= 0) {
        return kInvalidValue;
    }
    if (device < 0 || device >= device_count()) {
        return kInvalidDevice;
    }
    snprintf(name, (size_t)length, "Emulated NVENC GPU %d", device);
    return kSuccess;
}

EXPORT int cuCtxCreate_v2(void **ctx, unsigned int flags, int device) {
    (void)flags;
    if (!initialised()) {
        return kNotInitialized;
    }
    if (ctx == NULL) {
        return kInvalidValue;
    }
    if (device < 0 || device >= device_count()) {
        return kInvalidDevice;
    }
    struct fake_context *created = calloc(1, sizeof *created);
    if (created == NULL) {
        return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
    }
    created->magic = kContextMagic;
    created->device = device;
    pthread_mutex_lock(&g_mutex);
    int slot = -1;
    for (int i = 0; i < kMaxContexts && slot < 0; ++i) {
        if (g_contexts[i] == NULL) {
            slot = i;
        }
    }
    if (slot >= 0) {
        g_contexts[slot] = created;
    }
    pthread_mutex_unlock(&g_mutex);
    if (slot < 0 || t_depth >= kStackDepth) {
        free(created);
        return 2;
    }
    /* The driver makes the new context current on the calling thread. */
    t_stack[t_depth++] = created;
    *ctx = created;
    return kSuccess;
}

EXPORT int cuCtxPushCurrent_v2(void *ctx) {
    if (!fake_cuda_context_is_live(ctx)) {
        return kInvalidContext;
    }
    if (t_depth >= kStackDepth) {
        fake_cuda_violation("cuCtxPushCurrent without matching pops (context stack overflow)");
    }
    t_stack[t_depth++] = ctx;
    return kSuccess;
}

EXPORT int cuCtxPopCurrent_v2(void **ctx) {
    if (t_depth == 0) {
        return kInvalidContext;
    }
    --t_depth;
    if (ctx != NULL) {
        *ctx = t_stack[t_depth];
    }
    return kSuccess;
}

EXPORT int cuCtxGetCurrent(void **ctx) {
    if (ctx == NULL) {
        return kInvalidValue;
    }
    *ctx = t_depth > 0 ? t_stack[t_depth - 1] : NULL;
    return kSuccess;
}

EXPORT int cuCtxGetDevice(int *device) {
    if (device == NULL) {
        return kInvalidValue;
    }
    if (t_depth == 0) {
        return kInvalidContext;
    }
    *device = t_stack[t_depth - 1]->device;
    return kSuccess;
}

EXPORT int cuCtxDestroy_v2(void *ctx) {
    pthread_mutex_lock(&g_mutex);
    const int index = context_index(ctx);
    if (index < 0) {
        pthread_mutex_unlock(&g_mutex);
        return kInvalidContext;
    }
    struct fake_context *gone = g_contexts[index];
    if (gone->sessions != 0) {
        pthread_mutex_unlock(&g_mutex);
        fake_cuda_violation("cuCtxDestroy on a context that still has NVENC sessions");
    }
    g_contexts[index] = NULL;
    pthread_mutex_unlock(&g_mutex);
    for (int i = 0; i < t_depth; ++i) {
        if (t_stack[i] == gone) {
            fake_cuda_violation("cuCtxDestroy on a context that is current on this thread");
        }
    }
    gone->magic = 0;
    free(gone);
    return kSuccess;
}

static const char *error_name(int error) {
    switch (error) {
    case kSuccess:
        return "CUDA_SUCCESS";
    case kInvalidValue:
        return "CUDA_ERROR_INVALID_VALUE";
    case kNotInitialized:
        return "CUDA_ERROR_NOT_INITIALIZED";
    case kNoDevice:
        return "CUDA_ERROR_NO_DEVICE";
    case kInvalidDevice:
        return "CUDA_ERROR_INVALID_DEVICE";
    case kInvalidContext:
        return "CUDA_ERROR_INVALID_CONTEXT";
    case kNotSupported:
        return "CUDA_ERROR_NOT_SUPPORTED";
    default:
        return NULL;
    }
}

EXPORT int cuGetErrorName(int error, const char **text) {
    if (text == NULL) {
        return kInvalidValue;
    }
    *text = error_name(error);
    return *text != NULL ? kSuccess : kInvalidValue;
}

EXPORT int cuGetErrorString(int error, const char **text) {
    return cuGetErrorName(error, text);
}

/* Loaded by ffnvcodec, never called by the plugin. */
#define STUB(name)                                                                                 \
    EXPORT int name(void);                                                                         \
    int name(void) {                                                                               \
        return kNotSupported;                                                                      \
    }

STUB(cuDeviceGetAttribute)
STUB(cuDeviceComputeCapability)
STUB(cuCtxSetLimit)
STUB(cuMemAlloc_v2)
STUB(cuMemAllocPitch_v2)
STUB(cuMemAllocManaged)
STUB(cuMemsetD8Async)
STUB(cuMemFree_v2)
STUB(cuMemcpy)
STUB(cuMemcpyAsync)
STUB(cuMemcpy2D_v2)
STUB(cuMemcpy2DAsync_v2)
STUB(cuMemcpyHtoD_v2)
STUB(cuMemcpyHtoDAsync_v2)
STUB(cuMemcpyDtoH_v2)
STUB(cuMemcpyDtoHAsync_v2)
STUB(cuMemcpyDtoD_v2)
STUB(cuMemcpyDtoDAsync_v2)
STUB(cuDevicePrimaryCtxRetain)
STUB(cuDevicePrimaryCtxRelease)
STUB(cuDevicePrimaryCtxSetFlags)
STUB(cuDevicePrimaryCtxGetState)
STUB(cuDevicePrimaryCtxReset)
STUB(cuStreamCreate)
STUB(cuStreamQuery)
STUB(cuStreamSynchronize)
STUB(cuStreamDestroy_v2)
STUB(cuStreamAddCallback)
STUB(cuStreamWaitEvent)
STUB(cuEventCreate)
STUB(cuEventDestroy_v2)
STUB(cuEventSynchronize)
STUB(cuEventQuery)
STUB(cuEventRecord)
STUB(cuLaunchKernel)
STUB(cuLinkCreate)
STUB(cuLinkAddData)
STUB(cuLinkComplete)
STUB(cuLinkDestroy)
STUB(cuModuleLoadData)
STUB(cuModuleUnload)
STUB(cuModuleGetFunction)
STUB(cuModuleGetGlobal)
STUB(cuTexObjectCreate)
STUB(cuTexObjectDestroy)
STUB(cuGLGetDevices_v2)
STUB(cuGraphicsGLRegisterImage)
STUB(cuGraphicsUnregisterResource)
STUB(cuGraphicsMapResources)
STUB(cuGraphicsUnmapResources)
STUB(cuGraphicsSubResourceGetMappedArray)
STUB(cuGraphicsResourceGetMappedPointer_v2)
STUB(cuArrayCreate_v2)
STUB(cuArray3DCreate_v2)
STUB(cuArrayDestroy)
