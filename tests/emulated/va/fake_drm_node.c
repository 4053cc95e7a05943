/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * TEST-ONLY interposer (LD_PRELOAD) that lets libva open a VA display on a
 * machine without /dev/dri.
 *
 * Why it is needed (libva 2.17, va/drm/va_drm.c): vaGetDisplayDRM(fd) first
 * asks libdrm for the node type, drmGetNodeTypeFromFd(fd). libdrm only
 * accepts a character device whose /sys/dev/char/MAJ:MIN/device/drm exists,
 * so /dev/null, a pipe or a regular file all make vaGetDisplayDRM() return
 * NULL, and FFmpeg's VAAPI device (libavutil/hwcontext_vaapi.c) then fails
 * with "Cannot open a VA display from DRM device". FFmpeg's `driver` option
 * (vaSetDriverName) does not help, because it applies only after a display
 * exists. Everything after vaGetDisplayDRM() is fine without DRM:
 * vaInitialize() asks the display for the driver name (drmGetVersion() fails
 * on a non-DRM fd), but LIBVA_DRIVER_NAME overrides that failure, and the
 * driver is then dlopen()ed from LIBVA_DRIVERS_PATH. A render node needs no
 * DRM authentication, so nothing else touches the fd.
 *
 * So the one missing piece is the node type: this library defines
 * drmGetNodeTypeFromFd() and answers DRM_NODE_RENDER for a *fake render node*,
 * a regular file that starts with FAKE_VA_NODE_MAGIC (the tests write one
 * into the build tree). Every other fd goes to libdrm's own function, so a
 * process with this library preloaded still sees real devices as they are.
 * Preloaded objects come first in the global symbol scope, so libva-drm's
 * call resolves here even when libva is loaded later by dlopen() (a plugin).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_VA_NODE_MAGIC "vtranscode fake VA render node\n"
/* libdrm's xf86drm.h value; not included so this builds without libdrm-dev. */
#define FAKE_DRM_NODE_RENDER 2

__attribute__((visibility("default"))) int drmGetNodeTypeFromFd(int fd);

int drmGetNodeTypeFromFd(int fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        char head[sizeof(FAKE_VA_NODE_MAGIC) - 1];
        if (pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
            memcmp(head, FAKE_VA_NODE_MAGIC, sizeof head) == 0) {
            return FAKE_DRM_NODE_RENDER;
        }
    }
    /* memcpy, not a cast: ISO C has no object-to-function pointer conversion. */
    void *symbol = dlsym(RTLD_NEXT, "drmGetNodeTypeFromFd");
    int (*real)(int) = NULL;
    memcpy(&real, &symbol, sizeof real);
    return real != NULL ? real(fd) : -1;
}
