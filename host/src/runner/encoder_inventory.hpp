// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file encoder_inventory.hpp
/// @brief What encoders this worker has (from the plugin registry), for heartbeat
///        capabilities, /ready, /metrics and the engine's backend preference.
#pragma once

#include "config/config.hpp"

#include <string>
#include <vector>

namespace vtc::host {

struct EncoderStatus {
    std::string backend; ///< plugin encoder name: "x264", "nvenc_h264", ...
    std::string codec;   ///< "h264", "hevc" or "av1"
    bool hardware = false;
    std::string vendor;   ///< "nvidia", "intel", "amd"; empty for software
    std::string device;   ///< GPU name or render node; empty when none
    bool usable = false;  ///< probed and ready to encode
    std::string reason;   ///< why not usable; empty when usable
    int max_sessions = 0; ///< concurrent sessions the backend allows; 0 = no limit
    int sessions_in_use = 0;
};

/// Thread-safe snapshots of the registry.
class EncoderInventory {
public:
    virtual ~EncoderInventory() = default;
    virtual std::vector<EncoderStatus> encoders() const = 0;
};

/// Encoders that VLOG_HWACCEL_TYPE allows: "none" keeps software only; "nvidia" and
/// "intel" keep that vendor's hardware plus software (the fallback); "auto" keeps all.
std::vector<EncoderStatus> allowed_encoders(const std::vector<EncoderStatus> &all,
                                            HwaccelType hwaccel);

/// The backend order handed to the engine: empty for "auto" (the engine ranks hardware
/// first), otherwise the allowed usable backends, hardware first.
std::vector<std::string> backend_preference(const std::vector<EncoderStatus> &all,
                                            HwaccelType hwaccel);

/// True when at least one allowed encoder for `codec` is usable.
bool has_usable_encoder(const std::vector<EncoderStatus> &all, HwaccelType hwaccel,
                        StreamingCodec codec);

} // namespace vtc::host
