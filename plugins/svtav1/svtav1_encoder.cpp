// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "svtav1_encoder.hpp"

#include <EbSvtAv1Enc.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace vtc::plugins::svtav1 {
namespace {

using sdk::fail;

// SVT-AV1 1.4.1 limits (EbEncSettings.c, svt_av1_verify_settings).
constexpr uint32_t min_size_px = 64;
constexpr uint32_t max_width_px = 16384;
constexpr uint32_t max_height_px = 8704;
constexpr int32_t min_quality = 1; // 0 would be lossless, which 1.4.1 refuses
constexpr int32_t max_quality = 63;
constexpr int32_t max_preset = 13;
constexpr uint32_t max_bitrate_limit_kbps = 100000;
constexpr uint32_t max_frame_rate_fps = 240;

// AV1 OBU types (AV1 spec §6.2.2).
constexpr int obu_sequence_header = 1;
constexpr int obu_temporal_delimiter = 2;

// libSvtAv1Enc 1.4.1 keeps process-wide state in handle setup and teardown:
// svt_av1_enc_init_handle() allocates a global CPU-topology table that
// svt_av1_enc_deinit_handle() frees, and svt_av1_enc_init() rewrites global
// function-pointer tables. Serialising those calls keeps concurrent instances
// from tearing that state under each other; encoding itself runs unlocked.
std::mutex &svt_setup_mutex() {
    static std::mutex mutex;
    return mutex;
}

// Why the environment: libSvtAv1Enc prints a banner and its configuration to
// stderr on every encoder it creates, and its only switch is the SVT_LOG
// environment variable (read again by each svt_av1_enc_init_handle()); there
// is no API for a log callback or level in 1.4.1. The alternatives are worse:
// redirecting fd 2 would swallow the whole host's stderr while it lasts, and a
// pipe reader thread would still need SVT_LOG_FILE in the environment. So,
// once, before the first handle: set SVT_LOG=-2 (below SVT_LOG_ALL = -1, which
// silences even its untagged messages), and only when the operator has not set
// SVT_LOG, so the library's own diagnostics stay available on purpose. setenv()
// is not thread-safe against a concurrent getenv(); glibc's first setenv()
// copies the environment array without freeing the old one, so a concurrent
// reader sees either array, never freed memory.
void quiet_library_logging() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (std::getenv("SVT_LOG") == nullptr) {
            setenv("SVT_LOG", "-2", 0);
        }
    });
}

// The library's "v1.4.1" (possibly with a git suffix) as major and minor.
std::optional<std::pair<int, int>> runtime_version() {
    const char *text = svt_av1_get_version();
    int major = 0;
    int minor = 0;
    if (text == nullptr || std::sscanf(text, "v%d.%d", &major, &minor) != 2) {
        return std::nullopt;
    }
    return std::make_pair(major, minor);
}

// The configuration struct changes layout between minor releases of the 1.x
// series under the same soname, so a library of another minor than the
// headers this was built with cannot be driven safely.
void require_matching_library() {
    const auto version = runtime_version();
    if (version &&
        (version->first != SVT_AV1_VERSION_MAJOR || version->second != SVT_AV1_VERSION_MINOR)) {
        fail(VTC_ERR_UNSUPPORTED, "libSvtAv1Enc " + std::string(svt_av1_get_version()) +
                                      " found, but this plugin was built for " +
                                      std::to_string(SVT_AV1_VERSION_MAJOR) + "." +
                                      std::to_string(SVT_AV1_VERSION_MINOR) + ".x");
    }
}

std::string hex(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

// ---------------------------------------------------------------------------
// OBU walking: just enough of the low-overhead format (AV1 spec §5.3) to find
// whole OBUs by type.

struct Obu {
    int type = 0;
    size_t offset = 0; // of the OBU header
    size_t size = 0;   // header + size field + payload
};

std::optional<Obu> obu_at(std::span<const uint8_t> data, size_t offset) {
    if (offset >= data.size()) {
        return std::nullopt;
    }
    const uint8_t header = data[offset];
    const bool has_extension = (header & 0x04) != 0;
    const bool has_size_field = (header & 0x02) != 0;
    size_t pos = offset + 1 + (has_extension ? 1 : 0);
    if (pos > data.size()) {
        return std::nullopt;
    }
    uint64_t payload = 0;
    if (has_size_field) {
        int shift = 0;
        for (;;) {
            if (pos >= data.size() || shift > 56) {
                return std::nullopt;
            }
            const uint8_t byte = data[pos++];
            payload |= uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
    } else {
        payload = data.size() - pos; // the last OBU runs to the end
    }
    if (payload > data.size() - pos) {
        return std::nullopt;
    }
    return Obu{(header >> 3) & 0x0f, offset, pos - offset + static_cast<size_t>(payload)};
}

std::optional<Obu> find_obu(std::span<const uint8_t> data, int type) {
    for (size_t offset = 0;;) {
        const auto obu = obu_at(data, offset);
        if (!obu) {
            return std::nullopt;
        }
        if (obu->type == type) {
            return obu;
        }
        offset += obu->size;
    }
}

std::vector<uint8_t> sequence_header_of(std::span<const uint8_t> data) {
    const auto obu = find_obu(data, obu_sequence_header);
    if (!obu) {
        return {};
    }
    const auto bytes = data.subspan(obu->offset, obu->size);
    return {bytes.begin(), bytes.end()};
}

// ---------------------------------------------------------------------------
// Configuration

int8_t parse_preset(const char *text) {
    const std::string_view name = text;
    int value = -1;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), value);
    if (name.empty() || error != std::errc{} || end != name.data() + name.size() || value < 0 ||
        value > max_preset) {
        fail(VTC_ERR_INVALID_ARG,
             "unknown preset \"" + std::string(name) + "\" (SVT-AV1 presets are \"0\" to \"13\")");
    }
    return static_cast<int8_t>(value);
}

// SVT-AV1 parameters a host may pass through vtc_encoder_config::options as
// "name=value", under SVT-AV1's own names. Everything the plugin itself sets
// from the config (size, depth, rate control, preset, GOP, key-frame forcing,
// threads, colour) is absent on purpose, so options cannot break the contract.
constexpr std::string_view passthrough_options[] = {
    "tune",
    "film-grain",
    "film-grain-denoise",
    "enable-cdef",
    "enable-restoration",
    "enable-tf",
    "enable-qm",
    "qm-min",
    "qm-max",
    "fast-decode",
    "scd",
    "scm",
    "lookahead",
    "tile-rows",
    "tile-columns",
    "enable-dlf",
    "enable-mfmv",
    "hierarchical-levels",
    "mbr-overshoot-pct",
};

void apply_options(const char *const *options, EbSvtAv1EncConfiguration &svt) {
    for (const sdk::Option &option : sdk::parse_options(options)) {
        const std::string &key = option.key;
        if (std::find(std::begin(passthrough_options), std::end(passthrough_options), key) ==
            std::end(passthrough_options)) {
            fail(VTC_ERR_INVALID_ARG, "unknown option \"" + key + "\"");
        }
        if (svt_av1_enc_parse_parameter(&svt, key.c_str(), option.value.c_str()) != EB_ErrorNone) {
            fail(VTC_ERR_INVALID_ARG,
                 "option \"" + key + "\": invalid value \"" + option.value + "\"");
        }
    }
}

// Everything SVT-AV1 needs from the config, checked; throws on the first problem.
// The SDK's create() already ran sdk::validate_config(), so every value here is
// one the ABI allows; what is left is what SVT-AV1 can do with it.
void apply_config(const vtc_encoder_config &config, EbSvtAv1EncConfiguration &svt) {
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
        svt.encoder_bit_depth = 8;
        break;
    case VTC_PIXEL_FORMAT_I420_10:
        svt.encoder_bit_depth = 10;
        break;
    default: // NV12, P010, or a format of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED, "pixel format not supported: SVT-AV1 takes I420 or I420_10");
    }
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        fail(VTC_ERR_UNSUPPORTED, "SVT-AV1 encodes from system memory only");
    }
    if (config.profile != VTC_PROFILE_UNSET && config.profile != VTC_PROFILE_AV1_MAIN) {
        // An AV1 profile of a later ABI minor (High, Professional).
        fail(VTC_ERR_UNSUPPORTED, "profile " + std::to_string(config.profile) +
                                      " is not one this encoder offers (AV1 Main)");
    }
    if (config.width < min_size_px || config.height < min_size_px || config.width > max_width_px ||
        config.height > max_height_px || config.width % 2 != 0 || config.height % 2 != 0) {
        fail(VTC_ERR_UNSUPPORTED, "size " + std::to_string(config.width) + "x" +
                                      std::to_string(config.height) +
                                      " not supported: SVT-AV1 needs even sizes from 64x64 to "
                                      "16384x8704");
    }
    svt.source_width = config.width;
    svt.source_height = config.height;
    svt.encoder_color_format = EB_YUV420;
    svt.profile = MAIN_PROFILE;

    if (config.frame_rate.num == 0) {
        // Variable frame rate: SVT-AV1 still needs a nominal rate for its
        // rate control and default GOP length.
        svt.frame_rate_numerator = 30;
        svt.frame_rate_denominator = 1;
    } else if (config.frame_rate.num > int64_t{max_frame_rate_fps} * config.frame_rate.den) {
        fail(VTC_ERR_UNSUPPORTED, "SVT-AV1 encodes at most 240 frames per second");
    } else {
        svt.frame_rate_numerator = static_cast<uint32_t>(config.frame_rate.num);
        svt.frame_rate_denominator = static_cast<uint32_t>(config.frame_rate.den);
    }

    if (config.quality != VTC_QUALITY_DEFAULT &&
        (config.quality < min_quality || config.quality > max_quality)) {
        fail(VTC_ERR_INVALID_ARG,
             "quality " + std::to_string(config.quality) + " out of range: SVT-AV1 takes 1 to 63");
    }
    // Forced key frames (the reason this plugin exists in a segmenting
    // pipeline) work only in SVT's CRF/CQP mode with the random-access
    // structure, so everything below stays in that mode.
    svt.rate_control_mode = SVT_AV1_RC_MODE_CQP_OR_CRF;
    svt.pred_structure = SVT_AV1_PRED_RANDOM_ACCESS;
    svt.max_bit_rate = 0;
    switch (config.rate_control) {
    case VTC_RATE_CONTROL_CQP:
        svt.enable_adaptive_quantization = 0;
        break;
    case VTC_RATE_CONTROL_CRF:
        break;
    case VTC_RATE_CONTROL_CAPPED_CRF:
        if (config.max_bitrate_kbps > max_bitrate_limit_kbps) {
            fail(VTC_ERR_UNSUPPORTED, "SVT-AV1 caps the bit rate at 100000 kbps at most");
        }
        svt.max_bit_rate = config.max_bitrate_kbps * 1000;
        break;
    default: // VBR, CBR, or a mode of a later ABI minor
        fail(VTC_ERR_UNSUPPORTED, "SVT-AV1 1.4.1 forces key frames only in CRF/CQP mode, so "
                                  "this plugin offers CQP, CRF and capped CRF, not VBR/CBR");
    }
    if (config.quality != VTC_QUALITY_DEFAULT) {
        svt.qp = static_cast<uint32_t>(config.quality);
    }

    if (config.preset != nullptr) {
        svt.enc_mode = parse_preset(config.preset);
    }

    // Closed GOPs always: SVT-AV1 honours a forced key frame only with
    // key-frame refresh (intra_refresh_type 2), and a -1 intra period would
    // switch forced key frames off as well.
    svt.intra_refresh_type = SVT_AV1_KF_REFRESH;
    svt.force_key_frames = 1;
    // SVT counts the frames *between* key frames.
    svt.intra_period_length = config.max_keyframe_interval == 0
                                  ? -2
                                  : static_cast<int32_t>(std::min<uint32_t>(
                                        config.max_keyframe_interval - 1, INT32_MAX - 1));
    // Key frames only where asked (or at the interval): scene-cut key frames
    // would put segment boundaries where the host did not plan them.
    svt.scene_change_detection = 0;
    svt.logical_processors = config.thread_count;

    svt.color_primaries = static_cast<EbColorPrimaries>(config.color_primaries);
    svt.transfer_characteristics = static_cast<EbTransferCharacteristics>(config.color_transfer);
    svt.matrix_coefficients = static_cast<EbMatrixCoefficients>(config.color_matrix);
    svt.color_description_present_flag =
        config.color_primaries != 2 || config.color_transfer != 2 || config.color_matrix != 2;
    // 0 (unspecified) is signalled as studio range, AV1's default.
    svt.color_range = config.color_range == 2 ? EB_CR_FULL_RANGE : EB_CR_STUDIO_RANGE;

    apply_options(config.options, svt);
}

const char *rate_control_name(int32_t mode) {
    switch (mode) {
    case VTC_RATE_CONTROL_CQP:
        return "CQP";
    case VTC_RATE_CONTROL_CRF:
        return "CRF";
    case VTC_RATE_CONTROL_CAPPED_CRF:
        return "capped CRF";
    default:
        return "?";
    }
}

} // namespace

// ---------------------------------------------------------------------------

void SvtAv1Encoder::query_caps(const vtc_host &host, vtc_encoder_caps &caps) {
    (void)host;
    require_matching_library();
    caps.codec = VTC_CODEC_AV1;
    caps.profiles = static_cast<uint32_t>(VTC_BIT(VTC_PROFILE_AV1_MAIN));
    caps.bit_depths = static_cast<uint32_t>(VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10);
    caps.pixel_formats = VTC_BIT(VTC_PIXEL_FORMAT_I420) | VTC_BIT(VTC_PIXEL_FORMAT_I420_10);
    caps.memory_types = static_cast<uint32_t>(VTC_BIT(VTC_MEMORY_SYSTEM));
    caps.rate_control_modes =
        static_cast<uint32_t>(VTC_BIT(VTC_RATE_CONTROL_CQP) | VTC_BIT(VTC_RATE_CONTROL_CRF) |
                              VTC_BIT(VTC_RATE_CONTROL_CAPPED_CRF));
    caps.min_width = min_size_px;
    caps.min_height = min_size_px;
    caps.max_width = max_width_px;
    caps.max_height = max_height_px;
    caps.size_alignment = 2;
    caps.max_sessions = 0;
    caps.flags = VTC_ENCODER_CAP_FORCED_KEYFRAME | VTC_ENCODER_CAP_EXTRADATA |
                 VTC_ENCODER_CAP_CLOSED_GOP | VTC_ENCODER_CAP_THREADS;
}

SvtAv1Encoder::SvtAv1Encoder(const vtc_host &host, const vtc_encoder_config &config)
    : host_(host), config_(config) {
    require_matching_library();
    quiet_library_logging();

    EbSvtAv1EncConfiguration svt{};
    {
        const std::lock_guard lock(svt_setup_mutex());
        const EbErrorType status = svt_av1_enc_init_handle(&handle_, nullptr, &svt);
        if (status != EB_ErrorNone || handle_ == nullptr) {
            handle_ = nullptr;
            fail(status == EB_ErrorInsufficientResources ? VTC_ERR_NO_MEMORY : VTC_ERR_INTERNAL,
                 "svt_av1_enc_init_handle failed (" + hex(static_cast<uint32_t>(status)) + ")");
        }
    }
    try {
        apply_config(config, svt);
        bit_depth_ = svt.encoder_bit_depth;
        const size_t luma_bytes = size_t{config.width} * config.height * (bit_depth_ > 8 ? 2 : 1);
        staging_[0].resize(luma_bytes);
        staging_[1].resize(luma_bytes / 4);
        staging_[2].resize(luma_bytes / 4);
        if (config.frame_rate.num > 0 && config.frame_rate.den > 0) {
            // One frame in time_base units, when it is a whole number.
            const int64_t num = int64_t{config.frame_rate.den} * config.time_base.den;
            const int64_t den = int64_t{config.frame_rate.num} * config.time_base.num;
            default_duration_ = num % den == 0 ? num / den : 0;
        }

        const std::lock_guard lock(svt_setup_mutex());
        EbErrorType status = svt_av1_enc_set_parameter(handle_, &svt);
        if (status != EB_ErrorNone) {
            fail(VTC_ERR_UNSUPPORTED,
                 "SVT-AV1 refused the configuration (svt_av1_enc_set_parameter " +
                     hex(static_cast<uint32_t>(status)) + ")");
        }
        status = svt_av1_enc_init(handle_);
        if (status != EB_ErrorNone) {
            fail(status == EB_ErrorInsufficientResources ? VTC_ERR_NO_MEMORY : VTC_ERR_INTERNAL,
                 "svt_av1_enc_init failed (" + hex(static_cast<uint32_t>(status)) + ")");
        }
        svt_initialised_ = true;

        EbBufferHeaderType *header = nullptr;
        status = svt_av1_enc_stream_header(handle_, &header);
        if (status != EB_ErrorNone || header == nullptr) {
            fail(VTC_ERR_INTERNAL,
                 "svt_av1_enc_stream_header failed (" + hex(static_cast<uint32_t>(status)) + ")");
        }
        predicted_header_ = sequence_header_of({header->p_buffer, header->n_filled_len});
        svt_av1_enc_stream_header_release(header);
        if (predicted_header_.empty()) {
            fail(VTC_ERR_INTERNAL, "svt_av1_enc_stream_header returned no sequence header OBU");
        }
    } catch (...) {
        shut_down();
        throw;
    }

    log(VTC_LOG_DEBUG,
        std::string("libSvtAv1Enc ") + svt_av1_get_version() + ": " + std::to_string(config.width) +
            "x" + std::to_string(config.height) + " " + std::to_string(bit_depth_) +
            "-bit, preset " + std::to_string(svt.enc_mode) + ", " +
            rate_control_name(config.rate_control) + " " + std::to_string(svt.qp) +
            (svt.max_bit_rate != 0 ? ", cap " + std::to_string(config.max_bitrate_kbps) + " kbps"
                                   : std::string()) +
            ", key frame interval " + std::to_string(svt.intra_period_length + 1));
    if (config.rate_control == VTC_RATE_CONTROL_CAPPED_CRF && config.vbv_buffer_kbits != 0) {
        log(VTC_LOG_DEBUG, "vbv_buffer_kbits is not used: SVT-AV1 1.4.1 caps the rate over its "
                           "own window");
    }
}

SvtAv1Encoder::~SvtAv1Encoder() {
    shut_down();
}

void SvtAv1Encoder::shut_down() noexcept {
    if (handle_ == nullptr) {
        return;
    }
    if (svt_initialised_) {
        // svt_av1_enc_deinit() flushes the encoder and waits for its
        // end-of-stream packet. SVT-AV1 1.4.1 never sends that packet when it
        // was given no frame at all, and would wait forever; one blank frame
        // avoids it. Should even that fail, leaking the handle beats hanging.
        bool can_flush = true;
        try {
            if (next_index_ == 0 && !eos_sent_) {
                for (auto &plane : staging_) {
                    std::fill(plane.begin(), plane.end(), uint8_t{0});
                }
                submit_staging(0, 0);
            }
            if (!eos_sent_) {
                send_end_of_stream();
            }
        } catch (...) {
            can_flush = false;
        }
        if (!can_flush) {
            handle_ = nullptr;
            return;
        }
        svt_av1_enc_deinit(handle_);
    }
    const std::lock_guard lock(svt_setup_mutex());
    svt_av1_enc_deinit_handle(handle_);
    handle_ = nullptr;
}

void SvtAv1Encoder::log(int32_t level, const std::string &message) const {
    sdk::log(&host_, level, message);
}

void SvtAv1Encoder::check_cancelled() const {
    if (sdk::is_cancelled(&host_)) {
        fail(VTC_ERR_CANCELLED, "cancelled by the host");
    }
}

std::span<const uint8_t> SvtAv1Encoder::extradata() {
    if (!stream_header_.empty()) {
        return stream_header_;
    }
    return predicted_header_;
}

void SvtAv1Encoder::copy_into_staging(const vtc_frame &frame) {
    // Bottom-up planes (negative strides) are fine: rows are copied one by one.
    sdk::check_frame_planes(frame, config_, sdk::StrideSign::any);
    const uint32_t sample_bytes = bit_depth_ > 8 ? 2 : 1;
    for (int plane = 0; plane < 3; ++plane) {
        const uint32_t width = plane == 0 ? config_.width : config_.width / 2;
        const uint32_t height = plane == 0 ? config_.height : config_.height / 2;
        const size_t row_bytes = size_t{width} * sample_bytes;
        const int64_t stride = frame.strides[plane];
        uint8_t *out = staging_[plane].data();
        for (uint32_t y = 0; y < height; ++y, out += row_bytes) {
            const uint8_t *in = frame.planes[plane] + int64_t{y} * stride;
            if (sample_bytes == 1) {
                std::memcpy(out, in, row_bytes);
                continue;
            }
            // Only the low 10 bits are samples; stray high bits would reach
            // SVT-AV1's 10-bit packing as garbage.
            for (uint32_t x = 0; x < width; ++x) {
                uint16_t sample;
                std::memcpy(&sample, in + 2 * x, 2);
                sample &= 0x3ff;
                std::memcpy(out + 2 * x, &sample, 2);
            }
        }
    }
}

void SvtAv1Encoder::submit_staging(uint32_t flags, int64_t index) {
    // Strides are in samples; svt_av1_enc_send_picture() copies the picture
    // before it returns, so the staging buffers can be reused at once.
    EbSvtIOFormat picture{};
    picture.luma = staging_[0].data();
    picture.cb = staging_[1].data();
    picture.cr = staging_[2].data();
    picture.y_stride = config_.width;
    picture.cb_stride = config_.width / 2;
    picture.cr_stride = config_.width / 2;
    picture.width = config_.width;
    picture.height = config_.height;
    picture.color_fmt = EB_YUV420;
    picture.bit_depth = bit_depth_ > 8 ? EB_TEN_BIT : EB_EIGHT_BIT;

    EbBufferHeaderType buffer{};
    buffer.size = sizeof(buffer);
    buffer.p_buffer = reinterpret_cast<uint8_t *>(&picture);
    buffer.n_filled_len =
        static_cast<uint32_t>(staging_[0].size() + staging_[1].size() + staging_[2].size());
    buffer.n_alloc_len = buffer.n_filled_len;
    buffer.pts = index;
    buffer.pic_type =
        (flags & VTC_FRAME_FORCE_KEYFRAME) != 0 ? EB_AV1_KEY_PICTURE : EB_AV1_INVALID_PICTURE;
    const EbErrorType status = svt_av1_enc_send_picture(handle_, &buffer);
    if (status != EB_ErrorNone) {
        fail(VTC_ERR_INTERNAL,
             "svt_av1_enc_send_picture failed (" + hex(static_cast<uint32_t>(status)) + ")");
    }
    ++next_index_;
}

void SvtAv1Encoder::send_end_of_stream() {
    EbBufferHeaderType buffer{};
    buffer.size = sizeof(buffer);
    buffer.flags = EB_BUFFERFLAG_EOS;
    buffer.pic_type = EB_AV1_INVALID_PICTURE;
    eos_sent_ = true;
    const EbErrorType status = svt_av1_enc_send_picture(handle_, &buffer);
    if (status != EB_ErrorNone) {
        fail(VTC_ERR_INTERNAL, "svt_av1_enc_send_picture(end of stream) failed (" +
                                   hex(static_cast<uint32_t>(status)) + ")");
    }
}

vtc_status SvtAv1Encoder::send_frame(const vtc_frame &frame) {
    check_cancelled();
    // Taking finished packets first keeps SVT's output pool from filling up
    // while the host keeps sending.
    collect(false);
    copy_into_staging(frame);
    const int64_t index = next_index_;
    in_flight_[index] = {frame.pts, frame.duration != 0 ? frame.duration : default_duration_};
    try {
        submit_staging(frame.flags, index);
    } catch (...) {
        in_flight_.erase(index);
        throw;
    }
    collect(false);
    return VTC_OK;
}

void SvtAv1Encoder::drain() {
    if (eos_sent_) {
        return;
    }
    if (next_index_ == 0) {
        // Nothing to flush, and SVT-AV1 1.4.1 would never answer an end of
        // stream that follows no frame; the encoder is simply finished.
        eos_received_ = true;
        return;
    }
    send_end_of_stream();
}

vtc_status SvtAv1Encoder::receive_packet(vtc_packet &packet) {
    if (ready_.empty() && !eos_received_) {
        if (!eos_sent_) {
            collect(false);
        } else {
            while (ready_.empty() && !eos_received_) {
                check_cancelled();
                collect(true);
            }
        }
    }
    if (ready_.empty()) {
        return eos_received_ ? VTC_END_OF_STREAM : VTC_NEED_INPUT;
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    packet.flags = current_.keyframe ? VTC_PACKET_KEYFRAME : 0u;
    packet.data = current_.data.data();
    packet.size = current_.data.size();
    packet.pts = current_.pts;
    packet.dts = current_.pts; // AV1 temporal units come out in presentation order
    packet.duration = current_.duration;
    return VTC_OK;
}

void SvtAv1Encoder::collect(bool blocking) {
    while (!eos_received_) {
        EbBufferHeaderType *buffer = nullptr;
        const EbErrorType status =
            svt_av1_enc_get_packet(handle_, &buffer, blocking ? uint8_t{1} : uint8_t{0});
        if (status == EB_NoErrorEmptyQueue) {
            return;
        }
        if (status != EB_ErrorNone || buffer == nullptr) {
            const uint32_t flags = buffer != nullptr ? buffer->flags : 0u;
            if (buffer != nullptr) {
                svt_av1_enc_release_out_buffer(&buffer);
            }
            fail(VTC_ERR_INTERNAL, "SVT-AV1 reported an encoding error (status " +
                                       hex(static_cast<uint32_t>(status)) + ", flags " +
                                       hex(flags) + ")");
        }
        try {
            take(*buffer);
        } catch (...) {
            svt_av1_enc_release_out_buffer(&buffer);
            throw;
        }
        svt_av1_enc_release_out_buffer(&buffer);
        if (blocking) {
            return;
        }
    }
}

void SvtAv1Encoder::take(EbBufferHeaderType &buffer) {
    if ((buffer.flags & EB_BUFFERFLAG_EOS) != 0) {
        eos_received_ = true;
    }
    if (buffer.n_filled_len == 0) {
        return;
    }
    const auto timing = in_flight_.find(buffer.pts);
    if (timing == in_flight_.end()) {
        fail(VTC_ERR_INTERNAL, "SVT-AV1 returned a packet for a frame it was never given (index " +
                                   std::to_string(buffer.pts) + ")");
    }
    Packet packet;
    packet.pts = timing->second.pts;
    packet.duration = timing->second.duration;
    in_flight_.erase(timing);
    packet.keyframe = buffer.pic_type == EB_AV1_KEY_PICTURE;
    const std::span<const uint8_t> bytes(buffer.p_buffer, buffer.n_filled_len);
    packet.data.assign(bytes.begin(), bytes.end());

    if (packet.keyframe) {
        std::vector<uint8_t> header = sequence_header_of(bytes);
        if (header.empty()) {
            // A random-access point must decode on its own: put the sequence
            // header right after the temporal delimiter, where AV1 wants it.
            const auto td = obu_at(bytes, 0);
            const size_t at = td && td->type == obu_temporal_delimiter ? td->size : 0;
            const std::span<const uint8_t> known = extradata();
            packet.data.insert(packet.data.begin() + static_cast<std::ptrdiff_t>(at), known.begin(),
                               known.end());
        } else if (stream_header_.empty()) {
            if (header != predicted_header_) {
                log(VTC_LOG_DEBUG, "the stream's sequence header differs from the one "
                                   "svt_av1_enc_stream_header predicted; extradata now "
                                   "returns the stream's");
            }
            stream_header_ = std::move(header);
        }
    }
    ready_.push_back(std::move(packet));
}

} // namespace vtc::plugins::svtav1
