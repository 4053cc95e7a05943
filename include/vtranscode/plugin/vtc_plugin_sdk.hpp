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
///     // the host did not send hold their vtc_encoder_config_defaults() values.
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
/// structs give VTC_ERR_INVALID_ARG; a frame whose size, pixel format, memory type
/// or pts does not fit the config gives VTC_ERR_INVALID_ARG; send_frame() after
/// drain() gives VTC_ERR_INVALID_STATE; after drain() a NEED_INPUT from the class
/// becomes END_OF_STREAM. Every trampoline is `noexcept`: vtc::sdk::Error becomes
/// its status and message, std::bad_alloc becomes VTC_ERR_NO_MEMORY, and any other
/// exception VTC_ERR_INTERNAL with its what() text.
///
/// Threading: as vtc_encoder.h. The adapter adds no locking; the host already
/// serialises calls on one instance.
#ifndef VTRANSCODE_PLUGIN_VTC_PLUGIN_SDK_HPP
#define VTRANSCODE_PLUGIN_VTC_PLUGIN_SDK_HPP

#include "vtc_plugin.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace vtc::sdk {

/// The exception a plugin class throws to fail a call with a given status.
class Error : public std::exception {
public:
    Error(vtc_status status, std::string message)
        : status_(status), message_(std::move(message)) {}
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
    Instance(const vtc_host &host, const vtc_encoder_config &cfg) : config(cfg), impl(host, config) {}

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
                             vtc_encoder **out, char *error_buf,
                             uint32_t error_buf_size) noexcept {
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
        if (config->width == 0 || config->height == 0 || config->time_base.num <= 0 ||
            config->time_base.den <= 0) {
            copy_message(error_buf, error_buf_size,
                         "create: width, height and time_base must be positive");
            return VTC_ERR_INVALID_ARG;
        }
        try {
            vtc_encoder_config full;
            vtc_encoder_config_defaults(&full);
            std::memcpy(static_cast<void *>(&full), config,
                        std::min<size_t>(config->struct_size, sizeof(full)));
            full.struct_size = sizeof(full);
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
        sizeof(vtc_encoder_vtbl), 0,     &query_caps,     &create,     &destroy,
        &get_extradata,           &send_frame, &drain, &receive_packet, &last_error,
    };
};

} // namespace detail

/// The vtc_encoder_info describing encoder class @p Impl.
template <class Impl>
inline constexpr vtc_encoder_info encoder_info = {
    sizeof(vtc_encoder_info), Impl::codec, Impl::id, Impl::description,
    &detail::Adapter<Impl>::vtbl, Impl::rank, 0,
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
#define VTC_PLUGIN_DEFINE(name, version, license, description, ...)                               \
    extern "C" VTC_PLUGIN_EXPORT const struct vtc_plugin_descriptor *vtc_plugin_entry(            \
        uint32_t host_abi_major, uint32_t host_abi_minor) {                                       \
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
