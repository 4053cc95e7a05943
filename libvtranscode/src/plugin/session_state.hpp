// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// What an EncoderSession owns. Member order is destruction order in reverse:
// the plugin's instance is destroyed first (in ~State), then the host services
// it may still have pointed at, then the count, and the module last.
#pragma once

#include "plugin/host_services.hpp"
#include "plugin/module.hpp"

#include <vtranscode/encoder_registry.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace vtc {

struct EncoderSession::State {
    State(std::shared_ptr<detail::PluginModule> module_ref,
          std::shared_ptr<std::atomic<uint32_t>> in_use_count,
          std::unique_ptr<detail::HostServices> host_services, const vtc_encoder_vtbl *vtable,
          std::string id)
        : module(std::move(module_ref)), in_use(std::move(in_use_count)),
          host(std::move(host_services)), vtbl(vtable), encoder_id(std::move(id)) {}
    State(const State &) = delete;
    State &operator=(const State &) = delete;

    ~State() {
        if (encoder != nullptr) {
            vtbl->destroy(encoder);
            in_use->fetch_sub(1, std::memory_order_relaxed);
        }
    }

    std::shared_ptr<detail::PluginModule> module;
    std::shared_ptr<std::atomic<uint32_t>> in_use;
    std::unique_ptr<detail::HostServices> host;
    const vtc_encoder_vtbl *vtbl;
    std::string encoder_id;
    vtc_encoder *encoder = nullptr;
};

} // namespace vtc
