// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/status.hpp"

namespace vtc::detail {

Errc errc_from_status(vtc_status status) noexcept {
    switch (status) {
    case VTC_ERR_INVALID_ARG:
        return Errc::invalid_argument;
    case VTC_ERR_UNSUPPORTED:
        return Errc::unsupported;
    case VTC_ERR_NO_MEMORY:
        return Errc::no_memory;
    case VTC_ERR_NO_DEVICE:
        return Errc::no_device;
    case VTC_ERR_DEVICE_BUSY:
        return Errc::device_busy;
    case VTC_ERR_DEVICE_LOST:
        return Errc::device_lost;
    case VTC_ERR_CANCELLED:
        return Errc::cancelled;
    case VTC_ERR_INVALID_STATE:
        return Errc::invalid_state;
    case VTC_ERR_INTERNAL:
        return Errc::internal;
    default:
        break;
    }
    return status < 0 ? Errc::internal : Errc::plugin;
}

vtc_status status_from_errc(Errc code) noexcept {
    switch (code) {
    case Errc::invalid_argument:
        return VTC_ERR_INVALID_ARG;
    case Errc::unsupported:
        return VTC_ERR_UNSUPPORTED;
    case Errc::no_memory:
        return VTC_ERR_NO_MEMORY;
    case Errc::no_device:
        return VTC_ERR_NO_DEVICE;
    case Errc::device_busy:
        return VTC_ERR_DEVICE_BUSY;
    case Errc::device_lost:
        return VTC_ERR_DEVICE_LOST;
    case Errc::cancelled:
        return VTC_ERR_CANCELLED;
    case Errc::invalid_state:
        return VTC_ERR_INVALID_STATE;
    case Errc::not_found:
    case Errc::io:
    case Errc::corrupt_input:
    case Errc::plugin:
    case Errc::timeout:
    case Errc::network:
    case Errc::protocol:
    case Errc::internal:
        break;
    }
    return VTC_ERR_INTERNAL;
}

Error error_from_status(vtc_status status, std::string stage, std::string file,
                        std::string_view what, std::string_view detail) {
    std::string message(what);
    message += " (";
    message += vtc_status_name(status);
    if (vtc_status_name(status) == std::string_view("VTC_ERR_UNKNOWN")) {
        message += ' ';
        message += std::to_string(status);
    }
    message += ')';
    if (!detail.empty()) {
        message += ": ";
        message += detail;
    }
    return make_error(errc_from_status(status), std::move(stage), std::move(file),
                      std::move(message));
}

} // namespace vtc::detail
