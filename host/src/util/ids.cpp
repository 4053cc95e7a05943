// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <mutex>
#include <random>
#include <vector>

namespace vtc::host {

namespace {

void fill_random(unsigned char *out, std::size_t count) {
    if (RAND_bytes(out, static_cast<int>(count)) == 1) {
        return;
    }
    // RAND_bytes only fails without an entropy source; ids must still be unique.
    static std::mutex mutex;
    static std::mt19937_64 fallback{std::random_device{}()};
    std::lock_guard<std::mutex> lock(mutex);
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = static_cast<unsigned char>(fallback() & 0xffu);
    }
}

std::string to_hex(const unsigned char *data, std::size_t count) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(count * 2);
    for (std::size_t i = 0; i < count; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

} // namespace

std::string random_hex(std::size_t count) {
    std::vector<unsigned char> bytes(count);
    fill_random(bytes.data(), count);
    return to_hex(bytes.data(), count);
}

std::string uuid4() {
    std::array<unsigned char, 16> b{};
    fill_random(b.data(), b.size());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    const std::string hex = to_hex(b.data(), b.size());
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
           hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash_slot = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_slot != (text[i] == '-')) {
            return false;
        }
        if (!dash_slot && !std::isxdigit(static_cast<unsigned char>(text[i]))) {
            return false;
        }
    }
    return true;
}

std::string new_request_id() {
    return "vtc-" + random_hex(8);
}

} // namespace vtc::host
