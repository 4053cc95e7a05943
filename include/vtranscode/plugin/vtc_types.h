/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * @file vtc_types.h
 * @brief Plain data types shared by the vtranscode host and its encoder plugins.
 *
 * This header is part of the plugin ABI. It is C99 and self-contained: it needs
 * only <stddef.h> and <stdint.h>, and it compiles unchanged as C++.
 *
 * Rules that hold for every struct in the plugin ABI (see docs/plugin-authoring.md):
 *  - The first member is `uint32_t struct_size`, set by whoever fills the struct
 *    to `sizeof` the struct as *it* was compiled. Readers test optional members
 *    with VTC_HAS_FIELD() before touching them.
 *  - Members are only ever appended. Appended members carry a "Since 1.N" note.
 *  - No struct has implicit padding: where alignment would insert some, an
 *    explicit `_padN` member is written instead, and those are never reused
 *    (a reused pad would make VTC_HAS_FIELD() lie for older producers).
 *  - Enumerations travel as `int32_t`. Every "choice" enumeration starts with
 *    an UNSET value of 0 that is never valid, so a zeroed struct is detectably
 *    incomplete. vtc_status is the exception: 0 means success.
 *  - Bit sets travel as `uint32_t` or `uint64_t`; VTC_BIT(n) is bit n.
 */
#ifndef VTRANSCODE_PLUGIN_VTC_TYPES_H
#define VTRANSCODE_PLUGIN_VTC_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bit @p n of a capability bit set (for example VTC_BIT(VTC_CODEC_HEVC)). */
#define VTC_BIT(n) (1ull << (n))

/**
 * True when the producer of `*s` (declared as `type`) filled `field`.
 *
 * Structs only grow at the end, so a member is present exactly when the
 * producer's `struct_size` reaches past it. Use it for every member that is
 * marked "Since 1.N" with N greater than the minor you require.
 */
#ifdef __cplusplus
#define VTC_HAS_FIELD(s, type, field)                                                             \
    ((s)->struct_size >= offsetof(type, field) + sizeof(type::field))
#else
#define VTC_HAS_FIELD(s, type, field)                                                             \
    ((s)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))
#endif

/* ------------------------------------------------------------------------- */
/* Status codes                                                              */
/* ------------------------------------------------------------------------- */

/**
 * Result of every ABI call that can fail.
 *
 * Zero is success, positive values are flow states (not errors: the caller is
 * expected to react and continue), negative values are errors. A function
 * documents the subset it may return; any other negative value must be
 * treated as VTC_ERR_INTERNAL by the caller, so new error codes can be added
 * in a minor release.
 */
typedef int32_t vtc_status;

enum vtc_status_code {
    /** Success. */
    VTC_OK = 0,

    /** Flow: receive_packet() has no packet now; send more frames first. */
    VTC_NEED_INPUT = 1,
    /** Flow: receive_packet() after drain(): every packet has been returned. */
    VTC_END_OF_STREAM = 2,
    /** Flow: send_frame() did not take the frame because output is waiting;
     *  call receive_packet() until VTC_NEED_INPUT, then send the same frame again. */
    VTC_OUTPUT_PENDING = 3,

    /** An argument is NULL, out of range, or inconsistent with the config. */
    VTC_ERR_INVALID_ARG = -1,
    /** The request is valid but this encoder cannot do it (codec, profile,
     *  pixel format, size, rate-control mode, option). */
    VTC_ERR_UNSUPPORTED = -2,
    /** An allocation failed. */
    VTC_ERR_NO_MEMORY = -3,
    /** The hardware or driver this encoder needs is not present. */
    VTC_ERR_NO_DEVICE = -4,
    /** The device is present but has no free encode session (session limit). */
    VTC_ERR_DEVICE_BUSY = -5,
    /** The device went away or reset during use; the instance is unusable. */
    VTC_ERR_DEVICE_LOST = -6,
    /** The host's cancellation check (vtc_host::is_cancelled) asked to stop. */
    VTC_ERR_CANCELLED = -7,
    /** The call is not allowed in the instance's current state (for example
     *  send_frame() after drain()). */
    VTC_ERR_INVALID_STATE = -8,
    /** A failure inside the plugin or its library that fits no other code. */
    VTC_ERR_INTERNAL = -9
};

/** True for VTC_OK and the flow states; false for errors. */
#define VTC_STATUS_IS_ERROR(s) ((s) < 0)

/**
 * Stable, human-readable name of a status code ("VTC_ERR_NO_DEVICE").
 * Returns "VTC_ERR_UNKNOWN" for values this header does not know.
 * The returned string is static. Thread-safe.
 */
static inline const char *vtc_status_name(vtc_status status) {
    switch (status) {
    case VTC_OK: return "VTC_OK";
    case VTC_NEED_INPUT: return "VTC_NEED_INPUT";
    case VTC_END_OF_STREAM: return "VTC_END_OF_STREAM";
    case VTC_OUTPUT_PENDING: return "VTC_OUTPUT_PENDING";
    case VTC_ERR_INVALID_ARG: return "VTC_ERR_INVALID_ARG";
    case VTC_ERR_UNSUPPORTED: return "VTC_ERR_UNSUPPORTED";
    case VTC_ERR_NO_MEMORY: return "VTC_ERR_NO_MEMORY";
    case VTC_ERR_NO_DEVICE: return "VTC_ERR_NO_DEVICE";
    case VTC_ERR_DEVICE_BUSY: return "VTC_ERR_DEVICE_BUSY";
    case VTC_ERR_DEVICE_LOST: return "VTC_ERR_DEVICE_LOST";
    case VTC_ERR_CANCELLED: return "VTC_ERR_CANCELLED";
    case VTC_ERR_INVALID_STATE: return "VTC_ERR_INVALID_STATE";
    case VTC_ERR_INTERNAL: return "VTC_ERR_INTERNAL";
    default: return "VTC_ERR_UNKNOWN";
    }
}

/* ------------------------------------------------------------------------- */
/* Enumerations (stored in int32_t members)                                  */
/* ------------------------------------------------------------------------- */

/** Output codec of an encoder. */
enum vtc_codec {
    VTC_CODEC_UNSET = 0,
    VTC_CODEC_H264 = 1, /**< ITU-T H.264 / AVC */
    VTC_CODEC_HEVC = 2, /**< ITU-T H.265 / HEVC */
    VTC_CODEC_AV1 = 3   /**< AOMedia AV1 */
};

/**
 * Layout of an uncompressed picture in system memory.
 * 10-bit formats store each sample in 16 bits, little-endian.
 */
enum vtc_pixel_format {
    VTC_PIXEL_FORMAT_UNSET = 0,
    VTC_PIXEL_FORMAT_I420 = 1,    /**< 8-bit 4:2:0, three planes Y, U, V */
    VTC_PIXEL_FORMAT_NV12 = 2,    /**< 8-bit 4:2:0, plane Y and interleaved UV */
    VTC_PIXEL_FORMAT_I420_10 = 3, /**< 10-bit 4:2:0, three planes, value in the low 10 bits */
    VTC_PIXEL_FORMAT_P010 = 4     /**< 10-bit 4:2:0, Y and UV planes, value in the high 10 bits */
};

/** Where the pixels of a frame live. */
enum vtc_memory_type {
    VTC_MEMORY_UNSET = 0,
    VTC_MEMORY_SYSTEM = 1,    /**< CPU memory: vtc_frame::planes / strides */
    VTC_MEMORY_CUDA = 2,      /**< CUDA device memory: vtc_frame::hw_handle is a CUdeviceptr */
    VTC_MEMORY_VA_SURFACE = 3 /**< VA-API surface: vtc_frame::hw_handle is a VASurfaceID */
};

/** Rate-control mode requested in vtc_encoder_config::rate_control. */
enum vtc_rate_control {
    VTC_RATE_CONTROL_UNSET = 0,
    /** Constant quantiser: `quality` is the QP. */
    VTC_RATE_CONTROL_CQP = 1,
    /** Constant quality (x264/x265 CRF, SVT-AV1 CRF, NVENC CQ): `quality` is the value. */
    VTC_RATE_CONTROL_CRF = 2,
    /** Constant quality capped by a VBV: `quality`, `max_bitrate_kbps` and
     *  `vbv_buffer_kbits` (VLog's `-crf 23 -maxrate B -bufsize 2B`). */
    VTC_RATE_CONTROL_CAPPED_CRF = 3,
    /** Average bitrate `bitrate_kbps`, peaks up to `max_bitrate_kbps`. */
    VTC_RATE_CONTROL_VBR = 4,
    /** Constant bitrate `bitrate_kbps`. */
    VTC_RATE_CONTROL_CBR = 5
};

/** Codec profile. Values are unique across codecs so one bit set can list them. */
enum vtc_profile {
    VTC_PROFILE_UNSET = 0, /**< in a config: the encoder's default for the pixel format */
    VTC_PROFILE_H264_BASELINE = 1,
    VTC_PROFILE_H264_MAIN = 2,
    VTC_PROFILE_H264_HIGH = 3,
    VTC_PROFILE_H264_HIGH10 = 4,
    VTC_PROFILE_HEVC_MAIN = 5,
    VTC_PROFILE_HEVC_MAIN10 = 6,
    VTC_PROFILE_AV1_MAIN = 7
};

/** Severity passed to vtc_host::log. Lower is more severe. */
enum vtc_log_level {
    VTC_LOG_ERROR = 1,
    VTC_LOG_WARNING = 2,
    VTC_LOG_INFO = 3,
    VTC_LOG_DEBUG = 4,
    VTC_LOG_TRACE = 5
};

/* ------------------------------------------------------------------------- */
/* Plain structs                                                             */
/* ------------------------------------------------------------------------- */

/** A rational number num/den. {0, 1} means "unknown" where a field allows it. */
struct vtc_rational {
    int32_t num;
    int32_t den;
};

/** vtc_frame::flags: start a new closed GOP with an IDR / key frame here, so a
 *  segment can begin at this frame. Honoured when the encoder reports
 *  VTC_ENCODER_CAP_FORCED_KEYFRAME. */
#define VTC_FRAME_FORCE_KEYFRAME (1u << 0)

/**
 * One uncompressed picture handed to vtc_encoder_vtbl::send_frame.
 *
 * Ownership: the host owns the struct and the pixels. They are borrowed for the
 * duration of the send_frame() call only; a plugin that needs the picture later
 * (lookahead, B-frames) copies it before returning.
 */
struct vtc_frame {
    uint32_t struct_size;  /**< sizeof(struct vtc_frame) as the host compiled it */
    int32_t pixel_format;  /**< enum vtc_pixel_format; equals the config's */
    uint32_t width;        /**< in pixels; equals the config's */
    uint32_t height;       /**< in pixels; equals the config's */
    int32_t memory_type;   /**< enum vtc_memory_type; equals the config's */
    uint32_t flags;        /**< VTC_FRAME_* bits */
    int64_t pts;           /**< presentation time in vtc_encoder_config::time_base;
                                strictly increasing from frame to frame */
    int64_t duration;      /**< in time_base units; 0 when unknown (then the encoder
                                assumes 1 / frame_rate) */
    /** VTC_MEMORY_SYSTEM: start of each plane (unused planes are NULL). */
    const uint8_t *planes[4];
    /** VTC_MEMORY_SYSTEM: bytes from one row to the next in each plane. */
    int32_t strides[4];
    /** Hardware memory: the surface handle (see enum vtc_memory_type); 0 otherwise. */
    uint64_t hw_handle;
};

/** vtc_packet::flags: a random-access point (IDR for H.264/HEVC, key frame with
 *  sequence header for AV1). A segment may start at this packet. */
#define VTC_PACKET_KEYFRAME (1u << 0)
/** vtc_packet::flags: no other frame references this one; it may be dropped. */
#define VTC_PACKET_DISPOSABLE (1u << 1)

/**
 * One compressed access unit returned by vtc_encoder_vtbl::receive_packet.
 *
 * Bitstream format:
 *  - H.264 and HEVC: Annex B byte stream (start codes). Every VTC_PACKET_KEYFRAME
 *    packet carries the parameter sets (SPS/PPS, plus VPS for HEVC) in-band, so
 *    a segment that starts there decodes on its own.
 *  - AV1: low-overhead OBU format (AV1 spec §5); a key-frame packet carries the
 *    sequence header OBU. Temporal delimiter OBUs may be present.
 *
 * Timestamps are in vtc_encoder_config::time_base. `pts` is the pts of the
 * frame that produced the packet. `dts` strictly increases from packet to packet
 * and never exceeds `pts`; with B-frames the first dts values lie before the
 * first pts (they may be negative).
 *
 * Ownership: the host zero-fills the struct and sets struct_size; the plugin
 * fills it. `data` belongs to the plugin and stays valid until the next call on
 * the same encoder instance (of any function) or destroy(); the host copies it.
 */
struct vtc_packet {
    uint32_t struct_size;  /**< set by the host */
    uint32_t flags;        /**< VTC_PACKET_* bits */
    const uint8_t *data;   /**< the access unit; never NULL when size > 0 */
    uint64_t size;         /**< bytes at data; > 0 for every returned packet */
    int64_t pts;           /**< presentation time */
    int64_t dts;           /**< decode time */
    int64_t duration;      /**< in time_base units; 0 when unknown */
};

#ifdef __cplusplus
}
#endif

#endif /* VTRANSCODE_PLUGIN_VTC_TYPES_H */
