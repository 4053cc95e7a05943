// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "checks.hpp"

#include "bitstream.hpp"
#include "plugin_access.hpp"

#include <av_decode.hpp>
#include <synthetic_frames.hpp>
#include <vtranscode/encoder_registry.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vtc::conformance {
namespace {

// ---------------------------------------------------------------------------
// Outcomes

struct Outcome {
    Verdict verdict = Verdict::pass;
    std::string reason;
};

Outcome skip(std::string reason) {
    return {Verdict::skip, std::move(reason)};
}

// Collects expectations; the first failure becomes the check's one-line reason.
class Expect {
public:
    bool that(bool condition, const std::string &reason) {
        if (!condition && failure_.empty()) {
            failure_ = reason;
        }
        return condition;
    }
    bool status(vtc_status got, vtc_status want, const std::string &what) {
        return that(got == want, what + " returned " + vtc_status_name(got) + ", expected " +
                                     vtc_status_name(want));
    }
    bool failed() const { return !failure_.empty(); }
    Outcome outcome() const {
        return failure_.empty() ? Outcome{} : Outcome{Verdict::fail, failure_};
    }

private:
    std::string failure_;
};

std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    return text;
}

// ---------------------------------------------------------------------------
// The host the checks lend to the plugin.

class Host {
public:
    Host() {
        host_.struct_size = sizeof(host_);
        host_.log_level = VTC_LOG_TRACE;
        host_.ctx = this;
        host_.log = [](void *ctx, int32_t level, const char *message) {
            auto *self = static_cast<Host *>(ctx);
            const std::lock_guard lock(self->mutex_);
            self->lines_.emplace_back(level, message != nullptr ? message : "(null)");
        };
        host_.is_cancelled = [](void *) -> int32_t { return 0; };
        host_.get_service = [](void *, const char *) -> const void * { return nullptr; };
    }
    Host(const Host &) = delete;
    Host &operator=(const Host &) = delete;

    const vtc_host *get() const { return &host_; }

    // The first log line that breaks the vtc_host::log rules, if any.
    std::optional<std::string> bad_line() const {
        const std::lock_guard lock(mutex_);
        for (const auto &[level, text] : lines_) {
            if (level < VTC_LOG_ERROR || level > VTC_LOG_TRACE) {
                return "a log line has level " + std::to_string(level);
            }
            if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos) {
                return "a log line contains a line break: \"" + one_line(text) + "\"";
            }
        }
        return std::nullopt;
    }

private:
    vtc_host host_{};
    mutable std::mutex mutex_;
    std::vector<std::pair<int32_t, std::string>> lines_;
};

// ---------------------------------------------------------------------------
// Plugin and encoder under test

std::string file_stem_name(const std::string &path) {
    std::string name = std::filesystem::path(path).filename().string();
    if (name.rfind("vtc-", 0) == 0) {
        name.erase(0, 4);
    }
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) {
        name.erase(name.size() - 3);
    }
    return name;
}

bool only_chars(const char *text, std::string_view allowed_punctuation) {
    for (const char *c = text; *c != '\0'; ++c) {
        const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                        allowed_punctuation.find(*c) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool non_empty(const char *text) {
    return text != nullptr && text[0] != '\0';
}

struct Encoder {
    LoadedPlugin plugin; // keeps the module mapped while the checks use it
    const vtc_encoder_info *info = nullptr;
    const vtc_encoder_vtbl *vt = nullptr;
    vtc_encoder_caps caps{};
    std::string id;
};

// Loads the plugin in this (child) process and picks encoder @p index; the
// plugin group has already vetted the descriptor.
Encoder open_encoder(const Options &options, uint32_t index) {
    Encoder encoder;
    encoder.plugin = load_plugin(options.plugin_path);
    const vtc_plugin_descriptor *descriptor = encoder.plugin.descriptor;
    if (descriptor == nullptr || index >= descriptor->encoder_count) {
        return encoder;
    }
    encoder.info = descriptor->encoders[index];
    encoder.vt = encoder.info->vtbl;
    encoder.id = encoder.info->id;
    Host host;
    encoder.caps.struct_size = sizeof(encoder.caps);
    char error[256] = "";
    if (encoder.vt->query_caps(host.get(), &encoder.caps, error, sizeof error) != VTC_OK) {
        encoder.vt = nullptr;
    }
    return encoder;
}

bool has_bit(uint64_t set, int bit) {
    return (set & VTC_BIT(bit)) != 0;
}

uint32_t round_up(uint32_t value, uint32_t alignment) {
    return alignment <= 1 ? value : (value + alignment - 1) / alignment * alignment;
}

// The system-memory pixel format for @p bit_depth this encoder takes, if any.
std::optional<int32_t> system_pixel_format(const vtc_encoder_caps &caps, int bit_depth) {
    if (!has_bit(caps.memory_types, VTC_MEMORY_SYSTEM)) {
        return std::nullopt;
    }
    const int32_t candidates[2] = {
        bit_depth == 10 ? VTC_PIXEL_FORMAT_I420_10 : VTC_PIXEL_FORMAT_I420,
        bit_depth == 10 ? VTC_PIXEL_FORMAT_P010 : VTC_PIXEL_FORMAT_NV12,
    };
    for (const int32_t format : candidates) {
        if (has_bit(caps.pixel_formats, format)) {
            return format;
        }
    }
    return std::nullopt;
}

// The smallest config the caps allow (at least 64x64), with a rate-control
// mode the encoder advertises. nullopt when there is no such config, with the
// reason in @p why.
std::optional<vtc_encoder_config> base_config(const Encoder &encoder, int bit_depth,
                                              std::string &why) {
    const vtc_encoder_caps &caps = encoder.caps;
    const auto format = system_pixel_format(caps, bit_depth);
    if (!format) {
        why = "the encoder takes no " + std::to_string(bit_depth) +
              "-bit frames in system memory (I420/NV12/I420_10/P010)";
        return std::nullopt;
    }
    const uint32_t alignment = std::max<uint32_t>(1, caps.size_alignment);
    vtc_encoder_config config;
    vtc_encoder_config_defaults(&config);
    config.codec = encoder.info->codec;
    config.width = round_up(std::max<uint32_t>(caps.min_width, 64), alignment);
    config.height = round_up(std::max<uint32_t>(caps.min_height, 64), alignment);
    if (config.width > caps.max_width || config.height > caps.max_height) {
        why = "the caps allow no size of at least 64x64";
        return std::nullopt;
    }
    config.pixel_format = *format;
    config.memory_type = VTC_MEMORY_SYSTEM;
    config.time_base = {1, 90000};
    config.frame_rate = {30, 1};
    // Longer than any clip here: key frames then come only where forced.
    config.max_keyframe_interval = 300;
    if (has_bit(caps.rate_control_modes, VTC_RATE_CONTROL_CRF)) {
        config.rate_control = VTC_RATE_CONTROL_CRF;
    } else if (has_bit(caps.rate_control_modes, VTC_RATE_CONTROL_CAPPED_CRF)) {
        config.rate_control = VTC_RATE_CONTROL_CAPPED_CRF;
        config.max_bitrate_kbps = 1000;
    } else if (has_bit(caps.rate_control_modes, VTC_RATE_CONTROL_CQP)) {
        config.rate_control = VTC_RATE_CONTROL_CQP;
    } else if (has_bit(caps.rate_control_modes, VTC_RATE_CONTROL_VBR)) {
        config.rate_control = VTC_RATE_CONTROL_VBR;
        config.bitrate_kbps = 500;
        config.max_bitrate_kbps = 1000;
    } else if (has_bit(caps.rate_control_modes, VTC_RATE_CONTROL_CBR)) {
        config.rate_control = VTC_RATE_CONTROL_CBR;
        config.bitrate_kbps = 500;
    } else {
        why = "the caps list no rate-control mode";
        return std::nullopt;
    }
    if ((caps.flags & VTC_ENCODER_CAP_CLOSED_GOP) != 0) {
        config.flags |= VTC_ENCODER_CONFIG_CLOSED_GOP;
    }
    if ((caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0) {
        config.flags |= VTC_ENCODER_CONFIG_GLOBAL_HEADER;
    }
    return config;
}

// An instance that is destroyed however the check ends.
struct Instance {
    const vtc_encoder_vtbl *vt = nullptr;
    vtc_encoder *enc = nullptr;
    vtc_status status = VTC_ERR_INTERNAL;
    std::string error;

    Instance(const Encoder &encoder, const Host &host, const vtc_encoder_config &config)
        : vt(encoder.vt) {
        char text[256] = "";
        status = vt->create(host.get(), &config, &enc, text, sizeof text);
        error = one_line(text);
    }
    ~Instance() {
        if (enc != nullptr) {
            vt->destroy(enc);
        }
    }
    Instance(const Instance &) = delete;
    Instance &operator=(const Instance &) = delete;
    bool ok() const { return status == VTC_OK && enc != nullptr; }
    std::string why() const {
        return std::string("create returned ") + vtc_status_name(status) + ": " + error;
    }
};

vtc_packet empty_packet() {
    vtc_packet packet{};
    packet.struct_size = sizeof(packet);
    return packet;
}

// Takes packets until the encoder says anything but VTC_OK.
vtc_status collect(const Instance &instance, std::vector<test::EncodedPacket> *out,
                   std::string *problem = nullptr) {
    for (;;) {
        vtc_packet packet = empty_packet();
        const vtc_status status = instance.vt->receive_packet(instance.enc, &packet);
        if (status != VTC_OK) {
            return status;
        }
        if ((packet.size == 0 || packet.data == nullptr) && problem != nullptr &&
            problem->empty()) {
            *problem = "receive_packet returned VTC_OK with an empty packet";
        }
        if (out != nullptr && packet.data != nullptr) {
            test::EncodedPacket copy;
            copy.data.assign(packet.data, packet.data + packet.size);
            copy.pts = packet.pts;
            copy.dts = packet.dts;
            copy.is_keyframe = (packet.flags & VTC_PACKET_KEYFRAME) != 0;
            out->push_back(std::move(copy));
        }
    }
}

// Sends one frame the way vtc_encoder.h's loop does (resending after
// VTC_OUTPUT_PENDING) and takes what comes out.
vtc_status send(const Instance &instance, const vtc_frame &frame,
                std::vector<test::EncodedPacket> *out, std::string *problem = nullptr) {
    vtc_status status;
    while ((status = instance.vt->send_frame(instance.enc, &frame)) == VTC_OUTPUT_PENDING) {
        const vtc_status taken = collect(instance, out, problem);
        if (taken != VTC_NEED_INPUT) {
            return taken;
        }
    }
    if (status != VTC_OK) {
        return status;
    }
    const vtc_status taken = collect(instance, out, problem);
    return taken == VTC_NEED_INPUT ? VTC_OK : taken;
}

// ---------------------------------------------------------------------------
// Plugin group

Outcome check_descriptor(const LoadedPlugin &plugin, const Options &options) {
    Expect expect;
    const vtc_plugin_descriptor &d = *plugin.descriptor;
    expect.that(d.struct_size >= sizeof(vtc_plugin_descriptor),
                "struct_size " + std::to_string(d.struct_size) + " is smaller than ABI 1.0's " +
                    std::to_string(sizeof(vtc_plugin_descriptor)));
    expect.that(d.abi_major == VTC_PLUGIN_ABI_MAJOR,
                "built for ABI major " + std::to_string(d.abi_major) + ", this host is " +
                    std::to_string(VTC_PLUGIN_ABI_MAJOR));
    expect.that(d.abi_minor <= VTC_PLUGIN_ABI_MINOR,
                "built for ABI minor " + std::to_string(d.abi_minor) + ", newer than this host's " +
                    std::to_string(VTC_PLUGIN_ABI_MINOR));
    if (expect.failed()) {
        return expect.outcome(); // nothing else in it can be trusted
    }
    expect.that(non_empty(d.name), "name is NULL or empty");
    expect.that(non_empty(d.version), "version is NULL or empty");
    expect.that(non_empty(d.license), "license is NULL or empty");
    expect.that(non_empty(d.description), "description is NULL or empty");
    if (non_empty(d.name)) {
        expect.that(only_chars(d.name, "_"),
                    "name \"" + std::string(d.name) + "\" has characters outside [a-z0-9_]");
        expect.that(file_stem_name(options.plugin_path) == d.name,
                    "name \"" + std::string(d.name) + "\" does not match the file name");
    }
    expect.that(d.encoder_count >= 1 && d.encoders != nullptr, "no encoders listed");
    if (expect.failed()) {
        return expect.outcome();
    }
    std::set<std::string> ids;
    for (uint32_t i = 0; i < d.encoder_count; ++i) {
        const std::string where = "encoder " + std::to_string(i);
        const vtc_encoder_info *info = d.encoders[i];
        if (!expect.that(info != nullptr, where + " is NULL")) {
            continue;
        }
        expect.that(info->struct_size >= sizeof(vtc_encoder_info),
                    where + ": struct_size " + std::to_string(info->struct_size) + " too small");
        expect.that(info->codec >= VTC_CODEC_H264 && info->codec <= VTC_CODEC_AV1,
                    where + ": unknown codec " + std::to_string(info->codec));
        if (expect.that(non_empty(info->id), where + ": id is NULL or empty")) {
            expect.that(only_chars(info->id, "._-"),
                        where + ": id \"" + info->id + "\" has characters outside [a-z0-9._-]");
            expect.that(ids.insert(info->id).second,
                        where + ": id \"" + info->id + "\" is listed twice");
        }
        expect.that(non_empty(info->description), where + ": description is NULL or empty");
        expect.that(info->rank >= 0, where + ": negative rank");
        const vtc_encoder_vtbl *vt = info->vtbl;
        if (!expect.that(vt != nullptr, where + ": vtbl is NULL")) {
            continue;
        }
        expect.that(vt->struct_size >= sizeof(vtc_encoder_vtbl),
                    where + ": vtbl struct_size " + std::to_string(vt->struct_size) + " too small");
        expect.that(vt->query_caps != nullptr && vt->create != nullptr && vt->destroy != nullptr &&
                        vt->get_extradata != nullptr && vt->send_frame != nullptr &&
                        vt->drain != nullptr && vt->receive_packet != nullptr &&
                        vt->last_error != nullptr,
                    where + ": a required vtbl member is NULL");
    }
    return expect.outcome();
}

Outcome check_entry_stable(const LoadedPlugin &plugin) {
    Expect expect;
    if (!expect.that(plugin.entry != nullptr, "the entry point cannot be looked up again")) {
        return expect.outcome();
    }
    expect.that(plugin.entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR) == plugin.descriptor,
                "a second call returned a different descriptor");
    // A newer host minor is still a host this plugin works with; refusing
    // mismatches is the host's job, not the entry point's.
    expect.that(plugin.entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR + 1) != nullptr,
                "returned NULL for a host with a newer ABI minor");
    return expect.outcome();
}

// What the host's registry makes of the plugin: it must load it and list
// every encoder, available exactly when query_caps() says so.
Outcome check_registry(const Options &options, const LoadedPlugin &plugin) {
    RegistryOptions registry_options;
    registry_options.probe_mode = ProbeMode::in_process; // this child is the isolation
    registry_options.allow_gpl = true;
    registry_options.rank_overrides = "";
    auto registry = EncoderRegistry::load_file(options.plugin_path, std::move(registry_options));
    if (!registry) {
        return {Verdict::fail, "the registry refused it: " + registry.error().message};
    }
    Expect expect;
    const vtc_plugin_descriptor &d = *plugin.descriptor;
    const auto &listed = (*registry)->encoders();
    expect.that(listed.size() == d.encoder_count, "the registry lists " +
                                                      std::to_string(listed.size()) +
                                                      " encoders, the "
                                                      "descriptor " +
                                                      std::to_string(d.encoder_count));
    for (uint32_t i = 0; i < d.encoder_count && i < listed.size(); ++i) {
        const vtc_encoder_info &info = *d.encoders[i];
        const EncoderInfo *found = (*registry)->find(info.id);
        if (!expect.that(found != nullptr,
                         std::string("the registry does not list \"") + info.id + "\"")) {
            continue;
        }
        Host host;
        vtc_encoder_caps caps{};
        caps.struct_size = sizeof(caps);
        const bool usable = info.vtbl->query_caps(host.get(), &caps, nullptr, 0) == VTC_OK;
        expect.that(found->available == usable,
                    std::string("the registry has \"") + info.id + "\" " +
                        (found->available ? "available"
                                          : "unavailable (" + found->unavailable_reason + ")") +
                        ", query_caps says otherwise");
    }
    return expect.outcome();
}

// ---------------------------------------------------------------------------
// Contract group

Outcome check_caps(const Encoder &e) {
    Expect expect;
    const vtc_encoder_caps &c = e.caps;
    // ABI 1.0's caps end with `flags`; the plugin reports min(host's, its own).
    constexpr uint32_t caps_1_0 = offsetof(vtc_encoder_caps, flags) + sizeof(uint64_t);
    expect.that(c.struct_size >= caps_1_0 && c.struct_size <= sizeof(vtc_encoder_caps),
                "struct_size out is " + std::to_string(c.struct_size) + ", expected " +
                    std::to_string(caps_1_0) + ".." + std::to_string(sizeof(vtc_encoder_caps)));
    expect.that(c.codec == e.info->codec, "caps codec differs from the encoder's codec");
    const uint32_t family = c.codec == VTC_CODEC_H264   ? 0x1eu  // profiles 1..4
                            : c.codec == VTC_CODEC_HEVC ? 0x60u  // 5..6
                                                        : 0x80u; // 7
    expect.that(c.profiles != 0 && (c.profiles & ~family) == 0,
                "profiles are empty or belong to another codec");
    expect.that(c.bit_depths != 0 &&
                    (c.bit_depths & ~(VTC_BIT_DEPTH_8 | VTC_BIT_DEPTH_10 | VTC_BIT_DEPTH_12)) == 0,
                "bit_depths are empty or unknown");
    expect.that(c.pixel_formats != 0 && (c.pixel_formats & ~uint64_t{0x1e}) == 0,
                "pixel_formats are empty or unknown");
    expect.that(c.memory_types != 0 && (c.memory_types & ~uint32_t{0x0e}) == 0,
                "memory_types are empty or unknown");
    expect.that(c.rate_control_modes != 0 && (c.rate_control_modes & ~uint32_t{0x3e}) == 0,
                "rate_control_modes are empty or unknown");
    expect.that(c.min_width >= 1 && c.min_height >= 1 && c.max_width >= c.min_width &&
                    c.max_height >= c.min_height,
                "size range " + std::to_string(c.min_width) + "x" + std::to_string(c.min_height) +
                    " .. " + std::to_string(c.max_width) + "x" + std::to_string(c.max_height) +
                    " is empty");
    expect.that(c.size_alignment >= 1, "size_alignment is 0 (1 means any size)");
    expect.that((c.flags & ~uint64_t{0x3f}) == 0, "unknown caps flags");
    const bool ten_bit_formats = has_bit(c.pixel_formats, VTC_PIXEL_FORMAT_I420_10) ||
                                 has_bit(c.pixel_formats, VTC_PIXEL_FORMAT_P010);
    expect.that(ten_bit_formats == ((c.bit_depths & VTC_BIT_DEPTH_10) != 0),
                "10-bit pixel formats and VTC_BIT_DEPTH_10 disagree");
    if (VTC_HAS_FIELD(&c, vtc_encoder_caps, device_name)) { // Since 1.1
        const size_t length = strnlen(c.device_name, sizeof(c.device_name));
        expect.that(length < sizeof(c.device_name), "device_name is not NUL-terminated");
        expect.that(std::none_of(c.device_name, c.device_name + length,
                                 [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }),
                    "device_name has control characters");
        expect.that((c.flags & VTC_ENCODER_CAP_HARDWARE) != 0 || length == 0,
                    "a software encoder names a device (device_name is for hardware)");
    }

    Host host;
    vtc_encoder_caps again{};
    again.struct_size = sizeof(again);
    char error[256] = "";
    expect.status(e.vt->query_caps(host.get(), &again, error, sizeof error), VTC_OK,
                  "a second query_caps");
    expect.that(std::memcmp(&again, &c, sizeof c) == 0, "a second query_caps gave other caps");
    return expect.outcome();
}

Outcome check_caps_bad_args(const Encoder &e) {
    Expect expect;
    Host host;
    char error[256] = "";
    expect.status(e.vt->query_caps(host.get(), nullptr, error, sizeof error), VTC_ERR_INVALID_ARG,
                  "query_caps(caps = NULL)");
    expect.that(error[0] != '\0', "query_caps(caps = NULL) wrote no error text");
    expect.status(e.vt->query_caps(host.get(), nullptr, nullptr, 0), VTC_ERR_INVALID_ARG,
                  "query_caps(caps = NULL, no error buffer)");
    // Anything shorter than ABI 1.0's caps (which end with `flags`) is invalid.
    constexpr uint32_t caps_1_0 = offsetof(vtc_encoder_caps, flags) + sizeof(uint64_t);
    for (const uint32_t size : {0u, 4u, caps_1_0 - 8}) {
        vtc_encoder_caps caps{};
        caps.struct_size = size;
        expect.status(e.vt->query_caps(host.get(), &caps, error, sizeof error), VTC_ERR_INVALID_ARG,
                      "query_caps(caps.struct_size = " + std::to_string(size) + ")");
    }
    return expect.outcome();
}

// Calls query_caps as a host whose caps struct is @p host_size bytes would,
// in a buffer of @p buffer_size bytes filled with 0xa5 past the struct's
// zeroed head; returns the status, the struct_size the plugin reported, and
// whether the bytes past it are untouched.
struct SizedCaps {
    vtc_status status = VTC_ERR_INTERNAL;
    uint32_t filled = 0;
    bool tail_intact = false;
};
SizedCaps query_caps_sized(const Encoder &e, uint32_t host_size, size_t buffer_size) {
    Host host;
    std::vector<uint8_t> buffer(buffer_size, 0xa5);
    std::memset(buffer.data(), 0, std::min<size_t>(host_size, sizeof(vtc_encoder_caps)));
    std::memcpy(buffer.data(), &host_size, sizeof host_size);
    char error[256] = "";
    SizedCaps out;
    out.status = e.vt->query_caps(host.get(), reinterpret_cast<vtc_encoder_caps *>(buffer.data()),
                                  error, sizeof error);
    std::memcpy(&out.filled, buffer.data(), sizeof out.filled);
    out.tail_intact = std::all_of(buffer.begin() + std::min<size_t>(out.filled, buffer.size()),
                                  buffer.end(), [](uint8_t b) { return b == 0xa5; });
    return out;
}

// A host built for a newer minor passes a longer caps struct: the plugin fills
// what it knows, says so in struct_size, and leaves the rest alone.
Outcome check_caps_newer_host(const Encoder &e) {
    Expect expect;
    const size_t size = sizeof(vtc_encoder_caps) + 64;
    const SizedCaps r = query_caps_sized(e, static_cast<uint32_t>(size), size);
    expect.status(r.status, VTC_OK, "query_caps with a longer struct");
    expect.that(r.filled >= sizeof(vtc_encoder_caps) && r.filled <= size,
                "struct_size out is " + std::to_string(r.filled));
    expect.that(r.tail_intact, "the plugin wrote past the struct_size it reported");
    return expect.outcome();
}

// A host built for ABI 1.0 passes the 1.0 struct (64 bytes, ending with
// `flags`): the plugin answers, reports 64 and writes nothing after it.
Outcome check_caps_older_host(const Encoder &e) {
    Expect expect;
    constexpr uint32_t caps_1_0 = offsetof(vtc_encoder_caps, flags) + sizeof(uint64_t);
    const SizedCaps r = query_caps_sized(e, caps_1_0, sizeof(vtc_encoder_caps));
    expect.status(r.status, VTC_OK, "query_caps with the ABI 1.0 struct");
    expect.that(r.filled == caps_1_0, "struct_size out is " + std::to_string(r.filled) +
                                          ", expected the host's " + std::to_string(caps_1_0));
    expect.that(r.tail_intact, "the plugin wrote past the 1.0 host's struct_size");
    return expect.outcome();
}

Outcome check_create_destroy(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    {
        const Instance instance(e, host, config);
        if (!expect.that(instance.ok(), instance.why())) {
            return expect.outcome();
        }
        const char *text = e.vt->last_error(instance.enc);
        expect.that(text != nullptr, "last_error of a fresh instance is NULL");
        if (e.caps.max_sessions == 0 || e.caps.max_sessions >= 2) {
            const Instance second(e, host, config);
            expect.that(second.ok(), "a second concurrent instance: " + second.why());
        }
    }
    e.vt->destroy(nullptr); // NULL-safe by contract
    return expect.outcome();
}

Outcome check_create_bad_args(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    char error[256];
    vtc_encoder *sentinel = reinterpret_cast<vtc_encoder *>(&expect);
    struct Case {
        const char *what;
        const vtc_host *host;
        const vtc_encoder_config *config;
        bool with_out;
    };
    const Case cases[] = {
        {"create(host = NULL)", nullptr, &config, true},
        {"create(config = NULL)", host.get(), nullptr, true},
        {"create(out = NULL)", host.get(), &config, false},
    };
    for (const Case &c : cases) {
        vtc_encoder *out = sentinel;
        error[0] = '\0';
        const vtc_status status =
            e.vt->create(c.host, c.config, c.with_out ? &out : nullptr, error, sizeof error);
        if (status == VTC_OK && c.with_out && out != sentinel) {
            e.vt->destroy(out);
        }
        expect.status(status, VTC_ERR_INVALID_ARG, c.what);
        expect.that(error[0] != '\0', std::string(c.what) + " wrote no error text");
        if (c.with_out) {
            expect.that(out == nullptr, std::string(c.what) + " left *out non-NULL");
        }
    }
    return expect.outcome();
}

Outcome check_create_bad_config(const Encoder &e, const vtc_encoder_config &base) {
    Expect expect;
    Host host;
    static const char *const unknown_option[] = {"vtc-conformance-no-such-option=1", nullptr};
    struct Case {
        const char *what;
        void (*edit)(vtc_encoder_config &);
        const char *must_name; // the error text must mention it, when set
    };
    const Case cases[] = {
        {"width 0", [](vtc_encoder_config &c) { c.width = 0; }, nullptr},
        {"height 0", [](vtc_encoder_config &c) { c.height = 0; }, nullptr},
        {"codec UNSET", [](vtc_encoder_config &c) { c.codec = VTC_CODEC_UNSET; }, nullptr},
        {"another codec", [](vtc_encoder_config &c) { c.codec = c.codec % 3 + 1; }, nullptr},
        {"codec 99", [](vtc_encoder_config &c) { c.codec = 99; }, nullptr},
        {"struct_size 4", [](vtc_encoder_config &c) { c.struct_size = 4; }, nullptr},
        {"struct_size 0", [](vtc_encoder_config &c) { c.struct_size = 0; }, nullptr},
        {"time_base 0/1",
         [](vtc_encoder_config &c) {
             c.time_base = {0, 1};
         },
         nullptr},
        {"time_base 1/0",
         [](vtc_encoder_config &c) {
             c.time_base = {1, 0};
         },
         nullptr},
        {"pixel_format UNSET",
         [](vtc_encoder_config &c) { c.pixel_format = VTC_PIXEL_FORMAT_UNSET; }, nullptr},
        {"memory_type UNSET", [](vtc_encoder_config &c) { c.memory_type = VTC_MEMORY_UNSET; },
         nullptr},
        {"rate_control UNSET",
         [](vtc_encoder_config &c) { c.rate_control = VTC_RATE_CONTROL_UNSET; }, nullptr},
        {"an unknown option key", [](vtc_encoder_config &c) { c.options = unknown_option; },
         "vtc-conformance-no-such-option"},
        {"an unknown preset",
         [](vtc_encoder_config &c) { c.preset = "vtc-conformance-no-such-preset"; }, nullptr},
    };
    for (const Case &c : cases) {
        vtc_encoder_config config = base;
        c.edit(config);
        const Instance instance(e, host, config);
        if (!expect.status(instance.status, VTC_ERR_INVALID_ARG,
                           std::string("create with ") + c.what)) {
            continue;
        }
        expect.that(instance.enc == nullptr,
                    std::string("create with ") + c.what + " failed but left *out non-NULL");
        expect.that(!instance.error.empty(),
                    std::string("create with ") + c.what + " wrote no error text");
        if (c.must_name != nullptr) {
            expect.that(instance.error.find(c.must_name) != std::string::npos,
                        std::string("create with ") + c.what +
                            ": the error text does not name the key (\"" + instance.error + "\")");
        }
    }
    return expect.outcome();
}

// A host built for a newer minor passes a longer config whose unknown tail is
// zero (neutral by the ABI's rules); the plugin must still accept it.
Outcome check_create_newer_host(const Encoder &e, const vtc_encoder_config &base) {
    Expect expect;
    Host host;
    std::vector<uint8_t> buffer(sizeof(vtc_encoder_config) + 64, 0);
    vtc_encoder_config config = base;
    config.struct_size = static_cast<uint32_t>(buffer.size());
    std::memcpy(buffer.data(), &config, sizeof config);
    const Instance instance(e, host, *reinterpret_cast<const vtc_encoder_config *>(buffer.data()));
    expect.that(instance.ok(), "a longer config from a newer host: " + instance.why());
    return expect.outcome();
}

Outcome check_error_buffer_bounds(const Encoder &e, const vtc_encoder_config &base) {
    Expect expect;
    Host host;
    vtc_encoder_config config = base;
    config.width = 0;
    char buffer[16];
    std::memset(buffer, 'X', sizeof buffer);
    vtc_encoder *out = nullptr;
    e.vt->create(host.get(), &config, &out, buffer, 4);
    if (out != nullptr) {
        e.vt->destroy(out); // a bug the create checks report; just don't leak here
        out = nullptr;
    }
    expect.that(std::memchr(buffer, '\0', 4) != nullptr,
                "create wrote an error text that is not NUL-terminated within error_buf_size");
    expect.that(std::all_of(buffer + 4, buffer + sizeof buffer, [](char c) { return c == 'X'; }),
                "create wrote past error_buf_size");
    std::memset(buffer, 'X', sizeof buffer);
    e.vt->create(host.get(), &config, &out, buffer, 0);
    if (out != nullptr) {
        e.vt->destroy(out);
    }
    expect.that(std::all_of(buffer, buffer + sizeof buffer, [](char c) { return c == 'X'; }),
                "create wrote into an error buffer of size 0");
    std::memset(buffer, 'X', sizeof buffer);
    e.vt->query_caps(host.get(), nullptr, buffer, 4);
    expect.that(std::all_of(buffer + 4, buffer + sizeof buffer, [](char c) { return c == 'X'; }),
                "query_caps wrote past error_buf_size");
    return expect.outcome();
}

Outcome check_null_instance(const Encoder &e) {
    Expect expect;
    test::SyntheticFrame picture(VTC_PIXEL_FORMAT_I420, 64, 64);
    const vtc_frame &frame = picture.fill(0, 0);
    vtc_packet packet = empty_packet();
    const uint8_t *data = nullptr;
    uint64_t size = 0;
    expect.status(e.vt->send_frame(nullptr, &frame), VTC_ERR_INVALID_ARG, "send_frame(NULL, ..)");
    expect.status(e.vt->receive_packet(nullptr, &packet), VTC_ERR_INVALID_ARG,
                  "receive_packet(NULL, ..)");
    expect.status(e.vt->drain(nullptr), VTC_ERR_INVALID_ARG, "drain(NULL)");
    expect.status(e.vt->get_extradata(nullptr, &data, &size), VTC_ERR_INVALID_ARG,
                  "get_extradata(NULL, ..)");
    const char *text = e.vt->last_error(nullptr);
    expect.that(text != nullptr, "last_error(NULL) returned NULL");
    return expect.outcome();
}

Outcome check_last_error(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    expect.that(e.vt->last_error(instance.enc) != nullptr, "last_error is NULL before any error");
    expect.status(e.vt->send_frame(instance.enc, nullptr), VTC_ERR_INVALID_ARG,
                  "send_frame(frame = NULL)");
    const char *text = e.vt->last_error(instance.enc);
    expect.that(text != nullptr && text[0] != '\0', "last_error is NULL or empty after an error");
    if (text != nullptr) {
        expect.that(std::strchr(text, '\n') == nullptr, "last_error is not one line");
    }
    return expect.outcome();
}

Outcome check_send_frame_bad_args(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    test::SyntheticFrame picture(config.pixel_format, config.width, config.height);
    const vtc_frame good = picture.fill(0, 1000);
    const int32_t other_format = config.pixel_format == VTC_PIXEL_FORMAT_I420
                                     ? VTC_PIXEL_FORMAT_NV12
                                     : VTC_PIXEL_FORMAT_I420;
    struct Case {
        const char *what;
        vtc_frame frame;
    };
    std::vector<Case> cases;
    auto add = [&](const char *what, auto edit) {
        vtc_frame frame = good;
        edit(frame);
        cases.push_back({what, frame});
    };
    add("struct_size 4", [](vtc_frame &f) { f.struct_size = 4; });
    add("another width", [&](vtc_frame &f) { f.width = config.width + 16; });
    add("another height", [&](vtc_frame &f) { f.height = config.height + 16; });
    add("another pixel format", [&](vtc_frame &f) { f.pixel_format = other_format; });
    add("pixel format 99", [](vtc_frame &f) { f.pixel_format = 99; });
    add("another memory type", [](vtc_frame &f) { f.memory_type = VTC_MEMORY_CUDA; });
    add("no luma plane", [](vtc_frame &f) { f.planes[0] = nullptr; });

    expect.status(e.vt->send_frame(instance.enc, nullptr), VTC_ERR_INVALID_ARG,
                  "send_frame(frame = NULL)");
    for (const Case &c : cases) {
        expect.status(e.vt->send_frame(instance.enc, &c.frame), VTC_ERR_INVALID_ARG,
                      std::string("send_frame with ") + c.what);
    }
    // The instance stays usable after INVALID_ARG, and pts must increase.
    std::vector<test::EncodedPacket> packets;
    expect.status(send(instance, good, &packets), VTC_OK, "send_frame of a valid frame");
    expect.status(e.vt->send_frame(instance.enc, &picture.fill(1, 1000)), VTC_ERR_INVALID_ARG,
                  "send_frame with the same pts again");
    expect.status(e.vt->send_frame(instance.enc, &picture.fill(1, 999)), VTC_ERR_INVALID_ARG,
                  "send_frame with a smaller pts");
    expect.status(send(instance, picture.fill(1, 4000), &packets), VTC_OK,
                  "send_frame of the next valid frame");
    expect.status(e.vt->drain(instance.enc), VTC_OK, "drain");
    expect.status(collect(instance, &packets), VTC_END_OF_STREAM, "receive_packet after drain");
    expect.that(packets.size() == 2,
                "2 valid frames gave " + std::to_string(packets.size()) + " packets");
    return expect.outcome();
}

Outcome check_receive_packet_bad_args(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    expect.status(e.vt->receive_packet(instance.enc, nullptr), VTC_ERR_INVALID_ARG,
                  "receive_packet(packet = NULL)");
    vtc_packet packet{};
    packet.struct_size = 4;
    expect.status(e.vt->receive_packet(instance.enc, &packet), VTC_ERR_INVALID_ARG,
                  "receive_packet(packet.struct_size = 4)");
    packet = empty_packet();
    expect.status(e.vt->receive_packet(instance.enc, &packet), VTC_NEED_INPUT,
                  "receive_packet on a fresh instance");
    return expect.outcome();
}

Outcome check_extradata_args(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    const uint8_t *data = nullptr;
    uint64_t size = 0;
    if ((e.caps.flags & VTC_ENCODER_CAP_EXTRADATA) == 0) {
        expect.status(e.vt->get_extradata(instance.enc, &data, &size), VTC_ERR_UNSUPPORTED,
                      "get_extradata without VTC_ENCODER_CAP_EXTRADATA");
        return expect.outcome();
    }
    expect.status(e.vt->get_extradata(instance.enc, &data, &size), VTC_OK,
                  "get_extradata right after create");
    expect.that(data != nullptr && size > 0, "get_extradata returned no bytes");
    expect.status(e.vt->get_extradata(instance.enc, nullptr, &size), VTC_ERR_INVALID_ARG,
                  "get_extradata(data = NULL)");
    expect.status(e.vt->get_extradata(instance.enc, &data, nullptr), VTC_ERR_INVALID_ARG,
                  "get_extradata(size = NULL)");
    return expect.outcome();
}

Outcome check_drain_empty(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    vtc_packet packet = empty_packet();
    expect.status(e.vt->drain(instance.enc), VTC_OK, "drain of an empty encoder");
    expect.status(e.vt->receive_packet(instance.enc, &packet), VTC_END_OF_STREAM,
                  "receive_packet after draining an empty encoder");
    expect.status(e.vt->drain(instance.enc), VTC_OK, "a second drain");
    expect.status(e.vt->receive_packet(instance.enc, &packet), VTC_END_OF_STREAM,
                  "receive_packet after a second drain");
    return expect.outcome();
}

Outcome check_send_after_drain(const Encoder &e, const vtc_encoder_config &config) {
    Expect expect;
    Host host;
    const Instance instance(e, host, config);
    if (!expect.that(instance.ok(), instance.why())) {
        return expect.outcome();
    }
    test::SyntheticFrame picture(config.pixel_format, config.width, config.height);
    std::vector<test::EncodedPacket> packets;
    expect.status(send(instance, picture.fill(0, 0), &packets), VTC_OK, "send_frame");
    expect.status(e.vt->drain(instance.enc), VTC_OK, "drain");
    expect.status(e.vt->send_frame(instance.enc, &picture.fill(1, 3000)), VTC_ERR_INVALID_STATE,
                  "send_frame after drain");
    expect.status(collect(instance, &packets), VTC_END_OF_STREAM, "receive_packet after drain");
    expect.that(packets.size() == 1, "the frame sent before drain gave " +
                                         std::to_string(packets.size()) + " packets, expected 1");
    return expect.outcome();
}

// ---------------------------------------------------------------------------
// Encode group

constexpr int64_t pts_origin = 1000; // not 0, so a plugin that invents pts is caught
constexpr int64_t pts_step = 3000;   // 30 fps in 1/90000

struct EncodeRun {
    std::string failure; // why encoding itself failed
    std::vector<test::EncodedPacket> packets;
    std::vector<int64_t> input_pts;
    std::set<int64_t> forced_pts;
    std::vector<uint8_t> extradata_initial; // right after create()
    std::vector<uint8_t> extradata_final;   // after the last packet
};

EncodeRun encode(const Encoder &e, const Host &host, const vtc_encoder_config &config, int count,
                 const std::set<int> &forced) {
    EncodeRun run;
    const Instance instance(e, host, config);
    if (!instance.ok()) {
        run.failure = instance.why();
        return run;
    }
    const bool has_extradata = (e.caps.flags & VTC_ENCODER_CAP_EXTRADATA) != 0;
    auto extradata = [&](std::vector<uint8_t> &out) {
        const uint8_t *data = nullptr;
        uint64_t size = 0;
        if (has_extradata && e.vt->get_extradata(instance.enc, &data, &size) == VTC_OK &&
            data != nullptr) {
            out.assign(data, data + size);
        }
    };
    extradata(run.extradata_initial);
    test::SyntheticFrame picture(config.pixel_format, config.width, config.height);
    std::string problem;
    for (int i = 0; i < count; ++i) {
        const int64_t pts = pts_origin + i * pts_step;
        const bool force = forced.count(i) != 0;
        run.input_pts.push_back(pts);
        if (force) {
            run.forced_pts.insert(pts);
        }
        const vtc_status status =
            send(instance, picture.fill(i, pts, force ? VTC_FRAME_FORCE_KEYFRAME : 0u),
                 &run.packets, &problem);
        if (status != VTC_OK) {
            run.failure = "frame " + std::to_string(i) + ": " + vtc_status_name(status) + ": " +
                          one_line(e.vt->last_error(instance.enc));
            return run;
        }
    }
    if (const vtc_status status = e.vt->drain(instance.enc); status != VTC_OK) {
        run.failure = std::string("drain returned ") + vtc_status_name(status);
        return run;
    }
    if (const vtc_status status = collect(instance, &run.packets, &problem);
        status != VTC_END_OF_STREAM) {
        run.failure = std::string("receive_packet after drain returned ") +
                      vtc_status_name(status) + ", expected VTC_END_OF_STREAM";
        return run;
    }
    if (!problem.empty()) {
        run.failure = problem;
    }
    extradata(run.extradata_final);
    return run;
}

Outcome check_encoded(const EncodeRun &run, int count) {
    Expect expect;
    expect.that(run.failure.empty(), run.failure);
    expect.that(static_cast<int>(run.packets.size()) == count,
                std::to_string(count) + " frames gave " + std::to_string(run.packets.size()) +
                    " packets");
    return expect.outcome();
}

Outcome check_timestamps(const EncodeRun &run) {
    Expect expect;
    std::multiset<int64_t> seen;
    for (size_t i = 0; i < run.packets.size(); ++i) {
        const auto &p = run.packets[i];
        const std::string where = "packet " + std::to_string(i) + " (pts " + std::to_string(p.pts) +
                                  ", dts " + std::to_string(p.dts) + ")";
        expect.that(p.dts <= p.pts, where + ": dts after pts");
        if (i > 0) {
            expect.that(p.dts > run.packets[i - 1].dts, where + ": dts does not increase");
        }
        seen.insert(p.pts);
    }
    const std::multiset<int64_t> sent(run.input_pts.begin(), run.input_pts.end());
    expect.that(seen == sent, "the packets' pts are not exactly the frames' pts");
    return expect.outcome();
}

std::set<int64_t> key_pts(const std::vector<test::EncodedPacket> &packets) {
    std::set<int64_t> keys;
    for (const auto &p : packets) {
        if (p.is_keyframe) {
            keys.insert(p.pts);
        }
    }
    return keys;
}

std::string describe(const std::set<int64_t> &pts) {
    std::string text;
    for (const int64_t value : pts) {
        text += (text.empty() ? "" : ",") + std::to_string((value - pts_origin) / pts_step);
    }
    return "{" + text + "}";
}

Outcome check_keyframe_flags(const Encoder &e, const EncodeRun &run) {
    Expect expect;
    if (!run.packets.empty()) {
        expect.that(run.packets.front().is_keyframe, "the first packet is not a key frame");
    }
    if ((e.caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) == 0) {
        return expect.failed() ? expect.outcome()
                               : skip("no VTC_ENCODER_CAP_FORCED_KEYFRAME (the first packet is "
                                      "a key frame)");
    }
    const std::set<int64_t> keys = key_pts(run.packets);
    expect.that(keys == run.forced_pts, "VTC_PACKET_KEYFRAME on frames " + describe(keys) +
                                            ", forced on " + describe(run.forced_pts));
    return expect.outcome();
}

Outcome check_keyframe_parameter_sets(const Encoder &e, const EncodeRun &run) {
    Expect expect;
    for (size_t i = 0; i < run.packets.size(); ++i) {
        if (run.packets[i].is_keyframe) {
            expect.that(has_parameter_sets(e.info->codec, run.packets[i].data),
                        "key-frame packet " + std::to_string(i) +
                            " lacks in-band parameter sets / sequence header");
        }
    }
    return expect.outcome();
}

Outcome check_decode(const EncodeRun &run, const vtc_encoder_config &config, int bit_depth,
                     int codec, const test::DecodeReport &report) {
    Expect expect;
    if (!expect.that(report.ok, "libavcodec (" + report.codec_name +
                                    ") could not decode the stream: " + report.error)) {
        return expect.outcome();
    }
    expect.that(report.frames.size() == run.input_pts.size(),
                "decoded " + std::to_string(report.frames.size()) + " frames of " +
                    std::to_string(run.input_pts.size()));
    std::vector<int64_t> decoded;
    for (const auto &frame : report.frames) {
        decoded.push_back(frame.pts);
        expect.that(frame.width == static_cast<int>(config.width) &&
                        frame.height == static_cast<int>(config.height),
                    "a decoded frame is " + std::to_string(frame.width) + "x" +
                        std::to_string(frame.height));
        expect.that(frame.bit_depth == bit_depth,
                    "a decoded frame has " + std::to_string(frame.bit_depth) + "-bit samples");
    }
    expect.that(decoded == run.input_pts, "decoded pts differ from the frames' pts");
    (void)codec;
    return expect.outcome();
}

Outcome check_keyframes_decoded(const Encoder &e, const EncodeRun &run,
                                const test::DecodeReport &report) {
    if (!report.ok) {
        return {Verdict::fail, "the stream did not decode"};
    }
    if ((e.caps.flags & VTC_ENCODER_CAP_FORCED_KEYFRAME) == 0) {
        return skip("no VTC_ENCODER_CAP_FORCED_KEYFRAME");
    }
    std::set<int64_t> keys;
    for (const auto &frame : report.frames) {
        if (frame.is_keyframe) {
            keys.insert(frame.pts);
        }
    }
    Expect expect;
    expect.that(keys == run.forced_pts, "libavcodec sees key frames on " + describe(keys) +
                                            ", forced on " + describe(run.forced_pts));
    return expect.outcome();
}

// Extradata must be enough to decode: H.264/HEVC decode from it with every
// in-band parameter set removed; for AV1 (whose libavcodec decoders need the
// sequence header in band) it must be one sequence header OBU, equal to the
// stream's by the end, and decoding with it must work.
Outcome check_extradata_decodes(const Encoder &e, const EncodeRun &run) {
    if ((e.caps.flags & VTC_ENCODER_CAP_EXTRADATA) == 0) {
        return skip("no VTC_ENCODER_CAP_EXTRADATA");
    }
    Expect expect;
    const int codec = e.info->codec;
    if (!expect.that(!run.extradata_initial.empty(), "get_extradata gave nothing after create")) {
        return expect.outcome();
    }
    std::vector<test::EncodedPacket> packets = run.packets;
    if (codec == VTC_CODEC_AV1) {
        expect.that(is_single_av1_sequence_header(run.extradata_initial),
                    "extradata after create is not one sequence header OBU");
        expect.that(is_single_av1_sequence_header(run.extradata_final),
                    "extradata after encoding is not one sequence header OBU");
        if (!packets.empty()) {
            expect.that(av1_sequence_header(packets.front().data) == run.extradata_final,
                        "extradata after encoding differs from the stream's sequence header");
        }
    } else {
        for (auto &packet : packets) {
            packet.data = strip_parameter_sets(codec, packet.data);
        }
    }
    const auto report = test::decode_stream(codec, run.extradata_initial, packets);
    expect.that(report.ok, "decoding with the extradata failed: " + report.error);
    expect.that(report.frames.size() == run.input_pts.size(),
                "decoding with the extradata gave " + std::to_string(report.frames.size()) +
                    " frames");
    return expect.outcome();
}

} // namespace

// ---------------------------------------------------------------------------
// Channel

void Channel::begin(std::string_view check) {
    std::fprintf(out_, "BEGIN\t%.*s\n", static_cast<int>(check.size()), check.data());
    std::fflush(out_);
}

void Channel::result(const CheckResult &result) {
    const char *verdict = result.verdict == Verdict::pass   ? "PASS"
                          : result.verdict == Verdict::skip ? "SKIP"
                                                            : "FAIL";
    std::fprintf(out_, "RESULT\t%s\t%s\t%s\n", verdict, one_line(result.name).c_str(),
                 one_line(result.reason).c_str());
    std::fflush(out_);
}

void Channel::encoder(uint32_t index, std::string_view id, Usability usability) {
    const char *state = usability == Usability::usable        ? "usable"
                        : usability == Usability::no_device   ? "no-device"
                        : usability == Usability::unsupported ? "unsupported"
                                                              : "broken";
    std::fprintf(out_, "ENCODER\t%u\t%s\t%s\n", index, one_line(std::string(id)).c_str(), state);
    std::fflush(out_);
}

namespace {

// Runs one check and reports it, announcing it first so that a crash inside
// is attributed to it.
template <class Fn>
void run_check(Channel &channel, const std::string &name, Fn &&fn) {
    channel.begin(name);
    const Outcome outcome = fn();
    channel.result({name, outcome.verdict, outcome.reason});
}

} // namespace

void run_plugin_group(const Options &options, Channel &channel) {
    channel.begin("load");
    const LoadedPlugin plugin = load_plugin(options.plugin_path);
    if (plugin.descriptor == nullptr) {
        channel.result({"load", Verdict::fail, "refused by the loader: " + plugin.error});
        return;
    }
    channel.result({"load", Verdict::pass, {}});
    bool descriptor_ok = false;
    run_check(channel, "descriptor", [&] {
        const Outcome outcome = check_descriptor(plugin, options);
        descriptor_ok = outcome.verdict == Verdict::pass;
        return outcome;
    });
    if (!descriptor_ok) {
        return; // encoders cannot be trusted, so none is exercised
    }
    run_check(channel, "entry-point", [&] { return check_entry_stable(plugin); });

    const vtc_plugin_descriptor &d = *plugin.descriptor;
    for (uint32_t i = 0; i < d.encoder_count; ++i) {
        const vtc_encoder_info &info = *d.encoders[i];
        const std::string name = std::string(info.id) + "/query-caps";
        Usability usability = Usability::broken;
        run_check(channel, name, [&]() -> Outcome {
            Host host;
            vtc_encoder_caps caps{};
            caps.struct_size = sizeof(caps);
            char error[256] = "";
            const vtc_status status = info.vtbl->query_caps(host.get(), &caps, error, sizeof error);
            const std::string why = one_line(error);
            if (status == VTC_OK) {
                usability = Usability::usable;
                return {};
            }
            if (status == VTC_ERR_NO_DEVICE || status == VTC_ERR_UNSUPPORTED) {
                usability =
                    status == VTC_ERR_NO_DEVICE ? Usability::no_device : Usability::unsupported;
                if (why.empty()) {
                    return {Verdict::fail,
                            std::string(vtc_status_name(status)) + " without an error text"};
                }
                return skip(std::string("not usable here: ") + vtc_status_name(status) + ": " +
                            why);
            }
            return {Verdict::fail,
                    std::string("query_caps returned ") + vtc_status_name(status) + ": " + why};
        });
        channel.encoder(i, info.id, usability);
    }
    run_check(channel, "registry", [&] { return check_registry(options, plugin); });
}

void run_contract_group(const Options &options, uint32_t index, Channel &channel) {
    const Encoder e = open_encoder(options, index);
    if (e.vt == nullptr) {
        channel.result({"encoder " + std::to_string(index), Verdict::fail,
                        "could not reopen the encoder in a child process"});
        return;
    }
    const std::string prefix = e.id + "/";
    run_check(channel, prefix + "caps", [&] { return check_caps(e); });
    run_check(channel, prefix + "caps-invalid-args", [&] { return check_caps_bad_args(e); });
    run_check(channel, prefix + "caps-newer-host", [&] { return check_caps_newer_host(e); });
    run_check(channel, prefix + "caps-older-host", [&] { return check_caps_older_host(e); });
    run_check(channel, prefix + "null-instance", [&] { return check_null_instance(e); });

    std::string why;
    const auto config = base_config(e, 8, why);
    const char *frame_checks[] = {
        "create-destroy",     "create-invalid-args",    "create-invalid-config",
        "create-newer-host",  "error-buffer-bounds",    "last-error",
        "send-frame-invalid", "receive-packet-invalid", "extradata-args",
        "drain-empty",        "send-after-drain",
    };
    if (!config) {
        for (const char *name : frame_checks) {
            channel.result({prefix + name, Verdict::skip, why});
        }
        return;
    }
    const vtc_encoder_config &c = *config;
    run_check(channel, prefix + "create-destroy", [&] { return check_create_destroy(e, c); });
    run_check(channel, prefix + "create-invalid-args", [&] { return check_create_bad_args(e, c); });
    run_check(channel, prefix + "create-invalid-config",
              [&] { return check_create_bad_config(e, c); });
    run_check(channel, prefix + "create-newer-host", [&] { return check_create_newer_host(e, c); });
    run_check(channel, prefix + "error-buffer-bounds",
              [&] { return check_error_buffer_bounds(e, c); });
    run_check(channel, prefix + "last-error", [&] { return check_last_error(e, c); });
    run_check(channel, prefix + "send-frame-invalid",
              [&] { return check_send_frame_bad_args(e, c); });
    run_check(channel, prefix + "receive-packet-invalid",
              [&] { return check_receive_packet_bad_args(e, c); });
    run_check(channel, prefix + "extradata-args", [&] { return check_extradata_args(e, c); });
    run_check(channel, prefix + "drain-empty", [&] { return check_drain_empty(e, c); });
    run_check(channel, prefix + "send-after-drain", [&] { return check_send_after_drain(e, c); });
}

void run_encode_group(const Options &options, uint32_t index, int bit_depth, Channel &channel) {
    const Encoder e = open_encoder(options, index);
    if (e.vt == nullptr) {
        channel.result({"encoder " + std::to_string(index), Verdict::fail,
                        "could not reopen the encoder in a child process"});
        return;
    }
    const std::string prefix = e.id + (bit_depth == 10 ? "/10bit-" : "/");
    if (bit_depth == 10 && (e.caps.bit_depths & VTC_BIT_DEPTH_10) == 0) {
        channel.result({e.id + "/10bit", Verdict::skip, "the encoder does not advertise 10-bit"});
        return;
    }
    const char *names[] = {
        "encode", "timestamps",        "keyframe-flags",    "keyframe-parameter-sets",
        "decode", "keyframes-decoded", "extradata-decodes", "host-log-lines"};
    std::string why;
    const auto config = base_config(e, bit_depth, why);
    if (!config) {
        for (const char *name : names) {
            channel.result({prefix + name, Verdict::skip, why});
        }
        return;
    }
    // Decoder chatter ("libdav1d 1.0.0") would only clutter the report; real
    // decode errors come back through the DecodeReport.
    av_log_set_level(AV_LOG_QUIET);
    // 60 frames (fewer for 10-bit: the path, not the length, is under test)
    // with key frames forced off the encoders' usual GOP grid.
    const int count = bit_depth == 10 ? 24 : 60;
    const std::set<int> forced =
        bit_depth == 10 ? std::set<int>{0, 11, 19} : std::set<int>{0, 13, 30, 47};
    Host host;
    EncodeRun run;
    run_check(channel, prefix + "encode", [&] {
        run = encode(e, host, *config, count, forced);
        return check_encoded(run, count);
    });
    // The checks below judge the stream; without one there is nothing to judge
    // (the encode check has already failed).
    const bool have_stream = run.failure.empty() || !run.packets.empty();
    auto on_stream = [&](auto &&check) {
        return [&, check]() -> Outcome {
            return have_stream ? check() : skip("no stream: the encode failed");
        };
    };
    run_check(channel, prefix + "timestamps", on_stream([&] { return check_timestamps(run); }));
    run_check(channel, prefix + "keyframe-flags",
              on_stream([&] { return check_keyframe_flags(e, run); }));
    run_check(channel, prefix + "keyframe-parameter-sets",
              on_stream([&] { return check_keyframe_parameter_sets(e, run); }));
    test::DecodeReport report;
    run_check(channel, prefix + "decode", on_stream([&] {
                  report = test::decode_stream(e.info->codec, {}, run.packets);
                  return check_decode(run, *config, bit_depth, e.info->codec, report);
              }));
    run_check(channel, prefix + "keyframes-decoded",
              on_stream([&] { return check_keyframes_decoded(e, run, report); }));
    run_check(channel, prefix + "extradata-decodes",
              on_stream([&] { return check_extradata_decodes(e, run); }));
    run_check(channel, prefix + "host-log-lines", [&]() -> Outcome {
        if (const auto bad = host.bad_line()) {
            return {Verdict::fail, *bad};
        }
        return {};
    });
}

void run_quiet_group(const Options &options, uint32_t index, Channel &channel) {
    const Encoder e = open_encoder(options, index);
    if (e.vt == nullptr) {
        channel.result({"encoder " + std::to_string(index), Verdict::fail,
                        "could not reopen the encoder in a child process"});
        return;
    }
    const std::string name = e.id + "/quiet";
    std::string why;
    const auto config = base_config(e, 8, why);
    if (!config) {
        channel.result({name, Verdict::skip, why});
        return;
    }
    run_check(channel, name, [&]() -> Outcome {
        std::FILE *sink = std::tmpfile();
        if (sink == nullptr) {
            return {Verdict::fail, "could not create a temporary file"};
        }
        const int saved_out = dup(1);
        const int saved_err = dup(2);
        std::fflush(stdout);
        std::fflush(stderr);
        dup2(fileno(sink), 1);
        dup2(fileno(sink), 2);
        {
            Host host;
            const EncodeRun run = encode(e, host, *config, 8, {0, 5});
            (void)run;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        dup2(saved_out, 1);
        dup2(saved_err, 2);
        close(saved_out);
        close(saved_err);
        std::string text;
        char buffer[256];
        std::rewind(sink);
        size_t count;
        while ((count = std::fread(buffer, 1, sizeof buffer, sink)) > 0 && text.size() < 200) {
            text.append(buffer, count);
        }
        std::fclose(sink);
        if (!text.empty()) {
            return {Verdict::fail,
                    "wrote to stdout/stderr: \"" + one_line(text.substr(0, 120)) + "\""};
        }
        return {};
    });
}

} // namespace vtc::conformance
