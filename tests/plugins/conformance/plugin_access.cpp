// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin_access.hpp"

#include "plugin/module.hpp"

#include <dlfcn.h>

namespace vtc::conformance {

LoadedPlugin load_plugin(const std::string &path) {
    LoadedPlugin loaded;
    detail::LoadContext context;
    context.allow_gpl = true;
    auto module = detail::PluginModule::load(path, context);
    if (!module) {
        loaded.error = module.error().message;
        return loaded;
    }
    loaded.module = std::move(*module);
    loaded.descriptor = &loaded.module->descriptor();
    // The loader keeps the entry point to itself; look it up in the module it
    // already mapped (RTLD_NOLOAD maps nothing new).
    if (void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD); handle != nullptr) {
        loaded.entry =
            reinterpret_cast<vtc_plugin_entry_fn>(dlsym(handle, VTC_PLUGIN_ENTRY_SYMBOL));
        dlclose(handle); // drops only this lookup's reference
    }
    return loaded;
}

} // namespace vtc::conformance
