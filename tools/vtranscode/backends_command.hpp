// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// `vtranscode backends`: which encoder plugins and encoders this machine has,
// and why each one is or is not usable.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace vtc::cli {

/// One line for the tool's command list.
inline constexpr std::string_view backends_summary =
    "list encoder plugins and encoders, and why each is or is not usable";

/// Runs the subcommand with the arguments after "backends".
/// @return 0 when at least one encoder is usable, 1 when none is, 2 for bad usage.
int run_backends(std::span<const std::string_view> args, std::ostream &out, std::ostream &err);

} // namespace vtc::cli
