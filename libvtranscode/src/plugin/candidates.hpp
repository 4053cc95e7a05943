// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Choosing encoders for a job: filter by caps, order by preference and rank.
#pragma once

#include <vtranscode/encoder_registry.hpp>

#include <string>
#include <vector>

namespace vtc::detail {

/// True when @p encoder is available and its caps meet @p requirements.
bool meets_requirements(const EncoderInfo &encoder, const EncoderRequirements &requirements);

/// EncoderRegistry::candidates() on a plain list (documented there).
std::vector<EncoderInfo> select_candidates(const std::vector<EncoderInfo> &encoders,
                                           const EncoderRequirements &requirements,
                                           const std::vector<std::string> &preference);

} // namespace vtc::detail
