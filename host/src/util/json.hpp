// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file json.hpp
/// @brief Defensive JSON reading for server replies: bounded size and depth, typed getters
///        that return errors instead of throwing.
#pragma once

#include <vtranscode/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtc::host {

using Json = nlohmann::json;

/// Largest JSON reply the host accepts from the server (1 MiB); larger ones are refused.
inline constexpr std::size_t max_json_reply_bytes = 1u << 20;
/// Deepest nesting accepted; the Worker API never nests more than 4 levels.
inline constexpr int max_json_depth = 32;

/// Parses `body` as a JSON object. `what` names the reply in error messages ("claim reply").
/// @return the object, or Errc::protocol for oversized, too deeply nested, malformed or
///         non-object input. Never throws.
Result<Json> parse_json_object(std::string_view body, std::string_view what);

/// Typed getters. A missing key or JSON null gives std::nullopt; a wrong type gives
/// Errc::protocol naming `what` and the key.
Result<std::optional<std::int64_t>> json_int(const Json &object, const char *key,
                                             std::string_view what);
Result<std::optional<double>> json_number(const Json &object, const char *key,
                                          std::string_view what);
Result<std::optional<bool>> json_bool(const Json &object, const char *key, std::string_view what);
Result<std::optional<std::string>> json_string(const Json &object, const char *key,
                                               std::string_view what);
Result<std::optional<std::vector<std::string>>>
json_string_list(const Json &object, const char *key, std::string_view what);

/// `text` with control characters replaced and cut to `max_chars` (with "..." appended),
/// for putting server-supplied strings into log lines and error messages.
std::string printable(std::string_view text, std::size_t max_chars = 200);

} // namespace vtc::host
