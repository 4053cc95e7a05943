// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file plugin_access.hpp
/// @brief How the conformance checks get at a plugin's descriptor.
///
/// This is the one place that loads the module, so that switching to the
/// project's loader and registry (and thus exercising its validation) touches
/// nothing else.
#pragma once

#include <vtranscode/plugin/vtc_plugin.h>

#include <string>

namespace vtc::conformance {

struct LoadedPlugin {
    /// The validated descriptor, or NULL when loading failed.
    const vtc_plugin_descriptor *descriptor = nullptr;
    /// The module's entry point (for checks that call it again).
    vtc_plugin_entry_fn entry = nullptr;
    /// One line saying why loading failed; empty on success.
    std::string error;
};

/// Loads @p path with RTLD_NOW and calls its entry with this build's ABI
/// version. The module stays loaded for the rest of the process (the checks
/// run in short-lived child processes).
LoadedPlugin load_plugin(const std::string &path);

} // namespace vtc::conformance
