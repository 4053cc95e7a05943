// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// One loaded and validated plugin file. Sessions hold a shared_ptr to it, so
// the shared object stays mapped while any encoder instance from it lives.
#pragma once

#include "plugin/validate.hpp"

#include <vtranscode/result.hpp>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS 1
#endif
#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <span>

namespace vtc::detail {

/// Checks that @p file can be a plugin before anything maps it: it exists, is
/// a regular file (symlinks followed), is not empty, and (when it is a native
/// ELF object) none of its loadable segments reaches past the end of the file.
/// @return ok, or Errc::plugin with the one-line reason ("empty file").
Result<void> check_plugin_file(const std::filesystem::path &file);

/// What PluginModule::load() needs besides the file.
struct LoadContext {
    AbiVersion host_abi = host_abi_version;
    bool allow_gpl = false;
    const TakenIds *taken_ids = nullptr; ///< may be null
};

class PluginModule {
public:
    /// Checks the file, maps it (RTLD_NOW | RTLD_LOCAL), calls the entry with
    /// the host's ABI version and validates the descriptor. Never throws
    /// (except std::bad_alloc). On failure the module is unmapped again and
    /// the error message is the one-line reason, without the file name.
    static Result<std::shared_ptr<PluginModule>> load(const std::filesystem::path &file,
                                                      const LoadContext &context);

    PluginModule(const PluginModule &) = delete;
    PluginModule &operator=(const PluginModule &) = delete;

    const std::filesystem::path &file() const noexcept { return file_; }
    /// Valid for the module's lifetime.
    const vtc_plugin_descriptor &descriptor() const noexcept { return *descriptor_; }
    std::span<const vtc_encoder_info *const> encoders() const noexcept {
        return {descriptor_->encoders, descriptor_->encoder_count};
    }

private:
    PluginModule(std::filesystem::path file, boost::dll::shared_library library,
                 const vtc_plugin_descriptor *descriptor);

    std::filesystem::path file_;
    boost::dll::shared_library library_;
    const vtc_plugin_descriptor *descriptor_;
};

} // namespace vtc::detail
