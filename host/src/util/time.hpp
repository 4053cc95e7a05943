// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file time.hpp
/// @brief ISO-8601 datetimes as the Worker API writes them (protocol §1.6).
#pragma once

#include <vtranscode/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace vtc::host {

using SystemTime = std::chrono::system_clock::time_point;

/// Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]" (a space may replace
/// the 'T'). A value without a zone is naive and taken as UTC, as SQLite-backed servers
/// send it. Fractions of any length are accepted; digits past microseconds are dropped.
/// @return the instant, or Errc::protocol naming what is wrong with the text.
Result<SystemTime> parse_datetime(std::string_view text);

/// Formats as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds).
std::string format_datetime(SystemTime time);

} // namespace vtc::host
