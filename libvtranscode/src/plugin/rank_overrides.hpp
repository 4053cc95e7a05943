// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// VTC_ENCODER_RANKS: the operator's override of the ranks plugins declare.
#pragma once

#include <vtranscode/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace vtc::detail {

using RankOverrides = std::map<std::string, int32_t, std::less<>>;

/// Parses "id:rank,id:rank" (spaces around items allowed; empty = none).
/// Ranks are integers from 0 to 2147483647; 0 means "only by name".
/// @return the map, or Errc::invalid_argument naming the bad item
///         ("VTC_ENCODER_RANKS: 'x264-h264' is not id:rank").
Result<RankOverrides> parse_rank_overrides(std::string_view text);

} // namespace vtc::detail
