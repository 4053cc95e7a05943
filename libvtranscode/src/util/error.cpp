// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <vtranscode/error.hpp>

namespace vtc {

std::string_view errc_name(Errc code) noexcept {
    switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::unsupported: return "unsupported";
    case Errc::no_memory: return "no_memory";
    case Errc::no_device: return "no_device";
    case Errc::device_busy: return "device_busy";
    case Errc::device_lost: return "device_lost";
    case Errc::cancelled: return "cancelled";
    case Errc::invalid_state: return "invalid_state";
    case Errc::not_found: return "not_found";
    case Errc::io: return "io";
    case Errc::corrupt_input: return "corrupt_input";
    case Errc::plugin: return "plugin";
    case Errc::timeout: return "timeout";
    case Errc::network: return "network";
    case Errc::protocol: return "protocol";
    case Errc::internal: return "internal";
    }
    return "unknown";
}

std::string Error::to_string() const {
    std::string line;
    for (const std::string *part : {&stage, &file, &message}) {
        if (part->empty()) {
            continue;
        }
        if (!line.empty()) {
            line += ": ";
        }
        line += *part;
    }
    if (line.empty()) {
        line = std::string(errc_name(code));
    }
    // One line, always: a multi-line cause (a library's message, a server body)
    // would break log parsing and the CLI's one-line contract.
    for (char &c : line) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return line;
}

Error make_error(Errc code, std::string stage, std::string file, std::string message) {
    return Error{code, std::move(stage), std::move(file), std::move(message)};
}

} // namespace vtc
