/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A configurable fake encoder plugin in plain C, for the loader tests. Built
 * once per variant (tests/plugins/fake/meson.build); each FAKE_* macro breaks
 * exactly one rule of the ABI contract. Without any of them it is a valid
 * plugin whose one encoder turns every frame into an 8-byte packet holding
 * the frame's pts, so sessions can be driven end to end.
 *
 * FAKE_NAME (required)       plugin name, a bare identifier; the file is vtc-FAKE_NAME.so
 * FAKE_DESCRIPTOR_NAME       the name written into the descriptor (default FAKE_NAME)
 * FAKE_ENCODER_ID            encoder id string (default "FAKE_NAME-h264")
 * FAKE_ABI_MAJOR/MINOR       ABI version claimed by the descriptor
 * FAKE_DESCRIPTOR_SIZE       descriptor struct_size
 * FAKE_ENCODER_INFO_SIZE     encoder info struct_size
 * FAKE_CODEC                 encoder codec value
 * FAKE_LICENSE               licence string (default "MIT")
 * FAKE_NULL_DESCRIPTOR       the entry returns NULL
 * FAKE_NO_ENTRY              the entry point is exported under another name
 * FAKE_MISSING_RECEIVE       vtable member receive_packet is NULL
 * FAKE_ENTRY_CRASH           the entry point dereferences NULL (SIGSEGV)
 * FAKE_CAPS_CRASH            query_caps dereferences NULL (SIGSEGV)
 * FAKE_CAPS_HANG             query_caps sleeps for a minute
 * FAKE_NO_DEVICE             query_caps reports VTC_ERR_NO_DEVICE
 * FAKE_CAPS_SIZE             caps struct_size the plugin reports (default: this
 *                            header's sizeof; 64 is what a 1.0 plugin reports)
 * FAKE_DEVICE_NAME           query_caps writes this into caps->device_name, even
 *                            when FAKE_CAPS_SIZE says it was not filled
 * FAKE_HOSTILE_DEVICE_NAME   the device name has a tab and a byte that is not UTF-8
 */
#define _POSIX_C_SOURCE 200809L

#include <vtranscode/plugin/vtc_plugin.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE_STR2(x) #x
#define FAKE_STR(x) FAKE_STR2(x)

#ifndef FAKE_NAME
#error "FAKE_NAME must name the plugin"
#endif
#ifndef FAKE_DESCRIPTOR_NAME
#define FAKE_DESCRIPTOR_NAME FAKE_STR(FAKE_NAME)
#endif
#ifndef FAKE_ENCODER_ID
#define FAKE_ENCODER_ID FAKE_STR(FAKE_NAME) "-h264"
#endif
#ifndef FAKE_ABI_MAJOR
#define FAKE_ABI_MAJOR VTC_PLUGIN_ABI_MAJOR
#endif
#ifndef FAKE_ABI_MINOR
#define FAKE_ABI_MINOR VTC_PLUGIN_ABI_MINOR
#endif
#ifdef FAKE_HOSTILE_DEVICE_NAME
#define FAKE_DEVICE_NAME "Fake\tGPU \xff 8\xc2\xb0"
#endif
#ifndef FAKE_CAPS_SIZE
#define FAKE_CAPS_SIZE sizeof(struct vtc_encoder_caps)
#endif
#ifndef FAKE_DESCRIPTOR_SIZE
#define FAKE_DESCRIPTOR_SIZE sizeof(struct vtc_plugin_descriptor)
#endif
#ifndef FAKE_ENCODER_INFO_SIZE
#define FAKE_ENCODER_INFO_SIZE sizeof(struct vtc_encoder_info)
#endif
#ifndef FAKE_CODEC
#define FAKE_CODEC VTC_CODEC_H264
#endif
#ifndef FAKE_LICENSE
#define FAKE_LICENSE "MIT"
#endif

/* Read through a volatile pointer so the compiler cannot prove it NULL and
 * turn the crash into a trap instruction (SIGILL): the tests expect SIGSEGV. */
#if defined(FAKE_ENTRY_CRASH) || defined(FAKE_CAPS_CRASH)
static int *volatile fake_null_pointer = NULL;
static void fake_crash(void) {
    *fake_null_pointer = 1;
}
#endif

struct fake_encoder {
    int64_t pending_pts;
    int has_pending;
    int draining;
    int frames_seen;
    int keyframe;
    uint8_t payload[8];
};

static void fake_error(char *buf, uint32_t size, const char *text) {
    if (buf != NULL && size > 0) {
        strncpy(buf, text, size - 1);
        buf[size - 1] = '\0';
    }
}

static vtc_status fake_query_caps(const struct vtc_host *host, struct vtc_encoder_caps *caps,
                                  char *error_buf, uint32_t error_buf_size) {
    (void)host;
#ifdef FAKE_CAPS_CRASH
    fake_crash();
#endif
#ifdef FAKE_CAPS_HANG
    sleep(60);
#endif
#ifdef FAKE_NO_DEVICE
    (void)caps;
    fake_error(error_buf, error_buf_size, "no fake device here");
    return VTC_ERR_NO_DEVICE;
#else
    if (caps == NULL || caps->struct_size < sizeof(struct vtc_encoder_caps)) {
        fake_error(error_buf, error_buf_size, "caps is NULL or too small");
        return VTC_ERR_INVALID_ARG;
    }
    caps->struct_size = (uint32_t)(FAKE_CAPS_SIZE);
#ifdef FAKE_DEVICE_NAME
    strncpy(caps->device_name, FAKE_DEVICE_NAME, sizeof(caps->device_name) - 1);
#endif
    caps->codec = FAKE_CODEC;
    caps->profiles = (uint32_t)VTC_BIT(VTC_PROFILE_H264_HIGH);
    caps->bit_depths = (uint32_t)VTC_BIT_DEPTH_8;
    caps->pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420);
    caps->memory_types = (uint32_t)VTC_BIT(VTC_MEMORY_SYSTEM);
    caps->rate_control_modes = (uint32_t)VTC_BIT(VTC_RATE_CONTROL_CRF);
    caps->min_width = 16;
    caps->min_height = 16;
    caps->max_width = 4096;
    caps->max_height = 4096;
    caps->size_alignment = 2;
    caps->max_sessions = 0;
    caps->flags = VTC_ENCODER_CAP_FORCED_KEYFRAME;
    return VTC_OK;
#endif
}

static vtc_status fake_create(const struct vtc_host *host, const struct vtc_encoder_config *config,
                              vtc_encoder **out, char *error_buf, uint32_t error_buf_size) {
    struct fake_encoder *enc;
    if (out != NULL) {
        *out = NULL;
    }
    if (host == NULL || config == NULL || out == NULL) {
        fake_error(error_buf, error_buf_size, "create: NULL argument");
        return VTC_ERR_INVALID_ARG;
    }
    enc = (struct fake_encoder *)calloc(1, sizeof(*enc));
    if (enc == NULL) {
        fake_error(error_buf, error_buf_size, "out of memory");
        return VTC_ERR_NO_MEMORY;
    }
    *out = (vtc_encoder *)enc;
    return VTC_OK;
}

static void fake_destroy(vtc_encoder *enc) {
    free(enc);
}

static vtc_status fake_get_extradata(vtc_encoder *enc, const uint8_t **data, uint64_t *size) {
    (void)enc;
    (void)data;
    (void)size;
    return VTC_ERR_UNSUPPORTED;
}

static vtc_status fake_send_frame(vtc_encoder *opaque, const struct vtc_frame *frame) {
    struct fake_encoder *enc = (struct fake_encoder *)opaque;
    if (enc == NULL || frame == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    if (enc->draining) {
        return VTC_ERR_INVALID_STATE;
    }
    if (enc->has_pending) {
        return VTC_OUTPUT_PENDING;
    }
    enc->pending_pts = frame->pts;
    enc->has_pending = 1;
    enc->keyframe = enc->frames_seen == 0 || (frame->flags & VTC_FRAME_FORCE_KEYFRAME) != 0;
    enc->frames_seen++;
    return VTC_OK;
}

static vtc_status fake_drain(vtc_encoder *opaque) {
    struct fake_encoder *enc = (struct fake_encoder *)opaque;
    if (enc == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    enc->draining = 1;
    return VTC_OK;
}

#ifndef FAKE_MISSING_RECEIVE
static vtc_status fake_receive_packet(vtc_encoder *opaque, struct vtc_packet *packet) {
    struct fake_encoder *enc = (struct fake_encoder *)opaque;
    int i;
    if (enc == NULL || packet == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    if (!enc->has_pending) {
        return enc->draining ? VTC_END_OF_STREAM : VTC_NEED_INPUT;
    }
    for (i = 0; i < 8; ++i) {
        enc->payload[i] = (uint8_t)((uint64_t)enc->pending_pts >> (8 * i));
    }
    packet->flags = enc->keyframe ? VTC_PACKET_KEYFRAME : 0;
    packet->data = enc->payload;
    packet->size = sizeof(enc->payload);
    packet->pts = enc->pending_pts;
    packet->dts = enc->pending_pts;
    packet->duration = 0;
    enc->has_pending = 0;
    return VTC_OK;
}
#endif

static const char *fake_last_error(const vtc_encoder *enc) {
    return enc == NULL ? "last_error: encoder is NULL" : "";
}

static const struct vtc_encoder_vtbl fake_vtbl = {
    sizeof(struct vtc_encoder_vtbl),
    0,
    fake_query_caps,
    fake_create,
    fake_destroy,
    fake_get_extradata,
    fake_send_frame,
    fake_drain,
#ifdef FAKE_MISSING_RECEIVE
    NULL,
#else
    fake_receive_packet,
#endif
    fake_last_error,
};

static const struct vtc_encoder_info fake_encoder_info = {
    (uint32_t)(FAKE_ENCODER_INFO_SIZE),
    FAKE_CODEC,
    FAKE_ENCODER_ID,
    "fake " FAKE_STR(FAKE_NAME) " encoder for loader tests",
    &fake_vtbl,
    VTC_RANK_SECONDARY,
    0,
};

static const struct vtc_encoder_info *const fake_encoders[] = {&fake_encoder_info};

static const struct vtc_plugin_descriptor fake_descriptor = {
    (uint32_t)(FAKE_DESCRIPTOR_SIZE),
    FAKE_ABI_MAJOR,
    FAKE_ABI_MINOR,
    FAKE_DESCRIPTOR_NAME,
    "0.0.1",
    FAKE_LICENSE,
    "fake plugin for loader tests",
    fake_encoders,
    1,
    0,
};

#ifdef FAKE_NO_ENTRY
/* Exported, but under a name the host does not look for. */
VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry_v0(uint32_t host_abi_major,
                                                                          uint32_t host_abi_minor);
VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry_v0(uint32_t host_abi_major,
                                                                          uint32_t host_abi_minor)
#else
VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry(uint32_t host_abi_major,
                                                                       uint32_t host_abi_minor)
#endif
{
    (void)host_abi_major;
    (void)host_abi_minor;
    (void)fake_descriptor;
#ifdef FAKE_ENTRY_CRASH
    fake_crash();
#endif
#ifdef FAKE_NULL_DESCRIPTOR
    return NULL;
#else
    return &fake_descriptor;
#endif
}
