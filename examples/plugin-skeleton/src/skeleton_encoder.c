/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: MIT */

/*
 * skeleton_encoder.c: the encoder "skeleton-h264", i.e. the vtable of
 * vtc_encoder.h implemented in plain C99 on top of h264_pcm.c.
 *
 * Read it as a checklist. Wherever a rule of the plugin ABI is followed, a
 * comment names it: VTC_PLUGIN_n is rule n of the policy in
 * docs/plugin-authoring.md, and the headers in <vtranscode/plugin/> state the
 * same contract function by function.
 *
 * What the encoder does: 8-bit I420 in system memory, width and height
 * multiples of 16, one Annex B access unit out for every frame in, immediately.
 * Frame 0 and every frame flagged VTC_FRAME_FORCE_KEYFRAME become an IDR
 * carrying SPS and PPS; the others are non-IDR I pictures. Rate control is CQP
 * only, and the quality value is ignored: I_PCM stores samples verbatim, so
 * there is no quantiser to set.
 */
#include "skeleton_encoder.h"

#include "h264_pcm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a struct up to and including `member`: the ABI 1.0 part of a struct
 * when `member` is its last 1.0 member (VTC_PLUGIN_5). */
#define SIZE_UNTIL(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

enum {
    MACROBLOCK_SIZE = 16,
    MIN_SIZE = 16,
    /* 4096 x 2304 is 36864 macroblocks, the most any H.264 level allows. */
    MAX_WIDTH = 4096,
    MAX_HEIGHT = 2304,
    H264_MAX_QP = 51,
    LAST_ERROR_SIZE = 256,
    LOG_LINE_SIZE = 256
};

/*
 * An instance. The host only ever holds a pointer to it: vtc_encoder is an
 * opaque type that the plugin defines, allocates and frees (VTC_PLUGIN_10).
 *
 * VTC_PLUGIN_12: all state lives here, none in globals, and nothing is locked.
 * The host uses one instance from one thread at a time (maybe a different
 * thread for each call), so the fields need no lock; query_caps() and create()
 * may run concurrently with anything, which is safe because they touch only
 * their arguments and constant data.
 */
struct vtc_encoder {
    /* Borrowed: the host keeps it valid until destroy() returns (vtc_host.h). */
    const struct vtc_host *host;

    /* Copies of what the config said; the config itself was borrowed (VTC_PLUGIN_10). */
    struct h264_pcm_params params;
    int32_t pixel_format;
    int32_t memory_type;
    uint32_t max_keyframe_interval;
    int64_t nominal_frame_duration; /* in time_base units; 0 when not exact */

    /* Stream state. */
    uint64_t frames_sent;
    uint32_t frames_since_idr;
    uint32_t idr_count;
    int has_pts;
    int64_t last_pts;
    int draining;
    int failed;

    /* Memory the instance owns; destroy() frees it. */
    uint8_t *extradata;
    size_t extradata_size;
    uint8_t *scratch;
    size_t scratch_capacity;
    uint8_t *access_unit;
    size_t access_unit_capacity;

    /* The packet waiting for receive_packet(), if any. Its data points into
     * access_unit and stays valid until the next call on this instance. */
    int packet_pending;
    struct vtc_packet packet;

    char last_error[LAST_ERROR_SIZE];
};

/* ------------------------------------------------------------------------- */
/* Messages: logging and error text                                          */
/* ------------------------------------------------------------------------- */

/* VTC_PLUGIN_13: a plugin never writes to stdout or stderr; it logs through
 * the host, one line per call, without a trailing newline. host->log_level
 * says what the host keeps, so messages above it are not even formatted. */
static void log_line(const struct vtc_host *host, int32_t level, const char *format, ...)
    PRINTF_LIKE(3, 4);
static void log_line(const struct vtc_host *host, int32_t level, const char *format, ...) {
    char line[LOG_LINE_SIZE];
    va_list args;
    if (host == NULL || host->log == NULL || level > host->log_level) {
        return;
    }
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    host->log(host->ctx, level, line);
}

/* query_caps() and create() have no instance yet: their reason goes into the
 * caller's buffer, NUL-terminated and truncated to fit (vtc_encoder.h). */
static void write_reason(char *buffer, uint32_t size, const char *format, ...) PRINTF_LIKE(3, 4);
static void write_reason(char *buffer, uint32_t size, const char *format, ...) {
    va_list args;
    if (buffer == NULL || size == 0) {
        return;
    }
    va_start(args, format);
    vsnprintf(buffer, size, format, args);
    va_end(args);
}

/* Every other call leaves its reason in the instance, for last_error(). */
static vtc_status fail(struct vtc_encoder *enc, vtc_status status, const char *format, ...)
    PRINTF_LIKE(3, 4);
static vtc_status fail(struct vtc_encoder *enc, vtc_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(enc->last_error, sizeof enc->last_error, format, args);
    va_end(args);
    return status;
}

/* ------------------------------------------------------------------------- */
/* query_caps                                                                */
/* ------------------------------------------------------------------------- */

/*
 * VTC_PLUGIN_8: capabilities are answered without an instance, from any
 * thread, and they are the truth: the host's registry picks encoders by them,
 * and create() below accepts every config that stays inside them. This
 * function touches only its arguments, which makes it thread-safe for free.
 */
static vtc_status skeleton_query_caps(const struct vtc_host *host, struct vtc_encoder_caps *caps,
                                      char *error_buf, uint32_t error_buf_size) {
    struct vtc_encoder_caps full;
    uint32_t count;

    /* A hardware plugin would look for its device here (opening and closing
     * it if it must) and return VTC_ERR_NO_DEVICE with a reason when there is
     * none, never crash. Software needs nothing. */
    (void)host;

    /* VTC_PLUGIN_9: NULL and undersized arguments are refused, not trusted. */
    if (caps == NULL || caps->struct_size < SIZE_UNTIL(struct vtc_encoder_caps, flags)) {
        write_reason(error_buf, error_buf_size,
                     "query_caps: caps is NULL or its struct_size is below the ABI 1.0 size");
        return VTC_ERR_INVALID_ARG;
    }

    memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    full.codec = VTC_CODEC_H264;
    full.profiles = (uint32_t)VTC_BIT(VTC_PROFILE_H264_BASELINE);
    full.bit_depths = (uint32_t)VTC_BIT_DEPTH_8;
    full.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420);
    full.memory_types = (uint32_t)VTC_BIT(VTC_MEMORY_SYSTEM);
    full.rate_control_modes = (uint32_t)VTC_BIT(VTC_RATE_CONTROL_CQP);
    full.min_width = MIN_SIZE;
    full.min_height = MIN_SIZE;
    full.max_width = MAX_WIDTH;
    full.max_height = MAX_HEIGHT;
    full.size_alignment = MACROBLOCK_SIZE;
    full.max_sessions = 0; /* no device, so no session limit */
    /* Every picture is intra-coded, so GOPs are closed by construction; and the
     * parameter sets exist from create() on, for get_extradata(). */
    full.flags =
        VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA | VTC_ENCODER_CAP_CLOSED_GOP;

    /* VTC_PLUGIN_5: the host zero-filled its struct and said how big it is.
     * Write no more than that, and report how much was written: a newer host's
     * struct is bigger, and VTC_HAS_FIELD on the returned struct_size tells it
     * which of its members this plugin did not know about and left zero. */
    count = caps->struct_size < sizeof full ? caps->struct_size : (uint32_t)sizeof full;
    memcpy(caps, &full, count);
    caps->struct_size = count;
    return VTC_OK;
}

/* ------------------------------------------------------------------------- */
/* create / destroy                                                          */
/* ------------------------------------------------------------------------- */

static uint32_t gcd_u32(uint32_t a, uint32_t b) {
    while (b != 0) {
        const uint32_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Parses "key=value" options. This encoder has none, so every key is unknown;
 * a real encoder would look the key up here and validate the value. */
static vtc_status check_options(const char *const *options, char *error_buf,
                                uint32_t error_buf_size) {
    size_t i;
    if (options == NULL) {
        return VTC_OK;
    }
    for (i = 0; options[i] != NULL; ++i) {
        const char *equals = strchr(options[i], '=');
        if (equals == NULL) {
            write_reason(error_buf, error_buf_size, "create: option \"%s\" is not key=value",
                         options[i]);
            return VTC_ERR_INVALID_ARG;
        }
        /* VTC_PLUGIN_9: an unknown key is an error that names the key. */
        write_reason(error_buf, error_buf_size, "create: unknown option key \"%.*s\"",
                     (int)(equals - options[i]), options[i]);
        return VTC_ERR_INVALID_ARG;
    }
    return VTC_OK;
}

/*
 * VTC_PLUGIN_9: create() sorts every refusal into one of two codes.
 * VTC_ERR_INVALID_ARG: the value can never be right (zero size, an enumeration
 * value that does not exist, a profile of another codec, an unknown key).
 * VTC_ERR_UNSUPPORTED: the value is fine, but outside this encoder's caps. The
 * host uses the difference: UNSUPPORTED means "try another encoder".
 */
static vtc_status check_config(const struct vtc_encoder_config *c, struct h264_pcm_params *params,
                               char *error_buf, uint32_t error_buf_size) {
    memset(params, 0, sizeof *params);

    if (c->codec != VTC_CODEC_H264) {
        write_reason(error_buf, error_buf_size,
                     "create: codec %d is not this encoder's codec (H.264)", (int)c->codec);
        return VTC_ERR_INVALID_ARG;
    }
    if (c->width == 0 || c->height == 0) {
        write_reason(error_buf, error_buf_size, "create: width and height must be positive");
        return VTC_ERR_INVALID_ARG;
    }
    if (c->time_base.num <= 0 || c->time_base.den <= 0) {
        write_reason(error_buf, error_buf_size, "create: time_base must be positive, not %d/%d",
                     (int)c->time_base.num, (int)c->time_base.den);
        return VTC_ERR_INVALID_ARG;
    }

    switch (c->pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
        break;
    case VTC_PIXEL_FORMAT_NV12:
    case VTC_PIXEL_FORMAT_I420_10:
    case VTC_PIXEL_FORMAT_P010:
        write_reason(error_buf, error_buf_size,
                     "create: pixel format %d is not supported, only I420", (int)c->pixel_format);
        return VTC_ERR_UNSUPPORTED;
    default:
        write_reason(error_buf, error_buf_size, "create: unknown pixel format %d",
                     (int)c->pixel_format);
        return VTC_ERR_INVALID_ARG;
    }

    switch (c->memory_type) {
    case VTC_MEMORY_SYSTEM:
        break;
    case VTC_MEMORY_CUDA:
    case VTC_MEMORY_VA_SURFACE:
        write_reason(error_buf, error_buf_size,
                     "create: memory type %d is not supported, only system memory",
                     (int)c->memory_type);
        return VTC_ERR_UNSUPPORTED;
    default:
        write_reason(error_buf, error_buf_size, "create: unknown memory type %d",
                     (int)c->memory_type);
        return VTC_ERR_INVALID_ARG;
    }

    switch (c->rate_control) {
    case VTC_RATE_CONTROL_CQP:
        break;
    case VTC_RATE_CONTROL_CRF:
    case VTC_RATE_CONTROL_CAPPED_CRF:
    case VTC_RATE_CONTROL_VBR:
    case VTC_RATE_CONTROL_CBR:
        write_reason(error_buf, error_buf_size,
                     "create: rate control %d is not supported, only CQP", (int)c->rate_control);
        return VTC_ERR_UNSUPPORTED;
    default:
        write_reason(error_buf, error_buf_size, "create: unknown rate control mode %d",
                     (int)c->rate_control);
        return VTC_ERR_INVALID_ARG;
    }
    /* The value is on H.264's QP scale, so it is range-checked even though
     * I_PCM has no quantiser to give it to. */
    if (c->quality != VTC_QUALITY_DEFAULT && (c->quality < 0 || c->quality > H264_MAX_QP)) {
        write_reason(error_buf, error_buf_size, "create: quality %d is outside H.264's QP 0..%d",
                     (int)c->quality, H264_MAX_QP);
        return VTC_ERR_INVALID_ARG;
    }

    switch (c->profile) {
    case VTC_PROFILE_UNSET:
    case VTC_PROFILE_H264_BASELINE:
        break;
    case VTC_PROFILE_H264_MAIN:
    case VTC_PROFILE_H264_HIGH:
    case VTC_PROFILE_H264_HIGH10:
        write_reason(error_buf, error_buf_size,
                     "create: profile %d is not supported, only Constrained Baseline",
                     (int)c->profile);
        return VTC_ERR_UNSUPPORTED;
    default:
        write_reason(error_buf, error_buf_size, "create: profile %d is not an H.264 profile",
                     (int)c->profile);
        return VTC_ERR_INVALID_ARG;
    }

    if (c->width % MACROBLOCK_SIZE != 0 || c->height % MACROBLOCK_SIZE != 0 ||
        c->width < MIN_SIZE || c->height < MIN_SIZE || c->width > MAX_WIDTH ||
        c->height > MAX_HEIGHT) {
        write_reason(error_buf, error_buf_size,
                     "create: %ux%u is not supported: width and height must be multiples of "
                     "%d between %dx%d and %dx%d",
                     (unsigned)c->width, (unsigned)c->height, MACROBLOCK_SIZE, MIN_SIZE, MIN_SIZE,
                     MAX_WIDTH, MAX_HEIGHT);
        return VTC_ERR_UNSUPPORTED;
    }
    params->width = c->width;
    params->height = c->height;
    params->level_idc = h264_pcm_level_for_size(c->width, c->height);

    /* B-frames: the value is a maximum, and zero B-frames respects any maximum. */
    if (c->max_b_frames < VTC_B_FRAMES_DEFAULT) {
        write_reason(error_buf, error_buf_size, "create: max_b_frames %d is negative",
                     (int)c->max_b_frames);
        return VTC_ERR_INVALID_ARG;
    }

    if (c->sample_aspect_ratio.num < 0 || c->sample_aspect_ratio.den < 0 ||
        (c->sample_aspect_ratio.num > 0 && c->sample_aspect_ratio.den == 0)) {
        write_reason(error_buf, error_buf_size, "create: sample aspect ratio %d:%d is invalid",
                     (int)c->sample_aspect_ratio.num, (int)c->sample_aspect_ratio.den);
        return VTC_ERR_INVALID_ARG;
    }
    if (c->sample_aspect_ratio.num > 0) {
        const uint32_t num = (uint32_t)c->sample_aspect_ratio.num;
        const uint32_t den = (uint32_t)c->sample_aspect_ratio.den;
        const uint32_t divisor = gcd_u32(num, den);
        if (num / divisor > 65535u || den / divisor > 65535u) {
            write_reason(error_buf, error_buf_size,
                         "create: sample aspect ratio %u:%u does not fit H.264's 16-bit fields",
                         (unsigned)num, (unsigned)den);
            return VTC_ERR_UNSUPPORTED;
        }
        params->sar_num = (uint16_t)(num / divisor);
        params->sar_den = (uint16_t)(den / divisor);
    }

    if (c->color_primaries < 0 || c->color_primaries > 255 || c->color_transfer < 0 ||
        c->color_transfer > 255 || c->color_matrix < 0 || c->color_matrix > 255 ||
        c->color_range < 0 || c->color_range > 2) {
        write_reason(error_buf, error_buf_size,
                     "create: colour description %d/%d/%d range %d is out of range",
                     (int)c->color_primaries, (int)c->color_transfer, (int)c->color_matrix,
                     (int)c->color_range);
        return VTC_ERR_INVALID_ARG;
    }
    params->color_primaries = (uint8_t)c->color_primaries;
    params->color_transfer = (uint8_t)c->color_transfer;
    params->color_matrix = (uint8_t)c->color_matrix;
    params->color_range = (uint8_t)c->color_range;

    if (c->preset != NULL) {
        write_reason(error_buf, error_buf_size,
                     "create: unknown preset \"%s\": this encoder has no presets", c->preset);
        return VTC_ERR_INVALID_ARG;
    }
    /* Ignored on purpose: device (software encoder), thread_count (no
     * VTC_ENCODER_CAP_THREADS), the bitrate fields (CQP), and config flags this
     * plugin does not know (a newer host may set flags added after 1.0). */
    return check_options(c->options, error_buf, error_buf_size);
}

static void skeleton_destroy(vtc_encoder *enc);

static vtc_status skeleton_create(const struct vtc_host *host,
                                  const struct vtc_encoder_config *config, vtc_encoder **out,
                                  char *error_buf, uint32_t error_buf_size) {
    struct vtc_encoder_config cfg;
    struct h264_pcm_params params;
    struct vtc_encoder *enc;
    vtc_status status;

    if (out != NULL) {
        *out = NULL; /* on every error, *out is NULL (vtc_encoder.h) */
    }
    /* VTC_PLUGIN_9 */
    if (host == NULL || config == NULL || out == NULL) {
        write_reason(error_buf, error_buf_size, "create: host, config or out is NULL");
        return VTC_ERR_INVALID_ARG;
    }
    if (config->struct_size < SIZE_UNTIL(struct vtc_encoder_config, options)) {
        write_reason(error_buf, error_buf_size,
                     "create: config struct_size %u is below the ABI 1.0 size",
                     (unsigned)config->struct_size);
        return VTC_ERR_INVALID_ARG;
    }

    /* VTC_PLUGIN_5: read the host's struct through a complete local copy. A
     * newer host's struct is longer; the members it appended are not copied
     * and never looked at. A host is never older than its plugins (it refuses
     * newer minors), but copying over the defaults costs nothing and makes a
     * read past the end of a short struct impossible. */
    vtc_encoder_config_defaults(&cfg);
    memcpy(&cfg, config, config->struct_size < sizeof cfg ? config->struct_size : sizeof cfg);
    cfg.struct_size = sizeof cfg;

    status = check_config(&cfg, &params, error_buf, error_buf_size);
    if (status != VTC_OK) {
        return status;
    }

    enc = calloc(1, sizeof *enc);
    if (enc == NULL) {
        write_reason(error_buf, error_buf_size, "create: out of memory");
        return VTC_ERR_NO_MEMORY;
    }
    /* VTC_PLUGIN_10: the config and its strings are borrowed for this call
     * only. The instance keeps copies of the scalars it needs; the host
     * pointer, by contrast, stays valid until destroy() and may be kept. */
    enc->host = host;
    enc->params = params;
    enc->pixel_format = cfg.pixel_format;
    enc->memory_type = cfg.memory_type;
    enc->max_keyframe_interval = cfg.max_keyframe_interval;
    if (cfg.frame_rate.num > 0 && cfg.frame_rate.den > 0) {
        /* One frame lasts time_base.den * rate.den / (time_base.num * rate.num)
         * ticks; keep it only when that is a whole number. */
        const int64_t ticks = (int64_t)cfg.time_base.den * cfg.frame_rate.den;
        const int64_t per = (int64_t)cfg.time_base.num * cfg.frame_rate.num;
        enc->nominal_frame_duration = ticks % per == 0 ? ticks / per : 0;
    }

    enc->extradata = malloc(h264_pcm_headers_bound());
    enc->scratch_capacity = h264_pcm_scratch_bound(&params);
    enc->scratch = malloc(enc->scratch_capacity);
    enc->access_unit_capacity = h264_pcm_picture_bound(&params);
    enc->access_unit = malloc(enc->access_unit_capacity);
    if (enc->extradata == NULL || enc->scratch == NULL || enc->access_unit == NULL) {
        skeleton_destroy(enc);
        write_reason(error_buf, error_buf_size, "create: out of memory for %ux%u buffers",
                     (unsigned)params.width, (unsigned)params.height);
        return VTC_ERR_NO_MEMORY;
    }
    enc->extradata_size = h264_pcm_write_headers(&params, enc->extradata, h264_pcm_headers_bound());
    if (enc->extradata_size == 0) {
        skeleton_destroy(enc);
        write_reason(error_buf, error_buf_size, "create: parameter sets exceed their bound");
        return VTC_ERR_INTERNAL;
    }

    log_line(host, VTC_LOG_INFO,
             "skeleton-h264: %ux%u lossless I_PCM, Constrained Baseline level %u.%u%s",
             (unsigned)params.width, (unsigned)params.height, params.level_idc / 10u,
             params.level_idc % 10u,
             cfg.quality != VTC_QUALITY_DEFAULT ? "; the quality value is ignored" : "");
    *out = enc;
    return VTC_OK;
}

/* NULL-safe, and frees everything the instance owns, including the memory of
 * the last packet (VTC_PLUGIN_10): after this, no pointer the plugin handed
 * out is valid. */
static void skeleton_destroy(vtc_encoder *enc) {
    if (enc == NULL) {
        return;
    }
    free(enc->extradata);
    free(enc->scratch);
    free(enc->access_unit);
    free(enc);
}

/* ------------------------------------------------------------------------- */
/* The instance calls                                                        */
/* ------------------------------------------------------------------------- */

static vtc_status skeleton_get_extradata(vtc_encoder *enc, const uint8_t **data, uint64_t *size) {
    if (enc == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    enc->last_error[0] = '\0';
    if (data == NULL || size == NULL) {
        return fail(enc, VTC_ERR_INVALID_ARG, "get_extradata: data or size is NULL");
    }
    /* Owned by the instance until destroy(); the host copies it. */
    *data = enc->extradata;
    *size = enc->extradata_size;
    return VTC_OK;
}

/* |stride| >= bytes: a row fits between two row starts, whichever direction. */
static int stride_fits(int32_t stride, uint32_t bytes) {
    const int64_t magnitude = stride < 0 ? -(int64_t)stride : (int64_t)stride;
    return magnitude >= (int64_t)bytes;
}

static vtc_status skeleton_send_frame(vtc_encoder *enc, const struct vtc_frame *frame) {
    struct h264_pcm_picture picture;
    const struct vtc_host *host;
    int is_idr;
    size_t size;
    int i;

    if (enc == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    host = enc->host;
    enc->last_error[0] = '\0';

    /* VTC_PLUGIN_11: after drain(), and after a failure, no more frames. */
    if (enc->failed) {
        return fail(enc, VTC_ERR_INVALID_STATE,
                    "send_frame: the encoder failed earlier and can only be destroyed");
    }
    if (enc->draining) {
        return fail(enc, VTC_ERR_INVALID_STATE, "send_frame: called after drain()");
    }

    /* VTC_PLUGIN_9: the frame is checked against the config before a single
     * pixel is read. */
    if (frame == NULL || frame->struct_size < SIZE_UNTIL(struct vtc_frame, hw_handle)) {
        return fail(enc, VTC_ERR_INVALID_ARG,
                    "send_frame: frame is NULL or its struct_size is below the ABI 1.0 size");
    }
    if (frame->width != enc->params.width || frame->height != enc->params.height ||
        frame->pixel_format != enc->pixel_format || frame->memory_type != enc->memory_type) {
        return fail(enc, VTC_ERR_INVALID_ARG,
                    "send_frame: frame %ux%u format %d memory %d differs from the config",
                    (unsigned)frame->width, (unsigned)frame->height, (int)frame->pixel_format,
                    (int)frame->memory_type);
    }
    for (i = 0; i < 3; ++i) {
        const uint32_t row_bytes = i == 0 ? enc->params.width : enc->params.width / 2u;
        if (frame->planes[i] == NULL || !stride_fits(frame->strides[i], row_bytes)) {
            return fail(enc, VTC_ERR_INVALID_ARG,
                        "send_frame: plane %d is NULL or its stride %d is shorter than a row", i,
                        (int)frame->strides[i]);
        }
    }
    /* VTC_PLUGIN_15: pts strictly increases from frame to frame. */
    if (enc->has_pts && frame->pts <= enc->last_pts) {
        return fail(enc, VTC_ERR_INVALID_ARG,
                    "send_frame: pts %lld does not increase from the previous %lld",
                    (long long)frame->pts, (long long)enc->last_pts);
    }

    /* VTC_PLUGIN_11: one packet slot. While the previous packet has not been
     * collected, the frame is not taken; the host collects and resends it. */
    if (enc->packet_pending) {
        return VTC_OUTPUT_PENDING;
    }

    /* VTC_PLUGIN_16: before long work, ask whether the job was cancelled. A
     * real encoder polls during its long loops too; the check is an atomic load. */
    if (host->is_cancelled != NULL && host->is_cancelled(host->ctx) != 0) {
        enc->failed = 1;
        return fail(enc, VTC_ERR_CANCELLED, "send_frame: cancelled by the host");
    }

    /* VTC_PLUGIN_14: keyframes sit exactly where they are asked for: frame 0,
     * every flagged frame, and (when the config sets one) at the latest every
     * max_keyframe_interval frames. Nowhere else. */
    is_idr =
        enc->frames_sent == 0 || (frame->flags & VTC_FRAME_FORCE_KEYFRAME) != 0 ||
        (enc->max_keyframe_interval != 0 && enc->frames_since_idr >= enc->max_keyframe_interval);
    if (is_idr) {
        enc->frames_since_idr = 0;
        if (enc->frames_sent != 0) {
            log_line(host, VTC_LOG_DEBUG, "skeleton-h264: IDR at frame %llu (pts %lld)",
                     (unsigned long long)enc->frames_sent, (long long)frame->pts);
        }
    }

    /* VTC_PLUGIN_10: the pixels are borrowed for this call only. The encoder
     * reads them now and keeps nothing that points into them. */
    for (i = 0; i < 3; ++i) {
        picture.planes[i] = frame->planes[i];
        picture.strides[i] = frame->strides[i];
    }
    size = h264_pcm_write_picture(&enc->params, &picture, is_idr, enc->frames_since_idr,
                                  is_idr ? enc->idr_count : 0, enc->scratch, enc->scratch_capacity,
                                  enc->access_unit, enc->access_unit_capacity);
    if (size == 0) {
        enc->failed = 1;
        return fail(enc, VTC_ERR_INTERNAL, "send_frame: access unit exceeds its computed bound");
    }
    if (is_idr) {
        ++enc->idr_count; /* consecutive IDRs need different idr_pic_id values */
    }

    /* VTC_PLUGIN_15: no reordering, so dts equals pts. */
    memset(&enc->packet, 0, sizeof enc->packet);
    enc->packet.struct_size = sizeof enc->packet;
    enc->packet.flags = is_idr ? VTC_PACKET_KEYFRAME : 0u;
    enc->packet.data = enc->access_unit;
    enc->packet.size = size;
    enc->packet.pts = frame->pts;
    enc->packet.dts = frame->pts;
    enc->packet.duration = frame->duration > 0 ? frame->duration : enc->nominal_frame_duration;
    enc->packet_pending = 1;

    ++enc->frames_sent;
    ++enc->frames_since_idr;
    enc->has_pts = 1;
    enc->last_pts = frame->pts;
    return VTC_OK;
}

static vtc_status skeleton_drain(vtc_encoder *enc) {
    if (enc == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    enc->last_error[0] = '\0';
    /* Nothing is buffered beyond the packet slot, so draining is a state
     * change. Calling it again is harmless, as the contract requires. */
    enc->draining = 1;
    return VTC_OK;
}

static vtc_status skeleton_receive_packet(vtc_encoder *enc, struct vtc_packet *packet) {
    uint32_t count;
    if (enc == NULL) {
        return VTC_ERR_INVALID_ARG;
    }
    enc->last_error[0] = '\0';
    if (packet == NULL || packet->struct_size < SIZE_UNTIL(struct vtc_packet, duration)) {
        return fail(enc, VTC_ERR_INVALID_ARG,
                    "receive_packet: packet is NULL or its struct_size is below the ABI 1.0 "
                    "size");
    }
    /* VTC_PLUGIN_11: NEED_INPUT before drain(), END_OF_STREAM after it. */
    if (!enc->packet_pending) {
        return enc->draining ? VTC_END_OF_STREAM : VTC_NEED_INPUT;
    }
    /* VTC_PLUGIN_5, as in query_caps: fill at most the host's struct_size. */
    count = packet->struct_size < sizeof enc->packet ? packet->struct_size
                                                     : (uint32_t)sizeof enc->packet;
    memcpy(packet, &enc->packet, count);
    packet->struct_size = count;
    /* VTC_PLUGIN_10: packet->data points into this instance's buffer and stays
     * valid until the next call on the instance; the host copies it first. */
    enc->packet_pending = 0;
    return VTC_OK;
}

static const char *skeleton_last_error(const vtc_encoder *enc) {
    /* VTC_PLUGIN_11: never NULL. */
    if (enc == NULL) {
        return "last_error: encoder is NULL";
    }
    return enc->last_error;
}

/* ------------------------------------------------------------------------- */
/* The vtable and the encoder description                                    */
/* ------------------------------------------------------------------------- */

/* VTC_PLUGIN_6: every ABI 1.0 member is set; the host refuses a vtable with a
 * NULL member. Designated initialisers keep this table correct if members are
 * ever appended (they would be zero, i.e. "absent", until implemented). */
static const struct vtc_encoder_vtbl skeleton_vtbl = {
    .struct_size = sizeof(struct vtc_encoder_vtbl),
    .query_caps = skeleton_query_caps,
    .create = skeleton_create,
    .destroy = skeleton_destroy,
    .get_extradata = skeleton_get_extradata,
    .send_frame = skeleton_send_frame,
    .drain = skeleton_drain,
    .receive_packet = skeleton_receive_packet,
    .last_error = skeleton_last_error,
};

const struct vtc_encoder_info skeleton_h264_encoder_info = {
    .struct_size = sizeof(struct vtc_encoder_info),
    .codec = VTC_CODEC_H264,
    /* VTC_PLUGIN_6: unique across all plugins, "<plugin>-<codec>". */
    .id = "skeleton-h264",
    .description = "Skeleton lossless H.264 I_PCM encoder (teaching example)",
    .vtbl = &skeleton_vtbl,
    /* Marginal: chosen automatically only when nothing better encodes H.264,
     * and operators can change it with VTC_ENCODER_RANKS. */
    .rank = VTC_RANK_MARGINAL,
};
