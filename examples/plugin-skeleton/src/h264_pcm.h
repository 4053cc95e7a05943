/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: MIT */

/*
 * h264_pcm.h: the codec half of the skeleton, with no plugin ABI in it.
 *
 * Writes an H.264 (ITU-T H.264, 08/2021) Annex B byte stream in which every
 * macroblock is coded as I_PCM: the 384 raw samples of a 16x16 macroblock in
 * 4:2:0, 8 bits each. Nothing is predicted, transformed or entropy-coded, so
 * the output is lossless and large (about 1.5 bytes per pixel). That keeps the
 * codec small enough to read in one sitting and leaves the plugin glue in
 * skeleton_encoder.c as the interesting part.
 *
 * Stream shape: Constrained Baseline profile, one slice per picture, every
 * picture a reference picture with pic_order_cnt_type 2 (output order equals
 * decode order, no reordering), deblocking off.
 */
#ifndef SKELETON_H264_PCM_H
#define SKELETON_H264_PCM_H

#include <stddef.h>
#include <stdint.h>

/* What the sequence parameter set describes. */
struct h264_pcm_params {
    uint32_t width;  /* pixels, a multiple of 16 */
    uint32_t height; /* pixels, a multiple of 16 */
    uint8_t level_idc;
    /* Sample aspect ratio; 0:0 leaves it out of the VUI. */
    uint16_t sar_num;
    uint16_t sar_den;
    /* ITU-T H.273 code points; 2 = unspecified. Range: 0 unspecified, 1 limited, 2 full. */
    uint8_t color_primaries;
    uint8_t color_transfer;
    uint8_t color_matrix;
    uint8_t color_range;
};

/* One 8-bit 4:2:0 picture in three planes. Strides may be negative (bottom-up). */
struct h264_pcm_picture {
    const uint8_t *planes[3];
    int32_t strides[3];
};

/* Smallest level_idc whose frame-size limits (Table A-1 MaxFS, and the
 * sqrt(8 * MaxFS) bound on each dimension) admit width x height, or 0 when no
 * level does. The bit-rate limits cannot be met by PCM and are not considered. */
uint8_t h264_pcm_level_for_size(uint32_t width, uint32_t height);

/* Bytes h264_pcm_write_headers() may write. */
size_t h264_pcm_headers_bound(void);

/* Bytes h264_pcm_write_picture() may write for a picture of this size, and the
 * scratch space it needs (the unescaped slice). */
size_t h264_pcm_picture_bound(const struct h264_pcm_params *params);
size_t h264_pcm_scratch_bound(const struct h264_pcm_params *params);

/* Writes SPS and PPS, each behind a 4-byte start code, into out[0..capacity).
 * Returns the byte count, or 0 when capacity is too small. */
size_t h264_pcm_write_headers(const struct h264_pcm_params *params, uint8_t *out, size_t capacity);

/* Writes one access unit: for an IDR, SPS + PPS + IDR slice; otherwise one
 * non-IDR I slice. frame_num counts pictures since the last IDR (the function
 * wraps it); idr_pic_id must differ between consecutive IDRs. scratch must hold
 * h264_pcm_scratch_bound() bytes. Returns the byte count, or 0 when a buffer is
 * too small. */
size_t h264_pcm_write_picture(const struct h264_pcm_params *params,
                              const struct h264_pcm_picture *picture, int is_idr,
                              uint32_t frame_num, uint32_t idr_pic_id, uint8_t *scratch,
                              size_t scratch_capacity, uint8_t *out, size_t capacity);

#endif /* SKELETON_H264_PCM_H */
