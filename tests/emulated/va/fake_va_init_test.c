/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The emulated VA-API device comes up through plain libva: a VADisplay on the
 * fake render node (argv[1]) initialises with the fake driver, reports H.264
 * encoding, enforces FAKE_VA_MAX_CONTEXTS=1 (set by meson) with
 * VA_STATUS_ERROR_MAX_NUM_EXCEEDED on the second context, and refuses misuse
 * (short parameter buffers, packed headers it never advertised, unpaired
 * map/unmap, surfaces with a live derived image).
 */
#include <va/va.h>
#include <va/va_drm.h>
#include <va/va_enc_h264.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

static void expect(int condition, const char *what) {
    if (!condition) {
        fprintf(stderr, "FAIL: %s\n", what);
        ++failures;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fake-va-init-test RENDER_NODE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        fprintf(stderr, "FAIL: cannot open %s\n", argv[1]);
        return 1;
    }
    VADisplay display = vaGetDisplayDRM(fd);
    if (display == NULL) {
        fprintf(stderr, "FAIL: vaGetDisplayDRM refused %s (is the interposer preloaded?)\n",
                argv[1]);
        return 1;
    }
    int major = 0;
    int minor = 0;
    VAStatus status = vaInitialize(display, &major, &minor);
    if (status != VA_STATUS_SUCCESS) {
        fprintf(stderr, "FAIL: vaInitialize: %s\n", vaErrorStr(status));
        return 1;
    }
    const char *vendor = vaQueryVendorString(display);
    expect(vendor != NULL && strstr(vendor, "fake") != NULL, "vendor string names the fake driver");

    VAProfile profiles[16];
    int count = 0;
    expect(vaMaxNumProfiles(display) <= 16, "profile count fits");
    status = vaQueryConfigProfiles(display, profiles, &count);
    int h264_high = 0;
    for (int i = 0; i < count; ++i) {
        h264_high |= profiles[i] == VAProfileH264High;
    }
    expect(status == VA_STATUS_SUCCESS && h264_high, "H.264 High is offered");

    VAConfigAttrib attribs[2] = {{VAConfigAttribEncPackedHeaders, 0},
                                 {VAConfigAttribEncMaxRefFrames, 0}};
    status = vaGetConfigAttributes(display, VAProfileH264High, VAEntrypointEncSlice, attribs, 2);
    expect(status == VA_STATUS_SUCCESS && attribs[0].value == VA_ENC_PACKED_HEADER_NONE,
           "no packed headers are advertised");
    expect(attribs[1].value >> 16 == 0, "no L1 references (no B-frames) are advertised");

    VAConfigID config = VA_INVALID_ID;
    status = vaCreateConfig(display, VAProfileH264High, VAEntrypointEncSlice, NULL, 0, &config);
    expect(status == VA_STATUS_SUCCESS, "vaCreateConfig");
    VAContextID first = VA_INVALID_ID;
    VAContextID second = VA_INVALID_ID;
    status = vaCreateContext(display, config, 64, 64, VA_PROGRESSIVE, NULL, 0, &first);
    expect(status == VA_STATUS_SUCCESS, "the first context is created");
    status = vaCreateContext(display, config, 64, 64, VA_PROGRESSIVE, NULL, 0, &second);
    expect(status == VA_STATUS_ERROR_MAX_NUM_EXCEEDED,
           "the second context hits FAKE_VA_MAX_CONTEXTS=1");

    /* The driver refuses misuse the way a strict real driver would. */
    VABufferID buffer = VA_INVALID_ID;
    status = vaCreateBuffer(display, first, VAEncPictureParameterBufferType,
                            sizeof(VAEncPictureParameterBufferH264) - 1, 1, NULL, &buffer);
    expect(status == VA_STATUS_ERROR_INVALID_PARAMETER, "a short picture parameter buffer");
    status = vaCreateBuffer(display, first, VAEncPackedHeaderParameterBufferType,
                            sizeof(VAEncPackedHeaderParameterBuffer), 1, NULL, &buffer);
    expect(status == VA_STATUS_ERROR_UNSUPPORTED_BUFFERTYPE, "packed headers not advertised");
    expect(vaEndPicture(display, first) == VA_STATUS_ERROR_OPERATION_FAILED,
           "vaEndPicture without vaBeginPicture");
    VABufferID coded = VA_INVALID_ID;
    expect(vaCreateBuffer(display, first, VAEncCodedBufferType, 4096, 1, NULL, &coded) ==
               VA_STATUS_SUCCESS,
           "a coded buffer");
    void *mapped = NULL;
    expect(vaMapBuffer(display, coded, &mapped) == VA_STATUS_SUCCESS && mapped != NULL,
           "mapping the coded buffer");
    expect(((VACodedBufferSegment *)mapped)->size == 0 &&
               ((VACodedBufferSegment *)mapped)->next == NULL,
           "an unused coded buffer maps to one empty segment");
    expect(vaMapBuffer(display, coded, &mapped) == VA_STATUS_ERROR_OPERATION_FAILED,
           "mapping twice");
    expect(vaDestroyBuffer(display, coded) == VA_STATUS_ERROR_OPERATION_FAILED,
           "destroying a mapped buffer");
    expect(vaUnmapBuffer(display, coded) == VA_STATUS_SUCCESS, "vaUnmapBuffer");
    expect(vaUnmapBuffer(display, coded) == VA_STATUS_ERROR_OPERATION_FAILED, "unmapping twice");
    expect(vaDestroyBuffer(display, coded) == VA_STATUS_SUCCESS, "vaDestroyBuffer");
    VASurfaceID surface = VA_INVALID_SURFACE;
    expect(vaCreateSurfaces(display, VA_RT_FORMAT_YUV420, 64, 64, &surface, 1, NULL, 0) ==
               VA_STATUS_SUCCESS,
           "a surface");
    VAImage image;
    expect(vaDeriveImage(display, surface, &image) == VA_STATUS_SUCCESS &&
               image.format.fourcc == VA_FOURCC_NV12,
           "an NV12 derived image");
    expect(vaBeginPicture(display, first, surface) == VA_STATUS_ERROR_SURFACE_BUSY,
           "encoding a surface while its derived image lives");
    expect(vaDestroySurfaces(display, &surface, 1) == VA_STATUS_ERROR_SURFACE_BUSY,
           "destroying a surface while its derived image lives");
    expect(vaDestroyImage(display, image.image_id) == VA_STATUS_SUCCESS, "vaDestroyImage");
    expect(vaDestroySurfaces(display, &surface, 1) == VA_STATUS_SUCCESS, "vaDestroySurfaces");

    expect(vaDestroyContext(display, first) == VA_STATUS_SUCCESS, "vaDestroyContext");
    status = vaCreateContext(display, config, 64, 64, VA_PROGRESSIVE, NULL, 0, &second);
    expect(status == VA_STATUS_SUCCESS, "a context is free again after vaDestroyContext");
    vaDestroyContext(display, second);
    vaDestroyConfig(display, config);
    vaTerminate(display);
    close(fd);
    if (failures == 0) {
        printf("fake VA driver: VA-API %d.%d, all checks passed\n", major, minor);
    }
    return failures == 0 ? 0 : 1;
}
