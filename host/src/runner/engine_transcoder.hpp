// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file engine_transcoder.hpp
/// @brief The production Transcoder and EncoderInventory, backed by libvtranscode's Engine
///        (which owns the plugin registry: one scan at start, hardware probed in vtc-probe).
#pragma once

#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "runner/transcoder.hpp"

#include <vtranscode/log.hpp>

#include <memory>

namespace vtc::host {

struct EngineServices {
    std::unique_ptr<Transcoder> transcoder;
    std::unique_ptr<EncoderInventory> inventory;
};

/// Creates the engine once and both views of it. When the engine cannot be created at all
/// (the registry failed), the inventory is empty, so /ready says so and nothing is claimed.
/// Call it before other threads exist: it puts config.vaapi_device into the environment
/// (VTC_VAAPI_DEVICE, VTC_QSV_DEVICE, unless already set) for the plugins and their probe
/// child, and setenv() is not safe while other threads may read the environment.
EngineServices make_engine_services(const Config &config, Logger logger);

/// CPUs this process may use: the cgroup v2 quota (cpu.max) or v1 (cfs_quota/period) when
/// set, else the hardware threads; at least 1. The engine's thread budget, so a pod limited
/// to 2 CPUs does not start a thread per host core.
unsigned available_cpus();

} // namespace vtc::host
