// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/session_state.hpp"
#include "plugin/status.hpp"

#include <fmt/format.h>

#include <cstring>

namespace vtc {
namespace {

// Packets and extradata larger than this are a plugin bug, not video.
constexpr uint64_t max_buffer_bytes = uint64_t{1} << 30;

std::string last_error_text(const EncoderSession::State &state) {
    const char *text = state.vtbl->last_error(state.encoder);
    return text == nullptr ? std::string() : std::string(text, strnlen(text, 4096));
}

Unexpected call_failed(const EncoderSession::State &state, vtc_status status,
                       std::string_view call) {
    return Unexpected(detail::error_from_status(status, "encoder", state.encoder_id,
                                                fmt::format("{} failed", call),
                                                last_error_text(state)));
}

Unexpected contract_broken(const EncoderSession::State &state, std::string message) {
    return fail(Errc::plugin, "encoder", state.encoder_id, std::move(message));
}

Unexpected unexpected_status(const EncoderSession::State &state, vtc_status status,
                             std::string_view call) {
    return contract_broken(state, fmt::format("{} returned {}, which it may not return", call,
                                              vtc_status_name(status)));
}

} // namespace

EncoderSession::EncoderSession(std::unique_ptr<State> state) : state_(std::move(state)) {}

EncoderSession::~EncoderSession() = default;

const std::string &EncoderSession::encoder_id() const noexcept {
    return state_->encoder_id;
}

Result<std::vector<uint8_t>> EncoderSession::extradata() {
    const uint8_t *data = nullptr;
    uint64_t size = 0;
    const vtc_status status = state_->vtbl->get_extradata(state_->encoder, &data, &size);
    if (status < 0) {
        return call_failed(*state_, status, "get_extradata");
    }
    if (status != VTC_OK) {
        return unexpected_status(*state_, status, "get_extradata");
    }
    if (data == nullptr || size == 0 || size > max_buffer_bytes) {
        return contract_broken(*state_,
                               fmt::format("get_extradata returned VTC_OK with {} bytes at {}",
                                           size, data == nullptr ? "NULL" : "a buffer"));
    }
    return std::vector<uint8_t>(data, data + size);
}

Result<FlowState> EncoderSession::send_frame(const vtc_frame &frame) {
    const vtc_status status = state_->vtbl->send_frame(state_->encoder, &frame);
    switch (status) {
    case VTC_OK:
        return FlowState::ok;
    case VTC_OUTPUT_PENDING:
        return FlowState::output_pending;
    default:
        break;
    }
    if (status < 0) {
        return call_failed(*state_, status, "send_frame");
    }
    return unexpected_status(*state_, status, "send_frame");
}

Result<void> EncoderSession::drain() {
    const vtc_status status = state_->vtbl->drain(state_->encoder);
    if (status == VTC_OK) {
        return ok();
    }
    if (status < 0) {
        return call_failed(*state_, status, "drain");
    }
    return unexpected_status(*state_, status, "drain");
}

Result<FlowState> EncoderSession::receive_packet(Packet &packet) {
    vtc_packet raw{};
    raw.struct_size = sizeof(raw);
    const vtc_status status = state_->vtbl->receive_packet(state_->encoder, &raw);
    switch (status) {
    case VTC_NEED_INPUT:
        return FlowState::need_input;
    case VTC_END_OF_STREAM:
        return FlowState::end_of_stream;
    case VTC_OK:
        break;
    default:
        if (status < 0) {
            return call_failed(*state_, status, "receive_packet");
        }
        return unexpected_status(*state_, status, "receive_packet");
    }
    if (raw.data == nullptr || raw.size == 0 || raw.size > max_buffer_bytes) {
        return contract_broken(*state_,
                               fmt::format("receive_packet returned VTC_OK with {} bytes at {}",
                                           raw.size, raw.data == nullptr ? "NULL" : "a buffer"));
    }
    // The plugin's buffer lives only until the next call: copy now.
    packet.data.assign(raw.data, raw.data + raw.size);
    packet.pts = raw.pts;
    packet.dts = raw.dts;
    packet.duration = raw.duration;
    packet.keyframe = (raw.flags & VTC_PACKET_KEYFRAME) != 0;
    packet.disposable = (raw.flags & VTC_PACKET_DISPOSABLE) != 0;
    return FlowState::ok;
}

} // namespace vtc
