// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/rank_overrides.hpp"

#include "plugin/validate.hpp"

#include <fmt/format.h>

#include <charconv>

namespace vtc::detail {
namespace {

std::string_view trimmed(std::string_view text) {
    const size_t first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const size_t last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

Unexpected bad(std::string message) {
    return fail(Errc::invalid_argument, "", "VTC_ENCODER_RANKS", std::move(message));
}

} // namespace

Result<RankOverrides> parse_rank_overrides(std::string_view text) {
    RankOverrides overrides;
    if (trimmed(text).empty()) {
        return overrides;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view item = trimmed(text.substr(start, end - start));
        start = end + 1;
        if (item.empty()) {
            continue; // "a:1,,b:2" and a trailing comma are harmless
        }
        const size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            return bad(fmt::format("'{}' is not id:rank", item));
        }
        const std::string_view id = trimmed(item.substr(0, colon));
        const std::string_view rank_text = trimmed(item.substr(colon + 1));
        if (!is_valid_encoder_id(id)) {
            return bad(fmt::format("'{}' is not an encoder id ([a-z0-9._-])", id));
        }
        int32_t rank = 0;
        const auto [end_ptr, error] =
            std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
        if (rank_text.empty() || error != std::errc() ||
            end_ptr != rank_text.data() + rank_text.size() || rank < 0) {
            return bad(fmt::format("rank '{}' of {} is not an integer from 0 to 2147483647",
                                   rank_text, id));
        }
        if (!overrides.emplace(std::string(id), rank).second) {
            return bad(fmt::format("{} is listed twice", id));
        }
    }
    return overrides;
}

} // namespace vtc::detail
