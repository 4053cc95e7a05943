// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file checks.hpp
/// @brief The conformance checks, in the groups the runner executes, each
///        group in its own child process.
///
/// A group reports through a Channel: `begin` before each check (so the
/// parent can name the check a crash happened in), `result` after it, and
/// `encoder` lines from the plugin group telling the parent which encoders
/// exist and whether they can run here.
#pragma once

#include "conformance.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vtc::conformance {

/// Whether an encoder can be exercised on this machine, from query_caps().
enum class Usability { usable, no_device, unsupported, broken };

/// The child's end of the pipe to the parent. Line-oriented, tab-separated.
class Channel {
public:
    explicit Channel(std::FILE *out) : out_(out) {}
    void begin(std::string_view check);
    void result(const CheckResult &result);
    void encoder(uint32_t index, std::string_view id, Usability usability);

private:
    std::FILE *out_;
};

/// Loads the plugin and checks its descriptor and entry point; queries every
/// encoder's caps and reports its usability.
void run_plugin_group(const Options &options, Channel &channel);

/// The cheap contract checks of encoder @p index: caps, create/destroy,
/// invalid arguments, call order, error texts.
void run_contract_group(const Options &options, uint32_t index, Channel &channel);

/// Encodes 60 synthetic frames with forced key frames at @p bit_depth (8 or
/// 10) and checks the stream by decoding it with libavcodec.
void run_encode_group(const Options &options, uint32_t index, int bit_depth, Channel &channel);

/// Checks that a whole encode writes nothing to stdout or stderr.
void run_quiet_group(const Options &options, uint32_t index, Channel &channel);

} // namespace vtc::conformance
