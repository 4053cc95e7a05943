// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/probe_report.hpp"

#include "plugin/caps.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

namespace vtc::detail {
namespace {

using nlohmann::json;

// Typed field access that never throws: the first problem is remembered and
// every later read is a no-op, so parsing reads straight through.
class Reader {
public:
    template <class T>
    void get(const json &object, const char *key, T &out) {
        if (failed()) {
            return;
        }
        const auto it = object.find(key);
        if (it == object.end()) {
            problem_ = fmt::format("missing \"{}\"", key);
            return;
        }
        if constexpr (std::is_same_v<T, bool>) {
            if (!it->is_boolean()) {
                problem_ = fmt::format("\"{}\" is not a boolean", key);
                return;
            }
            out = it->template get<bool>();
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (!it->is_string()) {
                problem_ = fmt::format("\"{}\" is not a string", key);
                return;
            }
            out = it->template get<std::string>();
        } else {
            static_assert(std::is_integral_v<T>);
            if (it->is_number_unsigned()) {
                const auto value = it->template get<uint64_t>();
                if (value > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
                    problem_ = fmt::format("\"{}\" is out of range", key);
                    return;
                }
                out = static_cast<T>(value);
            } else if (it->is_number_integer()) {
                const auto value = it->template get<int64_t>();
                if constexpr (std::is_unsigned_v<T>) {
                    problem_ = fmt::format("\"{}\" is negative", key);
                    (void)value;
                    return;
                } else {
                    if (value < std::numeric_limits<T>::min() ||
                        value > std::numeric_limits<T>::max()) {
                        problem_ = fmt::format("\"{}\" is out of range", key);
                        return;
                    }
                    out = static_cast<T>(value);
                }
            } else {
                problem_ = fmt::format("\"{}\" is not an integer", key);
            }
        }
    }

    const json *object(const json &parent, const char *key) {
        if (failed()) {
            return nullptr;
        }
        const auto it = parent.find(key);
        if (it == parent.end() || !it->is_object()) {
            problem_ = fmt::format("\"{}\" is missing or not an object", key);
            return nullptr;
        }
        return &*it;
    }

    bool failed() const noexcept { return problem_.has_value(); }
    const std::string &problem() const { return *problem_; }
    void set_problem(std::string problem) {
        if (!failed()) {
            problem_ = std::move(problem);
        }
    }

private:
    std::optional<std::string> problem_;
};

void read_caps(Reader &reader, const json &object, vtc_encoder_caps &caps) {
    reader.get(object, "struct_size", caps.struct_size);
    reader.get(object, "codec", caps.codec);
    reader.get(object, "profiles", caps.profiles);
    reader.get(object, "bit_depths", caps.bit_depths);
    reader.get(object, "pixel_formats", caps.pixel_formats);
    reader.get(object, "memory_types", caps.memory_types);
    reader.get(object, "rate_control_modes", caps.rate_control_modes);
    reader.get(object, "min_width", caps.min_width);
    reader.get(object, "min_height", caps.min_height);
    reader.get(object, "max_width", caps.max_width);
    reader.get(object, "max_height", caps.max_height);
    reader.get(object, "size_alignment", caps.size_alignment);
    reader.get(object, "max_sessions", caps.max_sessions);
    reader.get(object, "flags", caps.flags);
    // Since ABI 1.1; reports of a 1.0 plugin have no name.
    if (!reader.failed() && VTC_HAS_FIELD(&caps, vtc_encoder_caps, device_name)) {
        std::string name;
        reader.get(object, "device_name", name);
        if (name.size() >= sizeof(caps.device_name)) {
            reader.set_problem("\"device_name\" is too long");
        } else {
            std::memcpy(caps.device_name, name.c_str(), name.size() + 1);
        }
    }
}

} // namespace

nlohmann::json caps_to_json(const vtc_encoder_caps &caps) {
    return json{
        {"struct_size", caps.struct_size},
        {"codec", caps.codec},
        {"profiles", caps.profiles},
        {"bit_depths", caps.bit_depths},
        {"pixel_formats", caps.pixel_formats},
        {"memory_types", caps.memory_types},
        {"rate_control_modes", caps.rate_control_modes},
        {"min_width", caps.min_width},
        {"min_height", caps.min_height},
        {"max_width", caps.max_width},
        {"max_height", caps.max_height},
        {"size_alignment", caps.size_alignment},
        {"max_sessions", caps.max_sessions},
        {"flags", caps.flags},
        {"device_name",
         VTC_HAS_FIELD(&caps, vtc_encoder_caps, device_name)
             ? std::string(caps.device_name, strnlen(caps.device_name, sizeof(caps.device_name)))
             : std::string()},
        {"names",
         {
             {"codec", codec_name(caps.codec)},
             {"profiles", profile_names(caps.profiles)},
             {"bit_depths", bit_depth_names(caps.bit_depths)},
             {"pixel_formats", pixel_format_names(caps.pixel_formats)},
             {"memory_types", memory_type_names(caps.memory_types)},
             {"rate_control_modes", rate_control_names(caps.rate_control_modes)},
             {"flags", caps_flag_names(caps.flags)},
         }},
    };
}

std::string probe_report_to_json(const ProbeReport &report) {
    json out{{"file", report.file}, {"accepted", report.accepted}};
    if (!report.accepted) {
        out["reason"] = report.reason;
        return out.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    out["plugin"] = {
        {"name", report.name},           {"version", report.version},
        {"license", report.license},     {"description", report.description},
        {"abi_major", report.abi_major}, {"abi_minor", report.abi_minor},
    };
    json encoders = json::array();
    for (const ProbeEncoderReport &encoder : report.encoders) {
        json entry{
            {"id", encoder.id},         {"description", encoder.description},
            {"codec", encoder.codec},   {"codec_name", codec_name(encoder.codec)},
            {"rank", encoder.rank},     {"available", encoder.status == VTC_OK},
            {"status", encoder.status}, {"status_name", vtc_status_name(encoder.status)},
        };
        if (encoder.status == VTC_OK) {
            entry["caps"] = caps_to_json(encoder.caps);
        } else {
            entry["reason"] = encoder.reason;
        }
        encoders.push_back(std::move(entry));
    }
    out["encoders"] = std::move(encoders);
    // Plugin strings are not guaranteed UTF-8: replace rather than throw.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ProbeReport> parse_probe_report(std::string_view text) {
    const json root = json::parse(text.begin(), text.end(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        return fail(Errc::protocol, "probe", "", "the probe's report is not a JSON object");
    }
    Reader reader;
    ProbeReport report;
    reader.get(root, "file", report.file);
    reader.get(root, "accepted", report.accepted);
    if (!reader.failed() && !report.accepted) {
        reader.get(root, "reason", report.reason);
    } else if (!reader.failed()) {
        if (const json *plugin = reader.object(root, "plugin")) {
            reader.get(*plugin, "name", report.name);
            reader.get(*plugin, "version", report.version);
            reader.get(*plugin, "license", report.license);
            reader.get(*plugin, "description", report.description);
            reader.get(*plugin, "abi_major", report.abi_major);
            reader.get(*plugin, "abi_minor", report.abi_minor);
        }
        const auto encoders = root.find("encoders");
        if (!reader.failed() && (encoders == root.end() || !encoders->is_array())) {
            reader.set_problem("\"encoders\" is missing or not an array");
        }
        for (size_t i = 0; !reader.failed() && i < encoders->size(); ++i) {
            const json &item = (*encoders)[i];
            if (!item.is_object()) {
                reader.set_problem(fmt::format("encoder {} is not an object", i));
                break;
            }
            ProbeEncoderReport encoder;
            reader.get(item, "id", encoder.id);
            reader.get(item, "description", encoder.description);
            reader.get(item, "codec", encoder.codec);
            reader.get(item, "rank", encoder.rank);
            reader.get(item, "status", encoder.status);
            if (!reader.failed() && encoder.status == VTC_OK) {
                if (const json *caps = reader.object(item, "caps")) {
                    read_caps(reader, *caps, encoder.caps);
                }
            } else {
                reader.get(item, "reason", encoder.reason);
            }
            report.encoders.push_back(std::move(encoder));
        }
    }
    if (reader.failed()) {
        return fail(Errc::protocol, "probe", "",
                    "the probe's report is malformed: " + reader.problem());
    }
    return report;
}

} // namespace vtc::detail
