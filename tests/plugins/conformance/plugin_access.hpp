// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file plugin_access.hpp
/// @brief How the conformance checks get at a plugin: through libvtranscode's
///        own loader, so its file checks and descriptor validation are part of
///        what the suite exercises.
#pragma once

#include <vtranscode/plugin/vtc_plugin.h>

#include <memory>
#include <string>

namespace vtc::detail {
class PluginModule;
}

namespace vtc::conformance {

struct LoadedPlugin {
    /// Keeps the module mapped.
    std::shared_ptr<detail::PluginModule> module;
    /// The validated descriptor, or NULL when the loader refused the plugin.
    const vtc_plugin_descriptor *descriptor = nullptr;
    /// The module's entry point (for checks that call it again).
    vtc_plugin_entry_fn entry = nullptr;
    /// The loader's one-line reason when it refused the plugin; empty otherwise.
    std::string error;
};

/// Loads @p path the way the host does (detail::PluginModule::load: file
/// checks, RTLD_NOW, entry with this build's ABI version, descriptor
/// validation). GPL plugins are accepted: the licence gate is host policy,
/// not part of the ABI contract this suite checks.
LoadedPlugin load_plugin(const std::string &path);

} // namespace vtc::conformance
