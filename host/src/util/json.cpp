// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/json.hpp"

namespace vtc::host {

namespace {

/// Deepest bracket nesting outside strings; stops counting past the limit.
int nesting_depth(std::string_view body) {
    int depth = 0;
    int deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : body) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > max_json_depth) {
                    return deepest;
                }
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

Unexpected type_error(std::string_view what, const char *key, const char *expected) {
    return fail(Errc::protocol, "api", "",
                std::string(what) + ": field '" + key + "' is not " + expected);
}

} // namespace

Result<Json> parse_json_object(std::string_view body, std::string_view what) {
    if (body.size() > max_json_reply_bytes) {
        return fail(Errc::protocol, "api", "",
                    std::string(what) + ": reply of " + std::to_string(body.size()) +
                        " bytes exceeds the " + std::to_string(max_json_reply_bytes) +
                        "-byte limit");
    }
    // nlohmann's parser is iterative, but a bound keeps hostile input cheap to reject.
    if (nesting_depth(body) > max_json_depth) {
        return fail(Errc::protocol, "api", "",
                    std::string(what) + ": reply nests deeper than " +
                        std::to_string(max_json_depth) + " levels");
    }
    Json parsed = Json::parse(body.begin(), body.end(), nullptr, false);
    if (parsed.is_discarded()) {
        return fail(Errc::protocol, "api", "",
                    std::string(what) + ": reply is not valid JSON: '" + printable(body, 80) + "'");
    }
    if (!parsed.is_object()) {
        return fail(Errc::protocol, "api", "",
                    std::string(what) + ": reply is JSON but not an object");
    }
    return parsed;
}

Result<std::optional<std::int64_t>> json_int(const Json &object, const char *key,
                                             std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::optional<std::int64_t>{};
    }
    if (it->is_number_integer()) {
        return std::optional<std::int64_t>{it->get<std::int64_t>()};
    }
    return type_error(what, key, "an integer");
}

Result<std::optional<double>> json_number(const Json &object, const char *key,
                                          std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::optional<double>{};
    }
    if (it->is_number()) {
        return std::optional<double>{it->get<double>()};
    }
    return type_error(what, key, "a number");
}

Result<std::optional<bool>> json_bool(const Json &object, const char *key, std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::optional<bool>{};
    }
    if (it->is_boolean()) {
        return std::optional<bool>{it->get<bool>()};
    }
    return type_error(what, key, "a boolean");
}

Result<std::optional<std::string>> json_string(const Json &object, const char *key,
                                               std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::optional<std::string>{};
    }
    if (it->is_string()) {
        return std::optional<std::string>{it->get<std::string>()};
    }
    return type_error(what, key, "a string");
}

Result<std::optional<std::vector<std::string>>>
json_string_list(const Json &object, const char *key, std::string_view what) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::optional<std::vector<std::string>>{};
    }
    if (!it->is_array()) {
        return type_error(what, key, "a list");
    }
    std::vector<std::string> out;
    for (const Json &item : *it) {
        if (!item.is_string()) {
            return type_error(what, key, "a list of strings");
        }
        out.push_back(item.get<std::string>());
    }
    return std::optional<std::vector<std::string>>{std::move(out)};
}

std::string printable(std::string_view text, std::size_t max_chars) {
    std::string out;
    out.reserve(std::min(text.size(), max_chars) + 3);
    for (char c : text) {
        if (out.size() >= max_chars) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    return out;
}

} // namespace vtc::host
