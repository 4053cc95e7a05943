// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// Loading one plugin file.
//
//  1. The file is checked first: stat(), so a directory or an empty file named
//     like a plugin gets a plain reason; and the ELF program headers, because
//     glibc's dlopen() maps segments without comparing them with the file size
//     and dies of SIGBUS on a truncated plugin.
//  2. It is mapped with RTLD_NOW (a missing symbol fails here, not mid-job) and
//     RTLD_LOCAL (plugins cannot see each other's symbols), through Boost.DLL's
//     error_code overloads only, so nothing throws.
//  3. vtc_plugin_entry(host major, host minor) is called once and the descriptor
//     is validated (validate.cpp). A refused module is unmapped at once.
//  4. A loaded module stays mapped while anything holds its shared_ptr: the
//     registry, and every EncoderSession opened from it.
#include "plugin/module.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace vtc::detail {
namespace {

Unexpected refuse(std::string reason) {
    return fail(Errc::plugin, "", "", std::move(reason));
}

// dlerror() starts its text with the path ("/x/vtc-a.so: invalid ELF
// header"); the log line names the file already.
std::string load_failure_reason(const std::filesystem::path &file, const std::error_code &ec) {
    const char *text = dlerror();
    std::string reason = text != nullptr ? text : ec.message();
    const std::string prefix = file.string() + ": ";
    if (reason.compare(0, prefix.size(), prefix) == 0) {
        reason.erase(0, prefix.size());
    }
    return "cannot load: " + reason;
}

// Every loadable segment must lie inside the file: dlopen() would map past the
// end and fault while zeroing the tail of the last page. Only what dlopen()
// does not check itself is checked here; anything that is not a native ELF
// object is left to dlopen()'s own (good) messages.
Result<void> check_elf_extents(const std::filesystem::path &file, std::uintmax_t size_bytes) {
    std::ifstream in(file, std::ios::binary);
    ElfW(Ehdr) header{};
    if (!in.read(reinterpret_cast<char *>(&header), sizeof(header)) ||
        std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
        header.e_phentsize != sizeof(ElfW(Phdr))) {
        return ok();
    }
    const std::uintmax_t table_end =
        std::uintmax_t{header.e_phoff} + std::uintmax_t{header.e_phnum} * sizeof(ElfW(Phdr));
    if (table_end > size_bytes) {
        return refuse(fmt::format("truncated ELF file: its program headers end at byte {}, the "
                                  "file has {} bytes",
                                  table_end, size_bytes));
    }
    std::vector<ElfW(Phdr)> segments(header.e_phnum);
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    if (!in.read(reinterpret_cast<char *>(segments.data()),
                 static_cast<std::streamsize>(segments.size() * sizeof(ElfW(Phdr))))) {
        return refuse("cannot read: the ELF program headers are unreadable");
    }
    for (size_t i = 0; i < segments.size(); ++i) {
        const ElfW(Phdr) &segment = segments[i];
        if (segment.p_type != PT_LOAD) {
            continue;
        }
        const std::uintmax_t end = std::uintmax_t{segment.p_offset} + segment.p_filesz;
        if (end < segment.p_offset || end > size_bytes) {
            return refuse(fmt::format("truncated ELF file: segment {} ends at byte {}, the file "
                                      "has {} bytes",
                                      i, end, size_bytes));
        }
    }
    return ok();
}

} // namespace

Result<void> check_plugin_file(const std::filesystem::path &file) {
    std::error_code ec;
    const std::filesystem::file_status status = std::filesystem::status(file, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return refuse("no such file");
        }
        return refuse("cannot read: " + ec.message());
    }
    if (!std::filesystem::is_regular_file(status)) {
        return refuse("not a regular file");
    }
    const std::uintmax_t size_bytes = std::filesystem::file_size(file, ec);
    if (ec) {
        return refuse("cannot read: " + ec.message());
    }
    if (size_bytes == 0) {
        return refuse("empty file");
    }
    return check_elf_extents(file, size_bytes);
}

PluginModule::PluginModule(std::filesystem::path file, boost::dll::shared_library library,
                           const vtc_plugin_descriptor *descriptor)
    : file_(std::move(file)), library_(std::move(library)), descriptor_(descriptor) {}

Result<std::shared_ptr<PluginModule>> PluginModule::load(const std::filesystem::path &file,
                                                         const LoadContext &context) {
    if (auto usable = check_plugin_file(file); !usable) {
        return Unexpected(usable.error());
    }
    const std::optional<std::string> expected_name = plugin_name_from_file(file);
    if (!expected_name) {
        return refuse("file name is not vtc-<name>.so");
    }

    boost::dll::shared_library library;
    std::error_code ec;
    dlerror(); // clear any stale message so the one read below is ours
    library.load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !library.is_loaded()) {
        return refuse(load_failure_reason(file, ec));
    }
    if (!library.has(VTC_PLUGIN_ENTRY_SYMBOL)) {
        return refuse("does not export " VTC_PLUGIN_ENTRY_SYMBOL);
    }
    // has() just found it, so get() cannot throw here.
    auto entry = library.get<std::remove_pointer_t<vtc_plugin_entry_fn>>(VTC_PLUGIN_ENTRY_SYMBOL);
    const vtc_plugin_descriptor *descriptor = entry(context.host_abi.major, context.host_abi.minor);

    ValidationContext validation;
    validation.host_abi = context.host_abi;
    validation.expected_name = *expected_name;
    validation.allow_gpl = context.allow_gpl;
    validation.taken_ids = context.taken_ids;
    if (auto valid = validate_descriptor(descriptor, validation); !valid) {
        return Unexpected(valid.error());
    }
    return std::shared_ptr<PluginModule>(new PluginModule(file, std::move(library), descriptor));
}

} // namespace vtc::detail
