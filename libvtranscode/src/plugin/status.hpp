// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The one place that knows how vtc_status (the C ABI) and vtc::Errc (the C++
// API) correspond. Nothing else in the tree converts between them.
#pragma once

#include <vtranscode/error.hpp>
#include <vtranscode/plugin/vtc_types.h>

#include <string>
#include <string_view>

namespace vtc::detail {

/// The Errc of a negative status. Unknown negative values are Errc::internal
/// (vtc_types.h: callers treat unknown errors as VTC_ERR_INTERNAL); flow states
/// and VTC_OK, which are not errors, give Errc::plugin (a plugin returned a
/// flow state where an error was expected: a contract breach).
Errc errc_from_status(vtc_status status) noexcept;

/// The status a plugin-facing caller reports for @p code; codes with no ABI
/// counterpart become VTC_ERR_INTERNAL.
vtc_status status_from_errc(Errc code) noexcept;

/// An Error for a failed ABI call: message "<what> (<STATUS_NAME>): <detail>",
/// or without ": <detail>" when @p detail is empty.
Error error_from_status(vtc_status status, std::string stage, std::string file,
                        std::string_view what, std::string_view detail);

} // namespace vtc::detail
