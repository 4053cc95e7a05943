// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file commands.hpp
/// @brief The subcommands of vtranscode-worker: run (default), check, register.
#pragma once

#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "runner/transcoder.hpp"
#include "util/logging.hpp"

#include <string>

namespace vtc::host {

/// Runs the worker until SIGTERM/SIGINT, a stop/restart/update command or a version
/// mismatch, then exits. SIGTERM and SIGINT must be blocked in every thread before this is
/// called (main does it first thing); a dedicated thread waits for them.
/// @return the process exit code: 0 after a graceful stop, 1 when start-up failed.
int run_worker(const Config &config, const LogHub &logs, Transcoder &transcoder,
               const EncoderInventory &inventory);

/// Checks the configuration, the API (reachable, key accepted) and the encoders, prints
/// what /ready would answer, and returns 0 when ready, 1 otherwise. Every network step is
/// bounded by VLOG_WORKER_CONNECT_TIMEOUT.
int run_check(const Config &config, const LogHub &logs, const EncoderInventory &inventory);

/// Registers a worker named `name` with the admin secret and prints its id and API key
/// (shown once) to stdout. @return 0 on success, 1 otherwise.
int run_register(const Config &config, const LogHub &logs, const EncoderInventory &inventory,
                 const std::string &name);

} // namespace vtc::host
