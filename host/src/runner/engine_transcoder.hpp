// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file engine_transcoder.hpp
/// @brief The production Transcoder and EncoderInventory, backed by libvtranscode.
#pragma once

#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "runner/transcoder.hpp"

#include <vtranscode/log.hpp>

#include <memory>

namespace vtc::host {

/// The engine-backed transcoder.
std::unique_ptr<Transcoder> make_engine_transcoder(const Config &config, Logger logger);

/// The plugin registry's view of this machine's encoders.
std::unique_ptr<EncoderInventory> make_engine_inventory(const Config &config, Logger logger);

} // namespace vtc::host
