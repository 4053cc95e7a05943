// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "runner/encoder_inventory.hpp"

#include <algorithm>

namespace vtc::host {

std::vector<EncoderStatus> allowed_encoders(const std::vector<EncoderStatus> &all,
                                            HwaccelType hwaccel) {
    std::vector<EncoderStatus> out;
    for (const EncoderStatus &e : all) {
        bool keep = true;
        if (e.hardware) {
            switch (hwaccel) {
            case HwaccelType::auto_detect:
                keep = true;
                break;
            case HwaccelType::none:
                keep = false;
                break;
            case HwaccelType::nvidia:
                keep = e.vendor == "nvidia";
                break;
            case HwaccelType::intel:
                keep = e.vendor == "intel";
                break;
            }
        }
        if (keep) {
            out.push_back(e);
        }
    }
    return out;
}

std::vector<std::string> backend_preference(const std::vector<EncoderStatus> &all,
                                            HwaccelType hwaccel) {
    if (hwaccel == HwaccelType::auto_detect) {
        return {};
    }
    std::vector<EncoderStatus> allowed = allowed_encoders(all, hwaccel);
    std::stable_partition(allowed.begin(), allowed.end(),
                          [](const EncoderStatus &e) { return e.hardware; });
    std::vector<std::string> names;
    for (const EncoderStatus &e : allowed) {
        if (e.usable && std::find(names.begin(), names.end(), e.backend) == names.end()) {
            names.push_back(e.backend);
        }
    }
    return names;
}

bool has_usable_encoder(const std::vector<EncoderStatus> &all, HwaccelType hwaccel,
                        StreamingCodec codec) {
    const std::string wanted(to_string(codec));
    for (const EncoderStatus &e : allowed_encoders(all, hwaccel)) {
        if (e.usable && e.codec == wanted) {
            return true;
        }
    }
    return false;
}

} // namespace vtc::host
