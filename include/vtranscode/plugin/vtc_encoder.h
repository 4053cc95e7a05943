/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * @file vtc_encoder.h
 * @brief The encoder contract: capabilities, configuration and the vtable.
 *
 * Part of the plugin ABI (C99). An encoder plugin fills one
 * `struct vtc_encoder_vtbl` per encoder it offers and lists it in its
 * descriptor (vtc_plugin.h). The host drives it as follows:
 *
 * @code
 * struct vtc_encoder_caps caps = {0};
 * caps.struct_size = sizeof caps;
 * char err[256];
 * if (vt->query_caps(host, &caps, err, sizeof err) != VTC_OK)
 *     return;                                    // not usable here; err says why
 *
 * struct vtc_encoder_config cfg;
 * vtc_encoder_config_defaults(&cfg);
 * cfg.codec = VTC_CODEC_H264; cfg.width = 1280; cfg.height = 720; ...
 * vtc_encoder *enc = NULL;
 * if (vt->create(host, &cfg, &enc, err, sizeof err) != VTC_OK)
 *     return;                                    // err says why
 *
 * for (each frame f) {
 *     vtc_status s;
 *     while ((s = vt->send_frame(enc, &f)) == VTC_OUTPUT_PENDING)
 *         collect(enc);                          // take packets, then resend f
 *     if (s != VTC_OK) fail(vt->last_error(enc));
 *     collect(enc);
 * }
 * vt->drain(enc);
 * collect(enc);                                   // until VTC_END_OF_STREAM
 * vt->destroy(enc);
 *
 * static vtc_status collect(vtc_encoder *enc) {
 *     for (;;) {
 *         struct vtc_packet pkt = {0};
 *         pkt.struct_size = sizeof pkt;
 *         vtc_status s = vt->receive_packet(enc, &pkt);
 *         if (s == VTC_OK) { write(pkt.data, pkt.size); continue; }
 *         return s;   // VTC_NEED_INPUT, VTC_END_OF_STREAM, or an error
 *     }
 * }
 * @endcode
 *
 * Threading contract (applies to every function in the vtable):
 *  - query_caps() and create() may be called from any thread, concurrently with
 *    each other and with calls on existing instances.
 *  - One instance is used by one thread at a time. The host serialises calls on
 *    an instance, but successive calls may come from different threads.
 *  - destroy() may be called from any thread once no other call on that
 *    instance is running.
 *  - Plugins may run threads of their own; they call back into the host only
 *    through the thread-safe functions of struct vtc_host.
 *
 * No function in this vtable may throw a C++ exception, call exit() or
 * abort(), install signal handlers, or write to stdout/stderr.
 */
#ifndef VTRANSCODE_PLUGIN_VTC_ENCODER_H
#define VTRANSCODE_PLUGIN_VTC_ENCODER_H

#include "vtc_host.h"
#include "vtc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An encoder instance. Opaque; created and destroyed by the plugin. */
typedef struct vtc_encoder vtc_encoder;

/* ------------------------------------------------------------------------- */
/* Capabilities                                                              */
/* ------------------------------------------------------------------------- */

/** caps flag: VTC_FRAME_FORCE_KEYFRAME is honoured exactly on the flagged frame. */
#define VTC_ENCODER_CAP_FORCED_KEYFRAME VTC_BIT(0)
/** caps flag: the encoder can use B-frames (packets then come out of pts order). */
#define VTC_ENCODER_CAP_B_FRAMES VTC_BIT(1)
/** caps flag: get_extradata() returns the parameter sets for out-of-band
 *  carriage (MP4 `avcC`/`hvcC`/`av1C`). */
#define VTC_ENCODER_CAP_EXTRADATA VTC_BIT(2)
/** caps flag: VTC_ENCODER_CONFIG_CLOSED_GOP is honoured. */
#define VTC_ENCODER_CAP_CLOSED_GOP VTC_BIT(3)
/** caps flag: the encoder runs on dedicated hardware (GPU / fixed-function). */
#define VTC_ENCODER_CAP_HARDWARE VTC_BIT(4)
/** caps flag: vtc_encoder_config::thread_count is honoured. */
#define VTC_ENCODER_CAP_THREADS VTC_BIT(5)

/** caps bit_depths: 8 bits per sample. */
#define VTC_BIT_DEPTH_8 VTC_BIT(0)
/** caps bit_depths: 10 bits per sample. */
#define VTC_BIT_DEPTH_10 VTC_BIT(1)
/** caps bit_depths: 12 bits per sample. */
#define VTC_BIT_DEPTH_12 VTC_BIT(2)

/**
 * What an encoder can do on this machine, queried without an instance.
 *
 * Ownership: the host zero-fills the struct, sets struct_size, and the plugin
 * fills the members it knows (it must not write past the host's struct_size).
 * The plugin then sets struct_size to the smaller of the host's value and its own
 * sizeof, so VTC_HAS_FIELD() on the result tells the host what was filled.
 */
struct vtc_encoder_caps {
    uint32_t struct_size;        /**< in: host's sizeof; out: bytes the plugin filled */
    int32_t codec;               /**< enum vtc_codec; equals vtc_encoder_info::codec */
    uint32_t profiles;           /**< VTC_BIT(enum vtc_profile) set */
    uint32_t bit_depths;         /**< VTC_BIT_DEPTH_* set */
    uint64_t pixel_formats;      /**< VTC_BIT(enum vtc_pixel_format) set of accepted input */
    uint32_t memory_types;       /**< VTC_BIT(enum vtc_memory_type) set of accepted input */
    uint32_t rate_control_modes; /**< VTC_BIT(enum vtc_rate_control) set */
    uint32_t min_width;          /**< smallest accepted frame, in pixels */
    uint32_t min_height;
    uint32_t max_width;          /**< largest accepted frame, in pixels */
    uint32_t max_height;
    uint32_t size_alignment;     /**< width and height must be multiples of this (1 = any) */
    uint32_t max_sessions;       /**< concurrent instances the device allows; 0 = no limit */
    uint64_t flags;              /**< VTC_ENCODER_CAP_* set */
    /**
     * Since 1.1. The device this encoder runs on, for people and dashboards
     * ("NVIDIA GeForce RTX 4070", "Intel(R) Arc(TM) B580 Graphics"): UTF-8,
     * NUL-terminated, truncated to fit; all zero (empty) for software encoders
     * or when the device does not say. Written only when the host's struct_size
     * covers it; the host reads it only when VTC_HAS_FIELD() says it was filled
     * and never relies on it for decisions.
     */
    char device_name[128];
};

/* ------------------------------------------------------------------------- */
/* Configuration                                                             */
/* ------------------------------------------------------------------------- */

/** config flag: every GOP is closed (no reference across a keyframe), so
 *  segments decode independently. */
#define VTC_ENCODER_CONFIG_CLOSED_GOP (1u << 0)
/** config flag: the host will call get_extradata() and carry the parameter sets
 *  out of band (MP4). Keyframe packets still carry them in-band as well. */
#define VTC_ENCODER_CONFIG_GLOBAL_HEADER (1u << 1)

/** vtc_encoder_config::quality when the encoder should use its own default. */
#define VTC_QUALITY_DEFAULT (-1)
/** vtc_encoder_config::max_b_frames when the encoder should use its own default. */
#define VTC_B_FRAMES_DEFAULT (-1)

/**
 * How to configure a new encoder instance. Fill it with
 * vtc_encoder_config_defaults() first, then set what the job needs.
 *
 * Ownership: the host owns the struct and every string it points to; they are
 * borrowed for the create() call only (the plugin copies what it keeps).
 *
 * Validation: create() returns VTC_ERR_INVALID_ARG for values that can never
 * be right (zero size, a pixel format of the wrong codec family, an
 * unknown option key) and VTC_ERR_UNSUPPORTED for valid values outside this
 * encoder's caps.
 */
struct vtc_encoder_config {
    uint32_t struct_size;  /**< sizeof(struct vtc_encoder_config) as the host compiled it */
    int32_t codec;         /**< enum vtc_codec; must equal vtc_encoder_info::codec */
    uint32_t width;        /**< coded picture size in pixels, within the caps */
    uint32_t height;
    int32_t pixel_format;  /**< enum vtc_pixel_format of the frames to come */
    int32_t memory_type;   /**< enum vtc_memory_type of the frames to come */
    /** Unit of every pts, dts and duration (for example {1, 90000}). Both > 0. */
    struct vtc_rational time_base;
    /** Nominal frame rate used for rate control and VUI timing; {0, 1} when
     *  the source has none (variable frame rate). */
    struct vtc_rational frame_rate;
    /** Sample (pixel) aspect ratio; {0, 1} when unknown, {1, 1} for square pixels. */
    struct vtc_rational sample_aspect_ratio;
    int32_t profile;       /**< enum vtc_profile; VTC_PROFILE_UNSET = encoder's choice */
    int32_t rate_control;  /**< enum vtc_rate_control; must be set */
    /** CRF / CQ / QP value for the quality-driven modes, on the codec's own
     *  scale (x264 and x265 CRF 0..51, SVT-AV1 CRF 1..63); VTC_QUALITY_DEFAULT
     *  for the encoder's default. */
    int32_t quality;
    uint32_t bitrate_kbps;      /**< VBR/CBR target; 0 when unused */
    uint32_t max_bitrate_kbps;  /**< VBV cap (CAPPED_CRF, VBR); 0 when unused */
    uint32_t vbv_buffer_kbits;  /**< VBV size; 0 = 2 s of max_bitrate_kbps */
    /** Longest distance between keyframes, in frames; 0 = encoder default.
     *  Forced keyframes may come sooner. */
    uint32_t max_keyframe_interval;
    int32_t max_b_frames;       /**< consecutive B-frames, or VTC_B_FRAMES_DEFAULT */
    uint32_t thread_count;      /**< worker threads; 0 = the encoder decides */
    uint32_t flags;             /**< VTC_ENCODER_CONFIG_* set */
    /** Colour description written into the bitstream (VUI / colour config),
     *  as ITU-T H.273 code points; 2 means "unspecified". */
    int32_t color_primaries;
    int32_t color_transfer;
    int32_t color_matrix;
    /** 0 unspecified, 1 limited ("TV") range, 2 full ("PC") range. */
    int32_t color_range;
    /** Encoder-specific speed/quality preset ("medium", "8", "p4"); NULL = default.
     *  An unknown name gives VTC_ERR_INVALID_ARG. */
    const char *preset;
    /** Device to open ("/dev/dri/renderD128", "0" for the first CUDA device);
     *  NULL = the plugin's default. Ignored by software encoders. */
    const char *device;
    /** NULL-terminated array of "key=value" UTF-8 strings for everything else,
     *  or NULL. A key the encoder does not know gives VTC_ERR_INVALID_ARG with
     *  the key named in the error text. */
    const char *const *options;
};

/**
 * Fills @p config with neutral values: struct_size set, every enumeration
 * UNSET (the caller must choose codec, pixel_format, memory_type and
 * rate_control), quality and max_b_frames at their DEFAULT values, colour
 * "unspecified", every pointer NULL. Thread-safe. @p config must not be NULL.
 */
static inline void vtc_encoder_config_defaults(struct vtc_encoder_config *config) {
    config->struct_size = sizeof(*config);
    config->codec = VTC_CODEC_UNSET;
    config->width = 0;
    config->height = 0;
    config->pixel_format = VTC_PIXEL_FORMAT_UNSET;
    config->memory_type = VTC_MEMORY_UNSET;
    config->time_base.num = 0;
    config->time_base.den = 1;
    config->frame_rate.num = 0;
    config->frame_rate.den = 1;
    config->sample_aspect_ratio.num = 0;
    config->sample_aspect_ratio.den = 1;
    config->profile = VTC_PROFILE_UNSET;
    config->rate_control = VTC_RATE_CONTROL_UNSET;
    config->quality = VTC_QUALITY_DEFAULT;
    config->bitrate_kbps = 0;
    config->max_bitrate_kbps = 0;
    config->vbv_buffer_kbits = 0;
    config->max_keyframe_interval = 0;
    config->max_b_frames = VTC_B_FRAMES_DEFAULT;
    config->thread_count = 0;
    config->flags = 0;
    config->color_primaries = 2;
    config->color_transfer = 2;
    config->color_matrix = 2;
    config->color_range = 0;
    config->preset = NULL;
    config->device = NULL;
    config->options = NULL;
}

/* ------------------------------------------------------------------------- */
/* The vtable                                                                */
/* ------------------------------------------------------------------------- */

/**
 * The functions of one encoder. Every member of ABI 1.0 is required (non-NULL);
 * members appended later are optional and must be checked with VTC_HAS_FIELD()
 * and for NULL before use.
 *
 * Error text: query_caps() and create() have no instance yet, so they write a
 * one-line reason into the caller's buffer (`error_buf`, `error_buf_size` bytes,
 * NUL-terminated, truncated if needed; nothing is written when error_buf_size is
 * 0). The other functions leave their reason in last_error().
 */
struct vtc_encoder_vtbl {
    uint32_t struct_size; /**< sizeof(struct vtc_encoder_vtbl) as the plugin compiled it */
    uint32_t _pad0;

    /**
     * Reports what this encoder can do on this machine, without creating an
     * instance. May open and close the device to find out.
     *
     * @param host  services; borrowed for the call. Never NULL when called by
     *              the vtranscode host.
     * @param caps  in/out, see struct vtc_encoder_caps.
     * @return VTC_OK: caps filled, the encoder is usable.
     *         VTC_ERR_NO_DEVICE: the hardware or driver is missing.
     *         VTC_ERR_UNSUPPORTED: the device cannot encode this codec.
     *         VTC_ERR_INVALID_ARG: caps is NULL or its struct_size too small
     *         for the ABI 1.0 members.
     *         Any error writes the reason into error_buf.
     * Threading: any thread, concurrently with everything else.
     */
    vtc_status (*query_caps)(const struct vtc_host *host, struct vtc_encoder_caps *caps,
                             char *error_buf, uint32_t error_buf_size);

    /**
     * Creates an encoder instance.
     *
     * @param host    services; must stay valid until destroy() returns.
     * @param config  borrowed for the call.
     * @param out     receives the new instance on VTC_OK; set to NULL on error.
     * @return VTC_OK: *out is a new instance, owned by the caller, to be released
     *         with destroy().
     *         VTC_ERR_INVALID_ARG: host, config or out is NULL, or a config value
     *         can never be valid.
     *         VTC_ERR_UNSUPPORTED: a valid value this encoder cannot honour.
     *         VTC_ERR_NO_DEVICE, VTC_ERR_DEVICE_BUSY: no device / no free session.
     *         VTC_ERR_NO_MEMORY, VTC_ERR_INTERNAL.
     *         Any error writes the reason into error_buf.
     * Threading: any thread, concurrently with everything else.
     */
    vtc_status (*create)(const struct vtc_host *host, const struct vtc_encoder_config *config,
                         vtc_encoder **out, char *error_buf, uint32_t error_buf_size);

    /**
     * Destroys an instance and frees everything it owns, including the memory
     * of the last packet. NULL-safe. Does not flush: call drain() and collect
     * the packets first if they are wanted.
     * Threading: any thread, once no other call on @p enc is running.
     */
    void (*destroy)(vtc_encoder *enc);

    /**
     * Returns the stream's parameter sets for out-of-band carriage: Annex B
     * SPS/PPS (H.264), VPS/SPS/PPS (HEVC), or the sequence header OBU (AV1).
     *
     * @param data  receives a pointer owned by the instance, valid until
     *              destroy(); the host copies it.
     * @param size  receives the byte count.
     * @return VTC_OK: *data and *size are set (size > 0).
     *         VTC_ERR_UNSUPPORTED: the encoder has no VTC_ENCODER_CAP_EXTRADATA.
     *         VTC_ERR_INVALID_ARG: an argument is NULL.
     * Available right after create(), before any frame is sent.
     */
    vtc_status (*get_extradata)(vtc_encoder *enc, const uint8_t **data, uint64_t *size);

    /**
     * Hands one frame to the encoder.
     *
     * @param frame  borrowed for the call; see struct vtc_frame. Its size,
     *               pixel format and memory type equal the config's, and its pts
     *               is greater than the previous frame's.
     * @return VTC_OK: the frame was taken.
     *         VTC_OUTPUT_PENDING: not taken; call receive_packet() until
     *         VTC_NEED_INPUT, then send the same frame again.
     *         VTC_ERR_INVALID_ARG: enc or frame is NULL, or the frame does not
     *         match the config, or its pts does not increase.
     *         VTC_ERR_INVALID_STATE: drain() was already called.
     *         VTC_ERR_CANCELLED, VTC_ERR_DEVICE_LOST, VTC_ERR_NO_MEMORY,
     *         VTC_ERR_INTERNAL: see last_error(). After an error other than
     *         INVALID_ARG the instance can only be destroyed.
     */
    vtc_status (*send_frame)(vtc_encoder *enc, const struct vtc_frame *frame);

    /**
     * Signals the end of input: every frame sent so far will come out of
     * receive_packet(), followed by VTC_END_OF_STREAM. Calling it again is
     * harmless.
     * @return VTC_OK, or VTC_ERR_INVALID_ARG when enc is NULL, or an error
     *         from flushing the device (see last_error()).
     */
    vtc_status (*drain)(vtc_encoder *enc);

    /**
     * Takes the next compressed packet, if there is one.
     *
     * @param packet  host-owned; zero-filled with struct_size set by the host.
     * @return VTC_OK: *packet is filled; its data stays valid until the next
     *         call on this instance.
     *         VTC_NEED_INPUT: no packet yet; send more frames (never returned
     *         after drain()).
     *         VTC_END_OF_STREAM: drained; every packet has been returned.
     *         VTC_ERR_INVALID_ARG: enc or packet is NULL.
     *         VTC_ERR_CANCELLED, VTC_ERR_DEVICE_LOST, VTC_ERR_INTERNAL: see
     *         last_error().
     */
    vtc_status (*receive_packet)(vtc_encoder *enc, struct vtc_packet *packet);

    /**
     * Explains the most recent error of this instance.
     * @return a NUL-terminated UTF-8 line, never NULL: empty when there was no
     *         error, a static text when enc is NULL. Owned by the instance and
     *         valid until the next call on it.
     */
    const char *(*last_error)(const vtc_encoder *enc);

    /* --- Members appended after ABI 1.0 go below, each marked "Since 1.N". --- */
};

#ifdef __cplusplus
}
#endif

#endif /* VTRANSCODE_PLUGIN_VTC_ENCODER_H */
