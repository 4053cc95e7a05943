/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Pins the layout of every struct of the plugin ABI. The numbers are the ABI:
 * a change that moves one of them breaks every plugin already built. Members
 * appended in a later minor add lines here; no existing line ever changes.
 *
 * Checked on LP64 targets (x86_64 and aarch64 share these numbers); elsewhere
 * the test says so and reports "skipped" (exit 77).
 */
#include <vtranscode/plugin/vtc_plugin.h>

#include <stdio.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define VTC_LAYOUT_CHECKED 1

#define SIZE_IS(type, n) _Static_assert(sizeof(type) == (n), "sizeof(" #type ") changed")
#define OFFSET_IS(type, field, n)                                                                  \
    _Static_assert(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") changed")
#define M(type, field) sizeof(((type *)0)->field)
#define NO_PADDING(type, sum) _Static_assert((sum) == sizeof(type), #type " has implicit padding")

/* vtc_types.h */
SIZE_IS(struct vtc_rational, 8);
OFFSET_IS(struct vtc_rational, num, 0);
OFFSET_IS(struct vtc_rational, den, 4);
NO_PADDING(struct vtc_rational, M(struct vtc_rational, num) + M(struct vtc_rational, den));

SIZE_IS(struct vtc_frame, 96);
OFFSET_IS(struct vtc_frame, struct_size, 0);
OFFSET_IS(struct vtc_frame, pixel_format, 4);
OFFSET_IS(struct vtc_frame, width, 8);
OFFSET_IS(struct vtc_frame, height, 12);
OFFSET_IS(struct vtc_frame, memory_type, 16);
OFFSET_IS(struct vtc_frame, flags, 20);
OFFSET_IS(struct vtc_frame, pts, 24);
OFFSET_IS(struct vtc_frame, duration, 32);
OFFSET_IS(struct vtc_frame, planes, 40);
OFFSET_IS(struct vtc_frame, strides, 72);
OFFSET_IS(struct vtc_frame, hw_handle, 88);
NO_PADDING(struct vtc_frame, M(struct vtc_frame, struct_size) + M(struct vtc_frame, pixel_format) +
                                 M(struct vtc_frame, width) + M(struct vtc_frame, height) +
                                 M(struct vtc_frame, memory_type) + M(struct vtc_frame, flags) +
                                 M(struct vtc_frame, pts) + M(struct vtc_frame, duration) +
                                 M(struct vtc_frame, planes) + M(struct vtc_frame, strides) +
                                 M(struct vtc_frame, hw_handle));

SIZE_IS(struct vtc_packet, 48);
OFFSET_IS(struct vtc_packet, struct_size, 0);
OFFSET_IS(struct vtc_packet, flags, 4);
OFFSET_IS(struct vtc_packet, data, 8);
OFFSET_IS(struct vtc_packet, size, 16);
OFFSET_IS(struct vtc_packet, pts, 24);
OFFSET_IS(struct vtc_packet, dts, 32);
OFFSET_IS(struct vtc_packet, duration, 40);
NO_PADDING(struct vtc_packet, M(struct vtc_packet, struct_size) + M(struct vtc_packet, flags) +
                                  M(struct vtc_packet, data) + M(struct vtc_packet, size) +
                                  M(struct vtc_packet, pts) + M(struct vtc_packet, dts) +
                                  M(struct vtc_packet, duration));

/* vtc_host.h */
SIZE_IS(struct vtc_host, 40);
OFFSET_IS(struct vtc_host, struct_size, 0);
OFFSET_IS(struct vtc_host, log_level, 4);
OFFSET_IS(struct vtc_host, ctx, 8);
OFFSET_IS(struct vtc_host, log, 16);
OFFSET_IS(struct vtc_host, is_cancelled, 24);
OFFSET_IS(struct vtc_host, get_service, 32);
NO_PADDING(struct vtc_host, M(struct vtc_host, struct_size) + M(struct vtc_host, log_level) +
                                M(struct vtc_host, ctx) + M(struct vtc_host, log) +
                                M(struct vtc_host, is_cancelled) + M(struct vtc_host, get_service));

/* vtc_encoder.h */
SIZE_IS(struct vtc_encoder_caps, 192);
OFFSET_IS(struct vtc_encoder_caps, struct_size, 0);
OFFSET_IS(struct vtc_encoder_caps, codec, 4);
OFFSET_IS(struct vtc_encoder_caps, profiles, 8);
OFFSET_IS(struct vtc_encoder_caps, bit_depths, 12);
OFFSET_IS(struct vtc_encoder_caps, pixel_formats, 16);
OFFSET_IS(struct vtc_encoder_caps, memory_types, 24);
OFFSET_IS(struct vtc_encoder_caps, rate_control_modes, 28);
OFFSET_IS(struct vtc_encoder_caps, min_width, 32);
OFFSET_IS(struct vtc_encoder_caps, min_height, 36);
OFFSET_IS(struct vtc_encoder_caps, max_width, 40);
OFFSET_IS(struct vtc_encoder_caps, max_height, 44);
OFFSET_IS(struct vtc_encoder_caps, size_alignment, 48);
OFFSET_IS(struct vtc_encoder_caps, max_sessions, 52);
OFFSET_IS(struct vtc_encoder_caps, flags, 56);
OFFSET_IS(struct vtc_encoder_caps, device_name, 64); /* Since 1.1 */
NO_PADDING(struct vtc_encoder_caps,
           M(struct vtc_encoder_caps, struct_size) + M(struct vtc_encoder_caps, codec) +
               M(struct vtc_encoder_caps, profiles) + M(struct vtc_encoder_caps, bit_depths) +
               M(struct vtc_encoder_caps, pixel_formats) +
               M(struct vtc_encoder_caps, memory_types) +
               M(struct vtc_encoder_caps, rate_control_modes) +
               M(struct vtc_encoder_caps, min_width) + M(struct vtc_encoder_caps, min_height) +
               M(struct vtc_encoder_caps, max_width) + M(struct vtc_encoder_caps, max_height) +
               M(struct vtc_encoder_caps, size_alignment) +
               M(struct vtc_encoder_caps, max_sessions) + M(struct vtc_encoder_caps, flags) +
               M(struct vtc_encoder_caps, device_name));

SIZE_IS(struct vtc_encoder_config, 128);
OFFSET_IS(struct vtc_encoder_config, struct_size, 0);
OFFSET_IS(struct vtc_encoder_config, codec, 4);
OFFSET_IS(struct vtc_encoder_config, width, 8);
OFFSET_IS(struct vtc_encoder_config, height, 12);
OFFSET_IS(struct vtc_encoder_config, pixel_format, 16);
OFFSET_IS(struct vtc_encoder_config, memory_type, 20);
OFFSET_IS(struct vtc_encoder_config, time_base, 24);
OFFSET_IS(struct vtc_encoder_config, frame_rate, 32);
OFFSET_IS(struct vtc_encoder_config, sample_aspect_ratio, 40);
OFFSET_IS(struct vtc_encoder_config, profile, 48);
OFFSET_IS(struct vtc_encoder_config, rate_control, 52);
OFFSET_IS(struct vtc_encoder_config, quality, 56);
OFFSET_IS(struct vtc_encoder_config, bitrate_kbps, 60);
OFFSET_IS(struct vtc_encoder_config, max_bitrate_kbps, 64);
OFFSET_IS(struct vtc_encoder_config, vbv_buffer_kbits, 68);
OFFSET_IS(struct vtc_encoder_config, max_keyframe_interval, 72);
OFFSET_IS(struct vtc_encoder_config, max_b_frames, 76);
OFFSET_IS(struct vtc_encoder_config, thread_count, 80);
OFFSET_IS(struct vtc_encoder_config, flags, 84);
OFFSET_IS(struct vtc_encoder_config, color_primaries, 88);
OFFSET_IS(struct vtc_encoder_config, color_transfer, 92);
OFFSET_IS(struct vtc_encoder_config, color_matrix, 96);
OFFSET_IS(struct vtc_encoder_config, color_range, 100);
OFFSET_IS(struct vtc_encoder_config, preset, 104);
OFFSET_IS(struct vtc_encoder_config, device, 112);
OFFSET_IS(struct vtc_encoder_config, options, 120);
NO_PADDING(
    struct vtc_encoder_config,
    M(struct vtc_encoder_config, struct_size) + M(struct vtc_encoder_config, codec) +
        M(struct vtc_encoder_config, width) + M(struct vtc_encoder_config, height) +
        M(struct vtc_encoder_config, pixel_format) + M(struct vtc_encoder_config, memory_type) +
        M(struct vtc_encoder_config, time_base) + M(struct vtc_encoder_config, frame_rate) +
        M(struct vtc_encoder_config, sample_aspect_ratio) + M(struct vtc_encoder_config, profile) +
        M(struct vtc_encoder_config, rate_control) + M(struct vtc_encoder_config, quality) +
        M(struct vtc_encoder_config, bitrate_kbps) +
        M(struct vtc_encoder_config, max_bitrate_kbps) +
        M(struct vtc_encoder_config, vbv_buffer_kbits) +
        M(struct vtc_encoder_config, max_keyframe_interval) +
        M(struct vtc_encoder_config, max_b_frames) + M(struct vtc_encoder_config, thread_count) +
        M(struct vtc_encoder_config, flags) + M(struct vtc_encoder_config, color_primaries) +
        M(struct vtc_encoder_config, color_transfer) + M(struct vtc_encoder_config, color_matrix) +
        M(struct vtc_encoder_config, color_range) + M(struct vtc_encoder_config, preset) +
        M(struct vtc_encoder_config, device) + M(struct vtc_encoder_config, options));

SIZE_IS(struct vtc_encoder_vtbl, 72);
OFFSET_IS(struct vtc_encoder_vtbl, struct_size, 0);
OFFSET_IS(struct vtc_encoder_vtbl, _pad0, 4);
OFFSET_IS(struct vtc_encoder_vtbl, query_caps, 8);
OFFSET_IS(struct vtc_encoder_vtbl, create, 16);
OFFSET_IS(struct vtc_encoder_vtbl, destroy, 24);
OFFSET_IS(struct vtc_encoder_vtbl, get_extradata, 32);
OFFSET_IS(struct vtc_encoder_vtbl, send_frame, 40);
OFFSET_IS(struct vtc_encoder_vtbl, drain, 48);
OFFSET_IS(struct vtc_encoder_vtbl, receive_packet, 56);
OFFSET_IS(struct vtc_encoder_vtbl, last_error, 64);
NO_PADDING(struct vtc_encoder_vtbl,
           M(struct vtc_encoder_vtbl, struct_size) + M(struct vtc_encoder_vtbl, _pad0) +
               M(struct vtc_encoder_vtbl, query_caps) + M(struct vtc_encoder_vtbl, create) +
               M(struct vtc_encoder_vtbl, destroy) + M(struct vtc_encoder_vtbl, get_extradata) +
               M(struct vtc_encoder_vtbl, send_frame) + M(struct vtc_encoder_vtbl, drain) +
               M(struct vtc_encoder_vtbl, receive_packet) + M(struct vtc_encoder_vtbl, last_error));

/* vtc_plugin.h */
SIZE_IS(struct vtc_encoder_info, 40);
OFFSET_IS(struct vtc_encoder_info, struct_size, 0);
OFFSET_IS(struct vtc_encoder_info, codec, 4);
OFFSET_IS(struct vtc_encoder_info, id, 8);
OFFSET_IS(struct vtc_encoder_info, description, 16);
OFFSET_IS(struct vtc_encoder_info, vtbl, 24);
OFFSET_IS(struct vtc_encoder_info, rank, 32);
OFFSET_IS(struct vtc_encoder_info, _pad0, 36);
NO_PADDING(struct vtc_encoder_info,
           M(struct vtc_encoder_info, struct_size) + M(struct vtc_encoder_info, codec) +
               M(struct vtc_encoder_info, id) + M(struct vtc_encoder_info, description) +
               M(struct vtc_encoder_info, vtbl) + M(struct vtc_encoder_info, rank) +
               M(struct vtc_encoder_info, _pad0));

SIZE_IS(struct vtc_plugin_descriptor, 56);
OFFSET_IS(struct vtc_plugin_descriptor, struct_size, 0);
OFFSET_IS(struct vtc_plugin_descriptor, abi_major, 4);
OFFSET_IS(struct vtc_plugin_descriptor, abi_minor, 6);
OFFSET_IS(struct vtc_plugin_descriptor, name, 8);
OFFSET_IS(struct vtc_plugin_descriptor, version, 16);
OFFSET_IS(struct vtc_plugin_descriptor, license, 24);
OFFSET_IS(struct vtc_plugin_descriptor, description, 32);
OFFSET_IS(struct vtc_plugin_descriptor, encoders, 40);
OFFSET_IS(struct vtc_plugin_descriptor, encoder_count, 48);
OFFSET_IS(struct vtc_plugin_descriptor, _pad0, 52);
NO_PADDING(
    struct vtc_plugin_descriptor,
    M(struct vtc_plugin_descriptor, struct_size) + M(struct vtc_plugin_descriptor, abi_major) +
        M(struct vtc_plugin_descriptor, abi_minor) + M(struct vtc_plugin_descriptor, name) +
        M(struct vtc_plugin_descriptor, version) + M(struct vtc_plugin_descriptor, license) +
        M(struct vtc_plugin_descriptor, description) + M(struct vtc_plugin_descriptor, encoders) +
        M(struct vtc_plugin_descriptor, encoder_count) + M(struct vtc_plugin_descriptor, _pad0));

/* Status codes and enumeration values are ABI too. */
_Static_assert(VTC_OK == 0 && VTC_NEED_INPUT == 1 && VTC_END_OF_STREAM == 2 &&
                   VTC_OUTPUT_PENDING == 3,
               "flow states changed");
_Static_assert(VTC_ERR_INVALID_ARG == -1 && VTC_ERR_UNSUPPORTED == -2 && VTC_ERR_NO_MEMORY == -3 &&
                   VTC_ERR_NO_DEVICE == -4 && VTC_ERR_DEVICE_BUSY == -5 &&
                   VTC_ERR_DEVICE_LOST == -6 && VTC_ERR_CANCELLED == -7 &&
                   VTC_ERR_INVALID_STATE == -8 && VTC_ERR_INTERNAL == -9,
               "error codes changed");
_Static_assert(VTC_CODEC_H264 == 1 && VTC_CODEC_HEVC == 2 && VTC_CODEC_AV1 == 3,
               "codec values changed");
_Static_assert(VTC_PIXEL_FORMAT_I420 == 1 && VTC_PIXEL_FORMAT_NV12 == 2 &&
                   VTC_PIXEL_FORMAT_I420_10 == 3 && VTC_PIXEL_FORMAT_P010 == 4,
               "pixel format values changed");
_Static_assert(VTC_MEMORY_SYSTEM == 1 && VTC_MEMORY_CUDA == 2 && VTC_MEMORY_VA_SURFACE == 3,
               "memory type values changed");
_Static_assert(VTC_RATE_CONTROL_CQP == 1 && VTC_RATE_CONTROL_CRF == 2 &&
                   VTC_RATE_CONTROL_CAPPED_CRF == 3 && VTC_RATE_CONTROL_VBR == 4 &&
                   VTC_RATE_CONTROL_CBR == 5,
               "rate control values changed");
#endif

int main(void) {
#ifdef VTC_LAYOUT_CHECKED
    printf("plugin ABI %d.%d: struct sizes, offsets and padding checked at compile time\n",
           VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
    return 0;
#else
    printf("plugin ABI layout is pinned for LP64 (x86_64, aarch64) only: skipped here\n");
    return 77;
#endif
}
