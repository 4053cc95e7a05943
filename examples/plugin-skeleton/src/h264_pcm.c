/* SPDX-FileCopyrightText: vtranscode authors
 * SPDX-License-Identifier: MIT */

/*
 * h264_pcm.c: a bit writer and the H.264 syntax the skeleton needs. Section
 * numbers refer to ITU-T H.264 (08/2021). Nothing here knows about the plugin
 * ABI; see skeleton_encoder.c for that.
 */
#include "h264_pcm.h"

#include <string.h>

/* Fixed stream choices (see the file comment in h264_pcm.h). */
enum {
    PROFILE_IDC_BASELINE = 66,
    LOG2_MAX_FRAME_NUM = 8, /* frame_num is an 8-bit counter that wraps */
    NAL_SLICE = 1,          /* coded slice of a non-IDR picture */
    NAL_IDR_SLICE = 5,
    NAL_SPS = 7,
    NAL_PPS = 8,
    SLICE_TYPE_I_ALL = 7, /* I, and every slice of the picture is I (Table 7-6) */
    MB_TYPE_I_PCM = 25,   /* Table 7-11 */
    PCM_MB_BYTES = 256 + 2 * 64,
    /* Slice header before the first macroblock: far fewer bits than this. */
    SLICE_HEADER_BOUND = 32,
    /* mb_type I_PCM (9 bits) plus pcm_alignment_zero_bits round up to 2 bytes. */
    PCM_MB_PREFIX_BYTES = 2,
    START_CODE_BYTES = 4,
    NAL_HEADER_BYTES = 1,
    PARAMETER_SET_RBSP_BOUND = 64
};

/* ------------------------------------------------------------------------- */
/* Bit writer (clause 7.2 descriptors u(n), ue(v), se(v))                    */
/* ------------------------------------------------------------------------- */

struct bit_writer {
    uint8_t *data;
    size_t capacity;
    size_t pos;     /* whole bytes written */
    uint32_t bits;  /* pending bits, most significant first */
    int bit_count;  /* pending bits, 0..7 */
    int overflowed; /* set once anything did not fit; the result is then discarded */
};

static void bw_init(struct bit_writer *bw, uint8_t *data, size_t capacity) {
    bw->data = data;
    bw->capacity = capacity;
    bw->pos = 0;
    bw->bits = 0;
    bw->bit_count = 0;
    bw->overflowed = 0;
}

static void put_bit(struct bit_writer *bw, uint32_t bit) {
    bw->bits = (bw->bits << 1) | (bit & 1u);
    if (++bw->bit_count == 8) {
        if (bw->pos < bw->capacity) {
            bw->data[bw->pos++] = (uint8_t)bw->bits;
        } else {
            bw->overflowed = 1;
        }
        bw->bits = 0;
        bw->bit_count = 0;
    }
}

/* u(n): the n low bits of value, most significant first (n <= 32). */
static void put_bits(struct bit_writer *bw, uint32_t value, int n) {
    int i;
    for (i = n - 1; i >= 0; --i) {
        put_bit(bw, value >> i);
    }
}

/* ue(v), clause 9.1: leading zeros, then value + 1 in binary. */
static void put_ue(struct bit_writer *bw, uint32_t value) {
    const uint64_t code = (uint64_t)value + 1u;
    int length = 0;
    uint64_t rest;
    for (rest = code; rest != 0; rest >>= 1) {
        ++length;
    }
    put_bits(bw, 0, length - 1);
    put_bits(bw, (uint32_t)(code >> 32), length > 32 ? length - 32 : 0);
    put_bits(bw, (uint32_t)code, length > 32 ? 32 : length);
}

/* se(v), clause 9.1.1: 0, 1, -1, 2, -2 ... map to 0, 1, 2, 3, 4 ... */
static void put_se(struct bit_writer *bw, int32_t value) {
    put_ue(bw, value > 0 ? 2u * (uint32_t)value - 1u : 2u * (uint32_t)(-(int64_t)value));
}

static void put_zero_align(struct bit_writer *bw) {
    while (bw->bit_count != 0) {
        put_bit(bw, 0);
    }
}

/* rbsp_trailing_bits(), clause 7.3.2.11: a stop bit, then zeros to a byte boundary. */
static void put_trailing_bits(struct bit_writer *bw) {
    put_bit(bw, 1);
    put_zero_align(bw);
}

/* Whole bytes; the writer must be byte-aligned. */
static void put_aligned_bytes(struct bit_writer *bw, const uint8_t *bytes, size_t count) {
    if (bw->capacity - bw->pos < count) {
        bw->overflowed = 1;
        return;
    }
    memcpy(bw->data + bw->pos, bytes, count);
    bw->pos += count;
}

/* ------------------------------------------------------------------------- */
/* NAL units (clause 7.3.1 and Annex B)                                      */
/* ------------------------------------------------------------------------- */

/* Writes start code, NAL header and the RBSP with emulation prevention: inside
 * a NAL unit, 00 00 followed by 00, 01, 02 or 03 would look like a start code,
 * so an emulation_prevention_three_byte (03) goes in between. PCM samples are
 * arbitrary bytes, so this matters here more than for most encoders. */
static size_t write_nal(uint8_t *out, size_t capacity, uint32_t nal_ref_idc, uint32_t nal_type,
                        const uint8_t *rbsp, size_t rbsp_size) {
    size_t pos = 0;
    size_t i;
    unsigned zeros = 0;
    if (capacity < START_CODE_BYTES + NAL_HEADER_BYTES) {
        return 0;
    }
    out[pos++] = 0;
    out[pos++] = 0;
    out[pos++] = 0;
    out[pos++] = 1;
    out[pos++] = (uint8_t)((nal_ref_idc << 5) | nal_type); /* forbidden_zero_bit = 0 */
    for (i = 0; i < rbsp_size; ++i) {
        if (zeros >= 2 && rbsp[i] <= 3) {
            if (pos == capacity) {
                return 0;
            }
            out[pos++] = 3;
            zeros = 0;
        }
        if (pos == capacity) {
            return 0;
        }
        out[pos++] = rbsp[i];
        zeros = rbsp[i] == 0 ? zeros + 1 : 0;
    }
    return pos;
}

/* Worst case of write_nal(): one 03 for every two payload bytes. */
static size_t nal_bound(size_t rbsp_size) {
    return START_CODE_BYTES + NAL_HEADER_BYTES + rbsp_size + rbsp_size / 2 + 1;
}

/* ------------------------------------------------------------------------- */
/* Levels (Annex A, Table A-1)                                               */
/* ------------------------------------------------------------------------- */

uint8_t h264_pcm_level_for_size(uint32_t width, uint32_t height) {
    /* level_idc and MaxFS (macroblocks per frame); only the first level of
     * each MaxFS is listed, since PCM ignores the other limits anyway. */
    static const struct {
        uint8_t level_idc;
        uint32_t max_frame_mbs;
    } levels[] = {{10, 99},   {11, 396},  {21, 792},  {22, 1620},  {31, 3600},
                  {32, 5120}, {40, 8192}, {42, 8704}, {50, 22080}, {51, 36864}};
    const uint64_t width_mbs = width / 16u;
    const uint64_t height_mbs = height / 16u;
    size_t i;
    for (i = 0; i < sizeof levels / sizeof levels[0]; ++i) {
        const uint64_t max_fs = levels[i].max_frame_mbs;
        if (width_mbs * height_mbs <= max_fs && width_mbs * width_mbs <= 8u * max_fs &&
            height_mbs * height_mbs <= 8u * max_fs) {
            return levels[i].level_idc;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Parameter sets                                                            */
/* ------------------------------------------------------------------------- */

/* vui_parameters(), clause E.1.1. Written mainly for bitstream_restriction:
 * it tells decoders that nothing is reordered, so they output each picture as
 * soon as it is decoded instead of buffering by the level's DPB size. */
static void put_vui(struct bit_writer *bw, const struct h264_pcm_params *p) {
    const int has_sar = p->sar_num != 0 && p->sar_den != 0;
    const int has_colour =
        p->color_primaries != 2 || p->color_transfer != 2 || p->color_matrix != 2;
    const int has_signal_type = has_colour || p->color_range != 0;

    put_bit(bw, (uint32_t)has_sar); /* aspect_ratio_info_present_flag */
    if (has_sar) {
        put_bits(bw, 255, 8); /* aspect_ratio_idc = Extended_SAR */
        put_bits(bw, p->sar_num, 16);
        put_bits(bw, p->sar_den, 16);
    }
    put_bit(bw, 0);                         /* overscan_info_present_flag */
    put_bit(bw, (uint32_t)has_signal_type); /* video_signal_type_present_flag */
    if (has_signal_type) {
        put_bits(bw, 5, 3);                       /* video_format: unspecified */
        put_bit(bw, p->color_range == 2 ? 1 : 0); /* video_full_range_flag */
        put_bit(bw, (uint32_t)has_colour);        /* colour_description_present_flag */
        if (has_colour) {
            put_bits(bw, p->color_primaries, 8);
            put_bits(bw, p->color_transfer, 8);
            put_bits(bw, p->color_matrix, 8);
        }
    }
    put_bit(bw, 0); /* chroma_loc_info_present_flag */
    put_bit(bw, 0); /* timing_info_present_flag: the host carries timestamps */
    put_bit(bw, 0); /* nal_hrd_parameters_present_flag */
    put_bit(bw, 0); /* vcl_hrd_parameters_present_flag */
    put_bit(bw, 0); /* pic_struct_present_flag */
    put_bit(bw, 1); /* bitstream_restriction_flag */
    put_bit(bw, 1); /* motion_vectors_over_pic_boundaries_flag */
    put_ue(bw, 0);  /* max_bytes_per_pic_denom: no limit */
    put_ue(bw, 0);  /* max_bits_per_mb_denom: no limit (PCM needs 3072 bits) */
    put_ue(bw, 15); /* log2_max_mv_length_horizontal */
    put_ue(bw, 15); /* log2_max_mv_length_vertical */
    put_ue(bw, 0);  /* max_num_reorder_frames */
    put_ue(bw, 1);  /* max_dec_frame_buffering (>= max_num_ref_frames) */
}

/* seq_parameter_set_rbsp(), clause 7.3.2.1.1. */
static size_t write_sps(const struct h264_pcm_params *p, uint8_t *out, size_t capacity) {
    uint8_t rbsp[PARAMETER_SET_RBSP_BOUND];
    struct bit_writer bw;
    bw_init(&bw, rbsp, sizeof rbsp);
    put_bits(&bw, PROFILE_IDC_BASELINE, 8);
    /* constraint_set0 (obeys Baseline) and constraint_set1 (obeys Main): the
     * pair means Constrained Baseline, which every H.264 decoder handles. */
    put_bit(&bw, 1);
    put_bit(&bw, 1);
    put_bits(&bw, 0, 6); /* constraint_set2..5_flag, reserved_zero_2bits */
    put_bits(&bw, p->level_idc, 8);
    put_ue(&bw, 0);                      /* seq_parameter_set_id */
    put_ue(&bw, LOG2_MAX_FRAME_NUM - 4); /* log2_max_frame_num_minus4 */
    /* pic_order_cnt_type 2: order follows frame_num, nothing to signal per
     * slice. Allowed because every picture is a reference picture. */
    put_ue(&bw, 2);
    put_ue(&bw, 1);                    /* max_num_ref_frames */
    put_bit(&bw, 0);                   /* gaps_in_frame_num_value_allowed_flag */
    put_ue(&bw, p->width / 16u - 1u);  /* pic_width_in_mbs_minus1 */
    put_ue(&bw, p->height / 16u - 1u); /* pic_height_in_map_units_minus1 */
    put_bit(&bw, 1);                   /* frame_mbs_only_flag: progressive */
    put_bit(&bw, 1);                   /* direct_8x8_inference_flag */
    put_bit(&bw, 0);                   /* frame_cropping_flag: sizes are multiples of 16 */
    put_bit(&bw, 1);                   /* vui_parameters_present_flag */
    put_vui(&bw, p);
    put_trailing_bits(&bw);
    if (bw.overflowed) {
        return 0;
    }
    return write_nal(out, capacity, 3, NAL_SPS, rbsp, bw.pos);
}

/* pic_parameter_set_rbsp(), clause 7.3.2.2. */
static size_t write_pps(uint8_t *out, size_t capacity) {
    uint8_t rbsp[PARAMETER_SET_RBSP_BOUND];
    struct bit_writer bw;
    bw_init(&bw, rbsp, sizeof rbsp);
    put_ue(&bw, 0);      /* pic_parameter_set_id */
    put_ue(&bw, 0);      /* seq_parameter_set_id */
    put_bit(&bw, 0);     /* entropy_coding_mode_flag: CAVLC */
    put_bit(&bw, 0);     /* bottom_field_pic_order_in_frame_present_flag */
    put_ue(&bw, 0);      /* num_slice_groups_minus1 */
    put_ue(&bw, 0);      /* num_ref_idx_l0_default_active_minus1 */
    put_ue(&bw, 0);      /* num_ref_idx_l1_default_active_minus1 */
    put_bit(&bw, 0);     /* weighted_pred_flag */
    put_bits(&bw, 0, 2); /* weighted_bipred_idc */
    put_se(&bw, 0);      /* pic_init_qp_minus26: unused by PCM */
    put_se(&bw, 0);      /* pic_init_qs_minus26 */
    put_se(&bw, 0);      /* chroma_qp_index_offset */
    put_bit(&bw, 1);     /* deblocking_filter_control_present_flag */
    put_bit(&bw, 0);     /* constrained_intra_pred_flag */
    put_bit(&bw, 0);     /* redundant_pic_cnt_present_flag */
    put_trailing_bits(&bw);
    if (bw.overflowed) {
        return 0;
    }
    return write_nal(out, capacity, 3, NAL_PPS, rbsp, bw.pos);
}

size_t h264_pcm_headers_bound(void) {
    return 2 * nal_bound(PARAMETER_SET_RBSP_BOUND);
}

size_t h264_pcm_write_headers(const struct h264_pcm_params *params, uint8_t *out, size_t capacity) {
    const size_t sps_size = write_sps(params, out, capacity);
    size_t pps_size;
    if (sps_size == 0) {
        return 0;
    }
    pps_size = write_pps(out + sps_size, capacity - sps_size);
    return pps_size == 0 ? 0 : sps_size + pps_size;
}

/* ------------------------------------------------------------------------- */
/* Pictures                                                                  */
/* ------------------------------------------------------------------------- */

size_t h264_pcm_scratch_bound(const struct h264_pcm_params *params) {
    const size_t mbs = (size_t)(params->width / 16u) * (params->height / 16u);
    return SLICE_HEADER_BOUND + mbs * (PCM_MB_PREFIX_BYTES + PCM_MB_BYTES) + 1;
}

size_t h264_pcm_picture_bound(const struct h264_pcm_params *params) {
    return h264_pcm_headers_bound() + nal_bound(h264_pcm_scratch_bound(params));
}

/* Copies a size x size block at (x, y) of one plane, row by row. */
static void put_block(struct bit_writer *bw, const uint8_t *plane, int32_t stride, uint32_t x,
                      uint32_t y, uint32_t size) {
    uint32_t row;
    for (row = 0; row < size; ++row) {
        put_aligned_bytes(bw, plane + (ptrdiff_t)(y + row) * stride + x, size);
    }
}

size_t h264_pcm_write_picture(const struct h264_pcm_params *params,
                              const struct h264_pcm_picture *picture, int is_idr,
                              uint32_t frame_num, uint32_t idr_pic_id, uint8_t *scratch,
                              size_t scratch_capacity, uint8_t *out, size_t capacity) {
    const uint32_t width_mbs = params->width / 16u;
    const uint32_t height_mbs = params->height / 16u;
    struct bit_writer bw;
    uint32_t mb_x, mb_y;
    size_t pos = 0, nal_size;

    /* slice_header(), clause 7.3.3 */
    bw_init(&bw, scratch, scratch_capacity);
    put_ue(&bw, 0);                /* first_mb_in_slice */
    put_ue(&bw, SLICE_TYPE_I_ALL); /* slice_type */
    put_ue(&bw, 0);                /* pic_parameter_set_id */
    put_bits(&bw, frame_num % (1u << LOG2_MAX_FRAME_NUM), LOG2_MAX_FRAME_NUM);
    if (is_idr) {
        put_ue(&bw, idr_pic_id % 65536u);
    }
    /* dec_ref_pic_marking(), clause 7.3.3.3 (nal_ref_idc != 0) */
    if (is_idr) {
        put_bit(&bw, 0); /* no_output_of_prior_pics_flag */
        put_bit(&bw, 0); /* long_term_reference_flag */
    } else {
        put_bit(&bw, 0); /* adaptive_ref_pic_marking_mode_flag: sliding window */
    }
    put_se(&bw, 0); /* slice_qp_delta */
    put_ue(&bw, 1); /* disable_deblocking_filter_idc: off, PCM is lossless */

    /* slice_data(), clause 7.3.4, and macroblock_layer(), clause 7.3.5 */
    for (mb_y = 0; mb_y < height_mbs; ++mb_y) {
        for (mb_x = 0; mb_x < width_mbs; ++mb_x) {
            put_ue(&bw, MB_TYPE_I_PCM);
            put_zero_align(&bw); /* pcm_alignment_zero_bit */
            put_block(&bw, picture->planes[0], picture->strides[0], mb_x * 16, mb_y * 16, 16);
            put_block(&bw, picture->planes[1], picture->strides[1], mb_x * 8, mb_y * 8, 8);
            put_block(&bw, picture->planes[2], picture->strides[2], mb_x * 8, mb_y * 8, 8);
        }
    }
    put_trailing_bits(&bw);
    if (bw.overflowed) {
        return 0;
    }

    /* An IDR access unit repeats SPS and PPS so that a segment starting here
     * decodes on its own (vtc_types.h, struct vtc_packet). */
    if (is_idr) {
        pos = h264_pcm_write_headers(params, out, capacity);
        if (pos == 0) {
            return 0;
        }
    }
    nal_size = write_nal(out + pos, capacity - pos, is_idr ? 3u : 2u,
                         is_idr ? NAL_IDR_SLICE : NAL_SLICE, scratch, bw.pos);
    return nal_size == 0 ? 0 : pos + nal_size;
}
