// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "util/time.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace vtc::host {

namespace {

bool read_digits(std::string_view text, std::size_t &pos, std::size_t count, int &out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool expect(std::string_view text, std::size_t &pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

Unexpected bad(std::string_view text, std::string_view why) {
    std::string shown(text.substr(0, 64));
    return fail(Errc::protocol, "datetime", "",
                "invalid datetime '" + shown + "': " + std::string(why));
}

} // namespace

Result<SystemTime> parse_datetime(std::string_view text) {
    using namespace std::chrono;
    std::size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, mo) || !expect(text, pos, '-') ||
        !read_digits(text, pos, 2, d)) {
        return bad(text, "expected YYYY-MM-DD");
    }
    if (!(expect(text, pos, 'T') || expect(text, pos, 't') || expect(text, pos, ' '))) {
        return bad(text, "expected 'T' after the date");
    }
    if (!read_digits(text, pos, 2, h) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, mi) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, s)) {
        return bad(text, "expected HH:MM:SS");
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 60) {
        return bad(text, "field out of range");
    }
    microseconds fraction{0};
    if (expect(text, pos, '.') || expect(text, pos, ',')) {
        std::int64_t micros = 0;
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            if (digits < 6) {
                micros = micros * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0) {
            return bad(text, "empty fraction");
        }
        for (int i = digits; i < 6; ++i) {
            micros *= 10;
        }
        fraction = microseconds{micros};
    }
    seconds offset{0};
    if (pos < text.size()) {
        const char zone = text[pos];
        if (zone == 'Z' || zone == 'z') {
            ++pos;
        } else if (zone == '+' || zone == '-') {
            ++pos;
            int oh = 0, om = 0;
            if (!read_digits(text, pos, 2, oh)) {
                return bad(text, "bad zone offset");
            }
            expect(text, pos, ':');
            if (!read_digits(text, pos, 2, om) || oh > 23 || om > 59) {
                return bad(text, "bad zone offset");
            }
            offset = hours{oh} + minutes{om};
            if (zone == '-') {
                offset = -offset;
            }
        } else {
            return bad(text, "unexpected text after the time");
        }
    }
    if (pos != text.size()) {
        return bad(text, "unexpected text after the zone");
    }
    const sys_days day_point{ymd};
    // A leap second (":60") lands on the next second; nothing here needs more precision.
    const auto local = day_point + hours{h} + minutes{mi} + seconds{s} + fraction;
    return time_point_cast<system_clock::duration>(local - offset);
}

std::string format_datetime(SystemTime time) {
    using namespace std::chrono;
    const auto ms = time_point_cast<milliseconds>(time);
    const sys_days day_point = floor<days>(ms);
    const year_month_day ymd{day_point};
    const hh_mm_ss<milliseconds> tod{ms - day_point};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), static_cast<int>(tod.hours().count()),
                  static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                  static_cast<int>(tod.subseconds().count()));
    return buf;
}

} // namespace vtc::host
