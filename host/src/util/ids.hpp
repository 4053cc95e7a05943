// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file ids.hpp
/// @brief Random identifiers: UUIDv4 (completion tokens), request ids, consumer names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vtc::host {

/// `count` random bytes as lower-case hex (2 × count characters). Thread-safe.
std::string random_hex(std::size_t count);

/// A random RFC 4122 version-4 UUID in lower case ("8b1f0c0e-2c7e-4d7a-9f3e-1c2b3a4d5e6f").
std::string uuid4();

/// True for a canonical UUID of any version (8-4-4-4-12 hex digits, either case).
bool is_uuid(std::string_view text);

/// A fresh X-Request-ID: "vtc-" plus 16 hex digits (matches the server's [\w\-.]+ rule).
std::string new_request_id();

} // namespace vtc::host
