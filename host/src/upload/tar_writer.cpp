// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "upload/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <vector>

namespace vtc::host {

TarRules quality_tar_rules() {
    TarRules r;
    r.extensions = {".m3u8", ".ts", ".m4s", ".mp4", ".jpg", ".vtt"};
    return r;
}

TarRules finalize_tar_rules() {
    TarRules r;
    r.max_members = 10;
    r.max_file_bytes = 500ull << 20;
    r.max_total_bytes = 500ull << 20;
    r.extensions = {".m3u8", ".mpd", ".jpg"};
    r.exact_names = {"master.m3u8", "manifest.mpd", "thumbnail.jpg"};
    return r;
}

Result<void> check_member_name(const std::string &name, const TarRules &rules) {
    auto bad = [&](const std::string &why) {
        return fail(Errc::invalid_argument, "upload", name, "archive member name " + why);
    };
    if (name.empty() || name.size() > 255) {
        return bad("is empty or longer than 255 bytes");
    }
    if (name.front() == '/') {
        return bad("is absolute");
    }
    for (char c : name) {
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return bad("holds a backslash or a control character");
        }
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        const std::string part = name.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") {
            return bad("has an empty, '.' or '..' component");
        }
        start = end + 1;
    }
    std::string lower = name;
    for (char &c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const bool suffix_ok =
        std::any_of(rules.extensions.begin(), rules.extensions.end(), [&](const std::string &ext) {
            return lower.size() > ext.size() &&
                   lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0;
        });
    if (!suffix_ok) {
        return bad("has an extension the server refuses");
    }
    if (!rules.exact_names.empty() && rules.exact_names.count(name) == 0) {
        return bad("is not one of the names the server accepts here");
    }
    return ok();
}

Result<std::uint64_t> write_tar_gz(const std::vector<TarMember> &members,
                                   const std::filesystem::path &archive_path,
                                   const TarRules &rules) {
    if (members.size() > rules.max_members) {
        return fail(Errc::invalid_argument, "upload", archive_path.string(),
                    "too many files for one archive (" + std::to_string(members.size()) + " > " +
                        std::to_string(rules.max_members) + ")");
    }
    std::vector<struct stat> stats(members.size());
    std::uint64_t total = 0;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < members.size(); ++i) {
        const TarMember &m = members[i];
        if (Result<void> name_ok = check_member_name(m.name, rules); !name_ok) {
            return Unexpected(std::move(name_ok).error());
        }
        if (!seen.insert(m.name).second) {
            return fail(Errc::invalid_argument, "upload", m.name, "archive member listed twice");
        }
        // lstat, not stat: a symlink in the output must be refused, not followed.
        if (::lstat(m.file.c_str(), &stats[i]) != 0) {
            return fail(Errc::io, "upload", m.file.string(), "cannot stat the file");
        }
        if (!S_ISREG(stats[i].st_mode)) {
            return fail(Errc::invalid_argument, "upload", m.file.string(),
                        "not a regular file (links and special files are never archived)");
        }
        const auto size = static_cast<std::uint64_t>(stats[i].st_size);
        if (size > rules.max_file_bytes) {
            return fail(Errc::invalid_argument, "upload", m.file.string(),
                        "file exceeds the server's per-file limit of " +
                            std::to_string(rules.max_file_bytes) + " bytes");
        }
        total += size;
    }
    if (total > rules.max_total_bytes) {
        return fail(Errc::invalid_argument, "upload", archive_path.string(),
                    "archive content exceeds the server's limit of " +
                        std::to_string(rules.max_total_bytes) + " bytes");
    }

    const std::filesystem::path partial = archive_path.string() + ".part";
    std::unique_ptr<archive, int (*)(archive *)> a(archive_write_new(), &archive_write_free);
    auto archive_error = [&](const std::string &what) {
        const char *why = archive_error_string(a.get());
        std::error_code ec;
        std::filesystem::remove(partial, ec);
        return fail(Errc::io, "upload", archive_path.string(),
                    what + (why ? std::string(": ") + why : std::string()));
    };
    // Segments are already compressed: level 1 costs little CPU for what gzip -9 would save.
    if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
        archive_write_set_filter_option(a.get(), "gzip", "compression-level", "1") != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_open_filename(a.get(), partial.c_str()) != ARCHIVE_OK) {
        return archive_error("cannot create the archive");
    }
    std::vector<char> buffer(1 << 20);
    for (std::size_t i = 0; i < members.size(); ++i) {
        const TarMember &m = members[i];
        std::unique_ptr<std::FILE, int (*)(std::FILE *)> in(std::fopen(m.file.c_str(), "rb"),
                                                            &std::fclose);
        if (!in) {
            return archive_error("cannot open " + m.file.string());
        }
        std::unique_ptr<archive_entry, void (*)(archive_entry *)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
        archive_entry_set_pathname(entry.get(), m.name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(stats[i].st_size));
        archive_entry_set_mtime(entry.get(), stats[i].st_mtime, 0);
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
            return archive_error("cannot write the header of " + m.name);
        }
        std::uint64_t written = 0;
        std::size_t n = 0;
        while ((n = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
            if (archive_write_data(a.get(), buffer.data(), n) != static_cast<la_ssize_t>(n)) {
                return archive_error("cannot write " + m.name);
            }
            written += n;
        }
        if (written != static_cast<std::uint64_t>(stats[i].st_size)) {
            // The file changed under us; the header already promised another size.
            return archive_error(m.file.string() + " changed while it was archived");
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        return archive_error("cannot finish the archive");
    }
    std::error_code ec;
    std::filesystem::rename(partial, archive_path, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        return fail(Errc::io, "upload", archive_path.string(), "cannot rename the archive");
    }
    const auto size = std::filesystem::file_size(archive_path, ec);
    return static_cast<std::uint64_t>(ec ? 0 : size);
}

} // namespace vtc::host
