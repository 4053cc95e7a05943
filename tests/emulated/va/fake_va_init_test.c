/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The emulated VA-API device comes up through plain libva: a VADisplay on the
 * fake render node (argv[1]) initialises with the fake driver, reports H.264
 * encoding, and enforces FAKE_VA_MAX_CONTEXTS=1 (set by meson) with
 * VA_STATUS_ERROR_MAX_NUM_EXCEEDED on the second context.
 */
#include <va/va.h>
#include <va/va_drm.h>

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
