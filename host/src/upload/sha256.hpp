// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file sha256.hpp
/// @brief SHA-256 of files and buffers as lower-case hex (what the server compares, §2.11).
#pragma once

#include <vtranscode/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace vtc::host {

/// @return 64 lower-case hex digits, or Errc::io when the file cannot be read.
Result<std::string> sha256_file(const std::filesystem::path &path);

/// 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

} // namespace vtc::host
