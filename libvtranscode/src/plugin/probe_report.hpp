// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The JSON report vtc-probe prints and the registry reads back: one schema,
// written and parsed here only.
#pragma once

#include <vtranscode/plugin/vtc_plugin.h>
#include <vtranscode/result.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace vtc::detail {

struct ProbeEncoderReport {
    std::string id;
    std::string description;
    int32_t codec = VTC_CODEC_UNSET;
    int32_t rank = 0;
    /// query_caps() status, VTC_OK when caps are valid.
    vtc_status status = VTC_ERR_INTERNAL;
    std::string reason; ///< empty when status is VTC_OK
    vtc_encoder_caps caps{};
};

struct ProbeReport {
    std::string file;
    bool accepted = false;
    std::string reason; ///< why refused; empty when accepted
    std::string name;
    std::string version;
    std::string license;
    std::string description;
    uint32_t abi_major = 0;
    uint32_t abi_minor = 0;
    std::vector<ProbeEncoderReport> encoders;
};

/// Caps as JSON: every numeric member (what the registry reads back) plus
/// readable name lists (what people read).
nlohmann::json caps_to_json(const vtc_encoder_caps &caps);

/// One JSON object, on one line.
std::string probe_report_to_json(const ProbeReport &report);

/// Reads probe_report_to_json()'s output back.
/// @return the report, or Errc::protocol naming what is missing or mistyped.
Result<ProbeReport> parse_probe_report(std::string_view text);

} // namespace vtc::detail
