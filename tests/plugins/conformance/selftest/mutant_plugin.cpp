// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// vtc-mutant: a test-only plugin that wraps another one (VTC_MUTANT_TARGET)
// and breaks one rule of the ABI on purpose (VTC_MUTANT_MODE), so the
// conformance suite's self-test can prove each check catches what it claims.
// Modes: none, no-device, crash-null-frame, ignore-forced-keyframes,
// constant-dts, noisy, lenient-null-packet, hang-drain.
#include <vtranscode/plugin/vtc_plugin.h>

#include <dlfcn.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

enum class Mode {
    none,
    no_device,
    crash_null_frame,
    ignore_forced_keyframes,
    constant_dts,
    noisy,
    lenient_null_packet,
    hang_drain
};

Mode mode() {
    const char *text = std::getenv("VTC_MUTANT_MODE");
    const std::string_view name = text != nullptr ? text : "none";
    if (name == "no-device")
        return Mode::no_device;
    if (name == "crash-null-frame")
        return Mode::crash_null_frame;
    if (name == "ignore-forced-keyframes")
        return Mode::ignore_forced_keyframes;
    if (name == "constant-dts")
        return Mode::constant_dts;
    if (name == "noisy")
        return Mode::noisy;
    if (name == "lenient-null-packet")
        return Mode::lenient_null_packet;
    if (name == "hang-drain")
        return Mode::hang_drain;
    return Mode::none;
}

constexpr uint32_t max_encoders = 4;
const vtc_plugin_descriptor *target = nullptr;
vtc_plugin_descriptor descriptor;
vtc_encoder_info infos[max_encoders];
const vtc_encoder_info *info_list[max_encoders];
vtc_encoder_vtbl vtbls[max_encoders];

template <uint32_t I>
struct Wrap {
    static const vtc_encoder_vtbl &real() { return *target->encoders[I]->vtbl; }

    static vtc_status query_caps(const vtc_host *host, vtc_encoder_caps *caps, char *error_buf,
                                 uint32_t error_buf_size) {
        if (mode() == Mode::no_device) {
            if (error_buf != nullptr && error_buf_size > 0) {
                std::snprintf(error_buf, error_buf_size, "mutant: no device on purpose");
            }
            return VTC_ERR_NO_DEVICE;
        }
        return real().query_caps(host, caps, error_buf, error_buf_size);
    }
    static vtc_status create(const vtc_host *host, const vtc_encoder_config *config,
                             vtc_encoder **out, char *error_buf, uint32_t error_buf_size) {
        if (mode() == Mode::noisy) {
            std::fputs("mutant: chatter on stderr\n", stderr);
        }
        return real().create(host, config, out, error_buf, error_buf_size);
    }
    static void destroy(vtc_encoder *enc) { real().destroy(enc); }
    static vtc_status get_extradata(vtc_encoder *enc, const uint8_t **data, uint64_t *size) {
        return real().get_extradata(enc, data, size);
    }
    static vtc_status send_frame(vtc_encoder *enc, const vtc_frame *frame) {
        if (mode() == Mode::crash_null_frame && enc != nullptr && frame == nullptr) {
            std::raise(SIGSEGV);
        }
        if (mode() == Mode::ignore_forced_keyframes && frame != nullptr) {
            vtc_frame copy = *frame;
            copy.flags &= ~VTC_FRAME_FORCE_KEYFRAME;
            return real().send_frame(enc, &copy);
        }
        return real().send_frame(enc, frame);
    }
    static vtc_status drain(vtc_encoder *enc) {
        if (mode() == Mode::hang_drain && enc != nullptr) {
            for (;;) {
                pause();
            }
        }
        return real().drain(enc);
    }
    static vtc_status receive_packet(vtc_encoder *enc, vtc_packet *packet) {
        if (mode() == Mode::lenient_null_packet && enc != nullptr && packet == nullptr) {
            return VTC_NEED_INPUT;
        }
        const vtc_status status = real().receive_packet(enc, packet);
        if (mode() == Mode::constant_dts && status == VTC_OK) {
            packet->dts = 0;
        }
        return status;
    }
    static const char *last_error(const vtc_encoder *enc) { return real().last_error(enc); }

    static vtc_encoder_vtbl table() {
        vtc_encoder_vtbl vt{};
        vt.struct_size = sizeof(vt);
        vt.query_caps = &query_caps;
        vt.create = &create;
        vt.destroy = &destroy;
        vt.get_extradata = &get_extradata;
        vt.send_frame = &send_frame;
        vt.drain = &drain;
        vt.receive_packet = &receive_packet;
        vt.last_error = &last_error;
        return vt;
    }
};

const vtc_plugin_descriptor *build(uint32_t major, uint32_t minor) {
    const char *path = std::getenv("VTC_MUTANT_TARGET");
    void *module = path != nullptr ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
    void *symbol = module != nullptr ? dlsym(module, VTC_PLUGIN_ENTRY_SYMBOL) : nullptr;
    if (symbol == nullptr) {
        return nullptr;
    }
    target = reinterpret_cast<vtc_plugin_entry_fn>(symbol)(major, minor);
    if (target == nullptr || target->encoder_count == 0) {
        return nullptr;
    }
    const vtc_encoder_vtbl tables[max_encoders] = {Wrap<0>::table(), Wrap<1>::table(),
                                                   Wrap<2>::table(), Wrap<3>::table()};
    descriptor = *target;
    descriptor.name = "mutant";
    descriptor.description = "the target plugin with one rule broken on purpose";
    descriptor.encoder_count =
        target->encoder_count < max_encoders ? target->encoder_count : max_encoders;
    for (uint32_t i = 0; i < descriptor.encoder_count; ++i) {
        vtbls[i] = tables[i];
        infos[i] = *target->encoders[i];
        infos[i].vtbl = &vtbls[i];
        info_list[i] = &infos[i];
    }
    descriptor.encoders = info_list;
    return &descriptor;
}

} // namespace

extern "C" VTC_PLUGIN_EXPORT const vtc_plugin_descriptor *vtc_plugin_entry(uint32_t major,
                                                                           uint32_t minor) {
    static const vtc_plugin_descriptor *built = build(major, minor);
    return built;
}
