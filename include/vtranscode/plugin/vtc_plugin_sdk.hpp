// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file vtc_plugin_sdk.hpp
/// @brief Optional, header-only C++ helper for writing encoder plugins.
///
/// Nothing in here crosses the ABI: it turns an ordinary C++ class into the C
/// vtable of vtc_encoder.h and declares the entry point of vtc_plugin.h. A
/// plugin written in plain C does not need it.
///
/// An encoder class provides:
/// @code
/// class MyEncoder {
/// public:
///     static constexpr const char *id = "my-h264";            // vtc_encoder_info::id
///     static constexpr const char *description = "My H.264 encoder";
///     static constexpr int32_t codec = VTC_CODEC_H264;
///     static constexpr int32_t rank = VTC_RANK_SECONDARY;
///
///     // Fill `caps` (already zeroed, struct_size set); throw vtc::sdk::Error
///     // (for example VTC_ERR_NO_DEVICE) when the encoder is unusable here.
///     static void query_caps(const vtc_host &host, vtc_encoder_caps &caps);
///
///     // Throw vtc::sdk::Error to refuse the config. `config` is complete: members
///     // the host did not send hold their vtc_encoder_config_defaults() values,
///     // and it has passed vtc::sdk::validate_config(), so only what this
///     // encoder can or cannot do is left to check.
///     // Both references stay valid for the object's whole life; the config's
///     // strings (preset, device, options) only during the constructor.
///     MyEncoder(const vtc_host &host, const vtc_encoder_config &config);
///
///     std::span<const uint8_t> extradata();          // throw UNSUPPORTED if none
///     vtc_status send_frame(const vtc_frame &frame); // VTC_OK or VTC_OUTPUT_PENDING
///     void drain();
///     vtc_status receive_packet(vtc_packet &packet); // VTC_OK / NEED_INPUT / END_OF_STREAM
/// };
///
/// VTC_PLUGIN_DEFINE(my, "1.0.0", "MIT", "My encoders", MyEncoder)
/// @endcode
///
/// The adapter does the checks every plugin needs: NULL arguments and undersized
/// structs give VTC_ERR_INVALID_ARG; create() runs validate_config() before it
/// constructs the class, so a config no encoder could accept never reaches it;
/// a frame whose size, pixel format, memory type
/// or pts does not fit the config gives VTC_ERR_INVALID_ARG; send_frame() after
/// drain() gives VTC_ERR_INVALID_STATE; after drain() a NEED_INPUT from the class
/// becomes END_OF_STREAM. Every trampoline is `noexcept`: vtc::sdk::Error becomes
/// its status and message, std::bad_alloc becomes VTC_ERR_NO_MEMORY, and any other
/// exception VTC_ERR_INTERNAL with its what() text.
///
/// Helpers for what the class itself checks: parse_options() splits the
/// `key=value` options, check_frame_planes() checks a system-memory frame's
/// planes, and validate_config() (already run by create()) is public for plugins
/// that build their own vtable.
///
/// Threading: as vtc_encoder.h. The adapter adds no locking; the host already
/// serialises calls on one instance.
#ifndef VTRANSCODE_PLUGIN_VTC_PLUGIN_SDK_HPP
#define VTRANSCODE_PLUGIN_VTC_PLUGIN_SDK_HPP

#include "vtc_plugin.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtc::sdk {

/// The exception a plugin class throws to fail a call with a given status.
class Error : public std::exception {
public:
    Error(vtc_status status, std::string message) : status_(status), message_(std::move(message)) {}
    vtc_status status() const noexcept { return status_; }
    const char *what() const noexcept override { return message_.c_str(); }

private:
    vtc_status status_;
    std::string message_;
};

/// Throws vtc::sdk::Error; reads well at the point of failure.
[[noreturn]] inline void fail(vtc_status status, std::string message) {
    throw Error(status, std::move(message));
}

/// Writes @p text into a caller buffer of @p size bytes, NUL-terminated and
/// truncated if needed. Does nothing when the buffer is NULL or empty.
inline void copy_message(char *buffer, uint32_t size, std::string_view text) noexcept {
    if (buffer == nullptr || size == 0) {
        return;
    }
    const size_t count = std::min<size_t>(text.size(), size - 1u);
    std::memcpy(buffer, text.data(), count);
    buffer[count] = '\0';
}

/// Since 1.1: names the device in caps.device_name (the class's query_caps()
/// always gets the full struct; the adapter copies only what the host has room
/// for). @p name is cut to fit on a UTF-8 character boundary, NUL-terminated;
/// control characters become spaces.
inline void set_device_name(vtc_encoder_caps &caps, std::string_view name) noexcept {
    size_t count = std::min<size_t>(name.size(), sizeof(caps.device_name) - 1u);
    // Never end inside a multi-byte character: back up over continuation bytes.
    if (count < name.size()) {
        while (count > 0 && (static_cast<unsigned char>(name[count]) & 0xC0u) == 0x80u) {
            --count;
        }
    }
    for (size_t i = 0; i < count; ++i) {
        const auto byte = static_cast<unsigned char>(name[i]);
        caps.device_name[i] = byte < 0x20u ? ' ' : name[i];
    }
    std::memset(caps.device_name + count, 0, sizeof(caps.device_name) - count);
}

/// Logs through the host, if it offers logging. Never throws.
inline void log(const vtc_host *host, int32_t level, const std::string &message) noexcept {
    if (host != nullptr && host->log != nullptr && level <= host->log_level) {
        host->log(host->ctx, level, message.c_str());
    }
}

/// True when the host asks for the current work to stop.
inline bool is_cancelled(const vtc_host *host) noexcept {
    return host != nullptr && host->is_cancelled != nullptr && host->is_cancelled(host->ctx) != 0;
}

// ---------------------------------------------------------------------------
// Validation helpers. Each checks only what the ABI headers alone decide, with
// no knowledge of any codec library; the limits of one encoder (its quality
// scale, sizes, B-frames, profiles and bit depths, presets, option names) stay
// in the plugin. They throw nothing but vtc::sdk::Error and std::bad_alloc,
// which every trampoline below turns into a status, so they are safe to call
// anywhere in the encoder class. Header-only SDK API, not part of the binary
// ABI.

namespace detail {

inline std::string rational_text(vtc_rational value) {
    return std::to_string(value.num) + "/" + std::to_string(value.den);
}

inline const char *codec_name(int32_t codec) noexcept {
    switch (codec) {
    case VTC_CODEC_H264:
        return "H.264";
    case VTC_CODEC_HEVC:
        return "HEVC";
    case VTC_CODEC_AV1:
        return "AV1";
    default:
        return "unknown codec's";
    }
}

// The codec a profile belongs to, by the enum vtc_profile in vtc_types.h;
// VTC_CODEC_UNSET for a value that header does not define.
inline int32_t profile_codec(int32_t profile) noexcept {
    switch (profile) {
    case VTC_PROFILE_H264_BASELINE:
    case VTC_PROFILE_H264_MAIN:
    case VTC_PROFILE_H264_HIGH:
    case VTC_PROFILE_H264_HIGH10:
        return VTC_CODEC_H264;
    case VTC_PROFILE_HEVC_MAIN:
    case VTC_PROFILE_HEVC_MAIN10:
        return VTC_CODEC_HEVC;
    case VTC_PROFILE_AV1_MAIN:
        return VTC_CODEC_AV1;
    default:
        return VTC_CODEC_UNSET;
    }
}

// An enumeration member must be set (non-zero) and one the headers define.
inline void check_enum(int32_t value, int32_t last, const char *member) {
    if (value == 0) {
        throw Error(VTC_ERR_INVALID_ARG, std::string(member) + " must be set");
    }
    if (value < 0 || value > last) {
        throw Error(VTC_ERR_INVALID_ARG,
                    "unknown " + std::string(member) + " " + std::to_string(value));
    }
}

inline void check_code_point(int32_t value, const char *member) {
    if (value < 0 || value > 255) {
        throw Error(VTC_ERR_INVALID_ARG, std::string(member) + " " + std::to_string(value) +
                                             " is not an ITU-T H.273 code point");
    }
}

} // namespace detail

/// One entry of vtc_encoder_config::options, split at its first '='.
/// Since 1.0.
struct Option {
    std::string key;   ///< never empty
    std::string value; ///< may be empty, and may itself contain '='
};

/// Splits a NULL-terminated vtc_encoder_config::options array (NULL: no
/// options) into its entries, in their order. Duplicate keys are all kept, in
/// order; what they mean is the plugin's to decide. Whether a key is known is
/// the plugin's to check as well (VTC_ERR_INVALID_ARG naming the key, by
/// vtc_encoder.h).
///
/// @return the entries as owned copies: they stay valid after the config's
///         borrowed strings are gone.
/// @throws vtc::sdk::Error VTC_ERR_INVALID_ARG `option 'TEXT' is not key=value`
///         for the first entry without '=' or with an empty key.
/// Thread-safe. Since 1.0.
inline std::vector<Option> parse_options(const char *const *options) {
    std::vector<Option> out;
    if (options == nullptr) {
        return out;
    }
    for (size_t i = 0; options[i] != nullptr; ++i) {
        const std::string_view text = options[i];
        const size_t equals = text.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            throw Error(VTC_ERR_INVALID_ARG, "option '" + std::string(text) + "' is not key=value");
        }
        out.push_back({std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))});
    }
    return out;
}

/// Checks every member of @p config whose validity the ABI alone decides, in
/// this order, and throws for the first that "can never be valid"
/// (vtc_encoder.h):
///  - `codec` UNSET or not an enum vtc_codec value;
///  - `width` or `height` 0; a `time_base` member not positive;
///  - `pixel_format`, `memory_type` or `rate_control` UNSET or not a value of
///    its enumeration;
///  - `profile` neither UNSET nor a profile of `codec` (an HEVC profile for
///    H.264, or a value enum vtc_profile does not define);
///  - the rate-control arguments: CAPPED_CRF without `max_bitrate_kbps`, VBR or
///    CBR without `bitrate_kbps`, VBR with a `max_bitrate_kbps` below
///    `bitrate_kbps`;
///  - `max_b_frames` below VTC_B_FRAMES_DEFAULT;
///  - `frame_rate` with a negative numerator, or a positive numerator over a
///    denominator that is not positive ({0, d} means "no nominal rate");
///  - `sample_aspect_ratio` with a negative member, or a positive numerator
///    over 0 ({0, d} means "unknown");
///  - `color_primaries`, `color_transfer` or `color_matrix` outside the
///    ITU-T H.273 code points 0..255, `color_range` outside 0..2;
///  - an `options` entry that is not key=value (see parse_options()).
/// Not checked, because their valid range is the encoder's own or any value is
/// valid: quality, preset, device, vbv_buffer_kbits, max_keyframe_interval,
/// thread_count, flags. The caller must pass a complete struct (all ABI 1.0
/// members readable); struct_size itself is not looked at.
///
/// @throws vtc::sdk::Error with VTC_ERR_INVALID_ARG and a one-line message that
///         names the member (for example "rate_control must be set",
///         "frame_rate 25/0 is invalid"). Never VTC_ERR_UNSUPPORTED: whether a
///         valid value is supported is the encoder's to say.
/// The adapter's create() calls it on the completed config before it
/// constructs the encoder class. Thread-safe (reads @p config only). Since 1.0.
inline void validate_config(const vtc_encoder_config &config) {
    // Each enumeration's last value in this header set: a value a later minor
    // appends is unknown to a plugin built against this one, and so invalid.
    detail::check_enum(config.codec, VTC_CODEC_AV1, "codec");
    if (config.width == 0 || config.height == 0) {
        throw Error(VTC_ERR_INVALID_ARG, "width and height must be positive, not " +
                                             std::to_string(config.width) + "x" +
                                             std::to_string(config.height));
    }
    if (config.time_base.num <= 0 || config.time_base.den <= 0) {
        throw Error(VTC_ERR_INVALID_ARG,
                    "time_base " + detail::rational_text(config.time_base) + " is not positive");
    }
    detail::check_enum(config.pixel_format, VTC_PIXEL_FORMAT_P010, "pixel_format");
    detail::check_enum(config.memory_type, VTC_MEMORY_VA_SURFACE, "memory_type");
    if (config.profile != VTC_PROFILE_UNSET &&
        detail::profile_codec(config.profile) != config.codec) {
        throw Error(VTC_ERR_INVALID_ARG, "profile " + std::to_string(config.profile) +
                                             " is not an " + detail::codec_name(config.codec) +
                                             " profile");
    }

    detail::check_enum(config.rate_control, VTC_RATE_CONTROL_CBR, "rate_control");
    if (config.rate_control == VTC_RATE_CONTROL_CAPPED_CRF && config.max_bitrate_kbps == 0) {
        throw Error(VTC_ERR_INVALID_ARG, "capped CRF needs max_bitrate_kbps");
    }
    if ((config.rate_control == VTC_RATE_CONTROL_VBR ||
         config.rate_control == VTC_RATE_CONTROL_CBR) &&
        config.bitrate_kbps == 0) {
        throw Error(VTC_ERR_INVALID_ARG, "VBR and CBR need bitrate_kbps");
    }
    if (config.rate_control == VTC_RATE_CONTROL_VBR && config.max_bitrate_kbps != 0 &&
        config.max_bitrate_kbps < config.bitrate_kbps) {
        throw Error(VTC_ERR_INVALID_ARG, "max_bitrate_kbps is below bitrate_kbps");
    }
    if (config.max_b_frames < VTC_B_FRAMES_DEFAULT) {
        throw Error(VTC_ERR_INVALID_ARG, "max_b_frames " + std::to_string(config.max_b_frames) +
                                             " is below VTC_B_FRAMES_DEFAULT (-1)");
    }

    if (config.frame_rate.num < 0 || (config.frame_rate.num > 0 && config.frame_rate.den <= 0)) {
        throw Error(VTC_ERR_INVALID_ARG,
                    "frame_rate " + detail::rational_text(config.frame_rate) + " is invalid");
    }
    const vtc_rational sar = config.sample_aspect_ratio;
    if (sar.num < 0 || sar.den < 0 || (sar.num > 0 && sar.den == 0)) {
        throw Error(VTC_ERR_INVALID_ARG,
                    "sample_aspect_ratio " + detail::rational_text(sar) + " is invalid");
    }
    detail::check_code_point(config.color_primaries, "color_primaries");
    detail::check_code_point(config.color_transfer, "color_transfer");
    detail::check_code_point(config.color_matrix, "color_matrix");
    if (config.color_range < 0 || config.color_range > 2) {
        throw Error(VTC_ERR_INVALID_ARG,
                    "color_range " + std::to_string(config.color_range) + " is not 0, 1 or 2");
    }
    (void)parse_options(config.options);
}

/// How check_frame_planes() treats a negative stride. Since 1.0.
enum class StrideSign {
    positive, ///< a negative stride is refused (the encoder reads rows top-down)
    any,      ///< a negative stride is a bottom-up plane; its magnitude must hold a row
};

/// Checks that a system-memory @p frame carries every plane of @p config's
/// pixel format (vtc_types.h: I420 and I420_10 have three, NV12 and P010 two),
/// each non-NULL with a stride that holds one row of that plane: `width`
/// samples for luma, ceil(width / 2) per chroma plane (4:2:0) or twice that for
/// an interleaved UV plane, at 2 bytes a sample for the 10-bit formats. Planes
/// beyond the format's are not looked at; nor are the bytes behind the
/// pointers, which the host vouches for.
///
/// Meant for the class's send_frame(): by then the adapter has checked that the
/// frame's size, pixel format and memory type equal the config's, and that
/// plane 0 is there. Does nothing when the config's memory type is not
/// VTC_MEMORY_SYSTEM.
///
/// @throws vtc::sdk::Error VTC_ERR_INVALID_ARG
///         "send_frame: plane N is NULL or its stride is shorter than a row",
///         or "unknown pixel_format N" for a format this header does not define.
/// Thread-safe. Since 1.0.
inline void check_frame_planes(const vtc_frame &frame, const vtc_encoder_config &config,
                               StrideSign sign = StrideSign::positive) {
    if (config.memory_type != VTC_MEMORY_SYSTEM) {
        return;
    }
    int64_t sample_bytes = 1;
    bool interleaved_chroma = false;
    switch (config.pixel_format) {
    case VTC_PIXEL_FORMAT_I420:
        break;
    case VTC_PIXEL_FORMAT_NV12:
        interleaved_chroma = true;
        break;
    case VTC_PIXEL_FORMAT_I420_10:
        sample_bytes = 2;
        break;
    case VTC_PIXEL_FORMAT_P010:
        sample_bytes = 2;
        interleaved_chroma = true;
        break;
    default:
        throw Error(VTC_ERR_INVALID_ARG,
                    "unknown pixel_format " + std::to_string(config.pixel_format));
    }
    const int64_t luma_row = int64_t{config.width} * sample_bytes;
    const int64_t chroma_row =
        (int64_t{config.width} + 1) / 2 * sample_bytes * (interleaved_chroma ? 2 : 1);
    const int planes = interleaved_chroma ? 2 : 3;
    for (int i = 0; i < planes; ++i) {
        const int64_t stride = frame.strides[i];
        const int64_t reach = sign == StrideSign::any && stride < 0 ? -stride : stride;
        if (frame.planes[i] == nullptr || reach < (i == 0 ? luma_row : chroma_row)) {
            throw Error(VTC_ERR_INVALID_ARG, "send_frame: plane " + std::to_string(i) +
                                                 " is NULL or its stride is shorter than a row");
        }
    }
}

/// Size of the ABI 1.0 part of a struct: everything up to and including @p last.
#define VTC_SDK_SIZE_UNTIL(type, last) (offsetof(type, last) + sizeof(type::last))

namespace detail {

// Copies the first min(dst_size, sizeof(T)) bytes of a fully built struct into
// the caller's, so a plugin never writes past what the host allocated, and
// records how much was written in struct_size.
template <class T>
void copy_out(const T &full, T *dst, uint32_t dst_size) noexcept {
    const uint32_t count = std::min<uint32_t>(dst_size, static_cast<uint32_t>(sizeof(T)));
    std::memcpy(static_cast<void *>(dst), &full, count);
    dst->struct_size = count;
}

template <class Impl>
struct Instance {
    // The class gets a reference to the instance's own copy of the config, so
    // it may keep that reference for its whole life.
    Instance(const vtc_host &host, const vtc_encoder_config &cfg)
        : config(cfg), impl(host, config) {}

    vtc_encoder_config config;
    Impl impl;
    std::string last_error;
    bool draining = false;
    bool failed = false;
    bool has_pts = false;
    int64_t last_pts = 0;
};

template <class Impl>
Instance<Impl> *instance(vtc_encoder *enc) noexcept {
    return reinterpret_cast<Instance<Impl> *>(enc);
}

template <class Impl>
const Instance<Impl> *instance(const vtc_encoder *enc) noexcept {
    return reinterpret_cast<const Instance<Impl> *>(enc);
}

// The exception firewall shared by every instance call.
template <class Impl, class Fn>
vtc_status guarded(Instance<Impl> &self, Fn &&fn) noexcept {
    try {
        self.last_error.clear();
        return fn();
    } catch (const Error &e) {
        self.last_error = e.what();
        return e.status() < 0 ? e.status() : VTC_ERR_INTERNAL;
    } catch (const std::bad_alloc &) {
        self.last_error = "out of memory";
        return VTC_ERR_NO_MEMORY;
    } catch (const std::exception &e) {
        self.last_error = std::string("internal error: ") + e.what();
        return VTC_ERR_INTERNAL;
    } catch (...) {
        self.last_error = "internal error: unknown exception";
        return VTC_ERR_INTERNAL;
    }
}

template <class Impl>
vtc_status invalid(Instance<Impl> &self, vtc_status status, const char *message) noexcept {
    try {
        self.last_error = message;
    } catch (...) {
    }
    return status;
}

template <class Impl>
struct Adapter {
    static vtc_status query_caps(const vtc_host *host, vtc_encoder_caps *caps, char *error_buf,
                                 uint32_t error_buf_size) noexcept {
        if (caps == nullptr || caps->struct_size < VTC_SDK_SIZE_UNTIL(vtc_encoder_caps, flags)) {
            copy_message(error_buf, error_buf_size,
                         "query_caps: caps is NULL or its struct_size is too small");
            return VTC_ERR_INVALID_ARG;
        }
        try {
            vtc_encoder_caps full{};
            full.struct_size = sizeof(full);
            full.codec = Impl::codec;
            full.size_alignment = 1;
            static const vtc_host no_host{sizeof(vtc_host), VTC_LOG_ERROR, nullptr,
                                          nullptr,          nullptr,       nullptr};
            Impl::query_caps(host != nullptr ? *host : no_host, full);
            copy_out(full, caps, caps->struct_size);
            return VTC_OK;
        } catch (const Error &e) {
            copy_message(error_buf, error_buf_size, e.what());
            return e.status() < 0 ? e.status() : VTC_ERR_INTERNAL;
        } catch (const std::bad_alloc &) {
            copy_message(error_buf, error_buf_size, "out of memory");
            return VTC_ERR_NO_MEMORY;
        } catch (const std::exception &e) {
            copy_message(error_buf, error_buf_size, e.what());
            return VTC_ERR_INTERNAL;
        } catch (...) {
            copy_message(error_buf, error_buf_size, "internal error: unknown exception");
            return VTC_ERR_INTERNAL;
        }
    }

    static vtc_status create(const vtc_host *host, const vtc_encoder_config *config,
                             vtc_encoder **out, char *error_buf, uint32_t error_buf_size) noexcept {
        if (out != nullptr) {
            *out = nullptr;
        }
        if (host == nullptr || config == nullptr || out == nullptr) {
            copy_message(error_buf, error_buf_size, "create: host, config or out is NULL");
            return VTC_ERR_INVALID_ARG;
        }
        if (config->struct_size < VTC_SDK_SIZE_UNTIL(vtc_encoder_config, options)) {
            copy_message(error_buf, error_buf_size, "create: config struct_size is too small");
            return VTC_ERR_INVALID_ARG;
        }
        if (config->codec != Impl::codec) {
            copy_message(error_buf, error_buf_size,
                         "create: config codec does not match this encoder");
            return VTC_ERR_INVALID_ARG;
        }
        try {
            vtc_encoder_config full;
            vtc_encoder_config_defaults(&full);
            std::memcpy(static_cast<void *>(&full), config,
                        std::min<size_t>(config->struct_size, sizeof(full)));
            full.struct_size = sizeof(full);
            // Before the class exists, so no encoder can forget it.
            validate_config(full);
            auto *self = new Instance<Impl>(*host, full);
            *out = reinterpret_cast<vtc_encoder *>(self);
            return VTC_OK;
        } catch (const Error &e) {
            copy_message(error_buf, error_buf_size, e.what());
            return e.status() < 0 ? e.status() : VTC_ERR_INTERNAL;
        } catch (const std::bad_alloc &) {
            copy_message(error_buf, error_buf_size, "out of memory");
            return VTC_ERR_NO_MEMORY;
        } catch (const std::exception &e) {
            copy_message(error_buf, error_buf_size, std::string("internal error: ") + e.what());
            return VTC_ERR_INTERNAL;
        } catch (...) {
            copy_message(error_buf, error_buf_size, "internal error: unknown exception");
            return VTC_ERR_INTERNAL;
        }
    }

    static void destroy(vtc_encoder *enc) noexcept {
        // A destructor that throws would terminate; the class must not do that.
        delete instance<Impl>(enc);
    }

    static vtc_status get_extradata(vtc_encoder *enc, const uint8_t **data,
                                    uint64_t *size) noexcept {
        if (enc == nullptr) {
            return VTC_ERR_INVALID_ARG;
        }
        auto &self = *instance<Impl>(enc);
        if (data == nullptr || size == nullptr) {
            return invalid(self, VTC_ERR_INVALID_ARG, "get_extradata: data or size is NULL");
        }
        return guarded(self, [&] {
            const std::span<const uint8_t> bytes = self.impl.extradata();
            if (bytes.empty()) {
                fail(VTC_ERR_UNSUPPORTED, "this encoder has no extradata");
            }
            *data = bytes.data();
            *size = bytes.size();
            return VTC_OK;
        });
    }

    static vtc_status send_frame(vtc_encoder *enc, const vtc_frame *frame) noexcept {
        if (enc == nullptr) {
            return VTC_ERR_INVALID_ARG;
        }
        auto &self = *instance<Impl>(enc);
        if (frame == nullptr || frame->struct_size < VTC_SDK_SIZE_UNTIL(vtc_frame, hw_handle)) {
            return invalid(self, VTC_ERR_INVALID_ARG,
                           "send_frame: frame is NULL or its struct_size is too small");
        }
        if (self.draining) {
            return invalid(self, VTC_ERR_INVALID_STATE, "send_frame: called after drain()");
        }
        if (self.failed) {
            return invalid(self, VTC_ERR_INVALID_STATE,
                           "send_frame: the encoder failed earlier and must be destroyed");
        }
        if (frame->width != self.config.width || frame->height != self.config.height ||
            frame->pixel_format != self.config.pixel_format ||
            frame->memory_type != self.config.memory_type) {
            return invalid(self, VTC_ERR_INVALID_ARG,
                           "send_frame: frame size, pixel format or memory type differs from "
                           "the config");
        }
        if (frame->memory_type == VTC_MEMORY_SYSTEM &&
            (frame->planes[0] == nullptr || frame->strides[0] == 0)) {
            return invalid(self, VTC_ERR_INVALID_ARG, "send_frame: frame has no pixel data");
        }
        if (self.has_pts && frame->pts <= self.last_pts) {
            return invalid(self, VTC_ERR_INVALID_ARG,
                           "send_frame: pts does not increase from the previous frame");
        }
        const vtc_status status = guarded(self, [&] { return self.impl.send_frame(*frame); });
        if (status == VTC_OK) {
            self.has_pts = true;
            self.last_pts = frame->pts;
        } else if (status < 0 && status != VTC_ERR_INVALID_ARG) {
            self.failed = true;
        }
        return status;
    }

    static vtc_status drain(vtc_encoder *enc) noexcept {
        if (enc == nullptr) {
            return VTC_ERR_INVALID_ARG;
        }
        auto &self = *instance<Impl>(enc);
        if (self.draining) {
            return VTC_OK;
        }
        self.draining = true;
        return guarded(self, [&] {
            self.impl.drain();
            return VTC_OK;
        });
    }

    static vtc_status receive_packet(vtc_encoder *enc, vtc_packet *packet) noexcept {
        if (enc == nullptr) {
            return VTC_ERR_INVALID_ARG;
        }
        auto &self = *instance<Impl>(enc);
        if (packet == nullptr || packet->struct_size < VTC_SDK_SIZE_UNTIL(vtc_packet, duration)) {
            return invalid(self, VTC_ERR_INVALID_ARG,
                           "receive_packet: packet is NULL or its struct_size is too small");
        }
        const uint32_t host_size = packet->struct_size;
        vtc_packet full{};
        full.struct_size = sizeof(full);
        vtc_status status = guarded(self, [&] { return self.impl.receive_packet(full); });
        if (status == VTC_NEED_INPUT && self.draining) {
            status = VTC_END_OF_STREAM;
        }
        if (status == VTC_OK) {
            copy_out(full, packet, host_size);
        } else if (status < 0) {
            self.failed = true;
        }
        return status;
    }

    static const char *last_error(const vtc_encoder *enc) noexcept {
        if (enc == nullptr) {
            return "last_error: encoder is NULL";
        }
        return instance<Impl>(enc)->last_error.c_str();
    }

    static constexpr vtc_encoder_vtbl vtbl = {
        sizeof(vtc_encoder_vtbl), 0,           &query_caps, &create,         &destroy,
        &get_extradata,           &send_frame, &drain,      &receive_packet, &last_error,
    };
};

} // namespace detail

/// The vtc_encoder_info describing encoder class @p Impl.
template <class Impl>
inline constexpr vtc_encoder_info encoder_info = {
    sizeof(vtc_encoder_info),     Impl::codec, Impl::id, Impl::description,
    &detail::Adapter<Impl>::vtbl, Impl::rank,  0,
};

/// The array of encoder descriptions for a plugin's encoder classes.
template <class... Impls>
struct EncoderList {
    static constexpr const vtc_encoder_info *items[] = {&encoder_info<Impls>...};
    static constexpr uint32_t count = sizeof...(Impls);
};

} // namespace vtc::sdk

/// Declares a plugin: its descriptor and the exported vtc_plugin_entry().
/// @p name is a bare identifier that must match the file (vtc-<name>.so); the
/// trailing arguments are the encoder classes it offers.
#define VTC_PLUGIN_DEFINE(name, version, license, description, ...)                                \
    extern "C" VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry(             \
        uint32_t host_abi_major, uint32_t host_abi_minor) {                                        \
        (void)host_abi_major;                                                                      \
        (void)host_abi_minor;                                                                      \
        using vtc_sdk_encoders = ::vtc::sdk::EncoderList<__VA_ARGS__>;                             \
        static constexpr vtc_plugin_descriptor descriptor = {                                      \
            sizeof(vtc_plugin_descriptor),                                                         \
            VTC_PLUGIN_ABI_MAJOR,                                                                  \
            VTC_PLUGIN_ABI_MINOR,                                                                  \
            #name,                                                                                 \
            version,                                                                               \
            license,                                                                               \
            description,                                                                           \
            vtc_sdk_encoders::items,                                                               \
            vtc_sdk_encoders::count,                                                               \
            0,                                                                                     \
        };                                                                                         \
        return &descriptor;                                                                        \
    }

#endif // VTRANSCODE_PLUGIN_VTC_PLUGIN_SDK_HPP
