// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Asking an encoder what it can do, and naming what it answered.
#pragma once

#include <vtranscode/plugin/vtc_plugin.h>

#include <string>
#include <string_view>
#include <vector>

namespace vtc::detail {

/// The answer of one query_caps() call.
struct CapsOutcome {
    vtc_status status = VTC_ERR_INTERNAL;
    /// The plugin's error text, or why the host refused the answer; empty on VTC_OK.
    std::string reason;
    /// Zero-filled and struct_size 0 unless status is VTC_OK.
    vtc_encoder_caps caps{};
};

/// Calls info.vtbl->query_caps in this process (a crash here is a crash of the
/// caller; the probe child exists for that). Enforces the caller's side of the
/// contract: the struct is zeroed with struct_size set, the error buffer is
/// terminated, and an answer that claims more bytes than the host has, fewer
/// than ABI 1.0, or another codec than the descriptor is turned into
/// VTC_ERR_INTERNAL with a reason.
CapsOutcome query_encoder_caps(const vtc_encoder_info &info, const vtc_host *host);

/// Names of the bits set in each caps member, in bit order ("i420", "nv12").
std::vector<std::string> profile_names(uint32_t profiles);
std::vector<std::string> bit_depth_names(uint32_t bit_depths);
std::vector<std::string> pixel_format_names(uint64_t pixel_formats);
std::vector<std::string> memory_type_names(uint32_t memory_types);
std::vector<std::string> rate_control_names(uint32_t rate_control_modes);
std::vector<std::string> caps_flag_names(uint64_t flags);

/// One line for people: "8/10-bit i420,nv12 system 16x16..4096x2304 crf,capped-crf
/// forced-keyframe,b-frames".
std::string caps_summary(const vtc_encoder_caps &caps);

} // namespace vtc::detail
