// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/status.hpp"

#include <doctest/doctest.h>

#include <utility>

using vtc::Errc;
using vtc::detail::errc_from_status;
using vtc::detail::error_from_status;
using vtc::detail::status_from_errc;

TEST_CASE("every ABI error status maps to its Errc and back") {
    const std::pair<vtc_status, Errc> pairs[] = {
        {VTC_ERR_INVALID_ARG, Errc::invalid_argument},
        {VTC_ERR_UNSUPPORTED, Errc::unsupported},
        {VTC_ERR_NO_MEMORY, Errc::no_memory},
        {VTC_ERR_NO_DEVICE, Errc::no_device},
        {VTC_ERR_DEVICE_BUSY, Errc::device_busy},
        {VTC_ERR_DEVICE_LOST, Errc::device_lost},
        {VTC_ERR_CANCELLED, Errc::cancelled},
        {VTC_ERR_INVALID_STATE, Errc::invalid_state},
        {VTC_ERR_INTERNAL, Errc::internal},
    };
    for (const auto &[status, code] : pairs) {
        CAPTURE(status);
        CHECK(errc_from_status(status) == code);
        CHECK(status_from_errc(code) == status);
    }
}

TEST_CASE("unknown errors are internal; flow states where an error was due are plugin bugs") {
    CHECK(errc_from_status(-1000) == Errc::internal);
    CHECK(errc_from_status(VTC_OK) == Errc::plugin);
    CHECK(errc_from_status(VTC_NEED_INPUT) == Errc::plugin);
    CHECK(status_from_errc(Errc::io) == VTC_ERR_INTERNAL);
    CHECK(status_from_errc(Errc::timeout) == VTC_ERR_INTERNAL);
}

TEST_CASE("a status error names the call, the status and the plugin's text") {
    const vtc::Error error =
        error_from_status(VTC_ERR_NO_DEVICE, "encoder", "nvenc-h264", "create failed", "no GPU");
    CHECK(error.code == Errc::no_device);
    CHECK(error.to_string() == "encoder: nvenc-h264: create failed (VTC_ERR_NO_DEVICE): no GPU");
    const vtc::Error bare = error_from_status(-42, "encoder", "x", "drain failed", "");
    CHECK(bare.code == Errc::internal);
    CHECK(bare.message == "drain failed (VTC_ERR_UNKNOWN -42)");
}
