// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin_access.hpp"

#include <dlfcn.h>

namespace vtc::conformance {

// TODO(#2): load through libvtranscode's plugin registry once it lands, so the
// registry's descriptor validation is part of what this suite exercises.
LoadedPlugin load_plugin(const std::string &path) {
    LoadedPlugin loaded;
    void *module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
        const char *why = dlerror();
        loaded.error = "dlopen failed: " + std::string(why != nullptr ? why : "unknown error");
        return loaded;
    }
    void *symbol = dlsym(module, VTC_PLUGIN_ENTRY_SYMBOL);
    if (symbol == nullptr) {
        loaded.error = "the module exports no " VTC_PLUGIN_ENTRY_SYMBOL;
        return loaded;
    }
    loaded.entry = reinterpret_cast<vtc_plugin_entry_fn>(symbol);
    loaded.descriptor = loaded.entry(VTC_PLUGIN_ABI_MAJOR, VTC_PLUGIN_ABI_MINOR);
    if (loaded.descriptor == nullptr) {
        loaded.error = VTC_PLUGIN_ENTRY_SYMBOL " returned NULL";
    }
    return loaded;
}

} // namespace vtc::conformance
