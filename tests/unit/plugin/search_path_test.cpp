// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/search_path.hpp"
#include "vtc_build_config.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using vtc::detail::default_plugin_search_path;
using vtc::detail::find_plugin_files;
using vtc::detail::split_path_list;

namespace {

// Sets (or unsets) an environment variable for one test and restores it.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const char *value) : name_(name) {
        if (const char *old = std::getenv(name)) {
            old_ = old;
        }
        if (value != nullptr) {
            setenv(name, value, 1);
        } else {
            unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            setenv(name_, old_->c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *name_;
    std::optional<std::string> old_;
};

fs::path make_temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "vtc-search-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

} // namespace

TEST_CASE("path lists split on colons and drop empty entries") {
    CHECK(split_path_list("") == std::vector<fs::path>{});
    CHECK(split_path_list("/a::/b:") == std::vector<fs::path>{"/a", "/b"});
    CHECK(split_path_list(":/only") == std::vector<fs::path>{"/only"});
}

TEST_CASE("the search path is VTC_PLUGIN_PATH, then the system path or the installed dir") {
    {
        ScopedEnv user("VTC_PLUGIN_PATH", "/one:/two");
        ScopedEnv system("VTC_PLUGIN_SYSTEM_PATH", nullptr);
        CHECK(default_plugin_search_path() ==
              std::vector<fs::path>{"/one", "/two", VTC_INSTALLED_PLUGIN_DIR});
    }
    {
        ScopedEnv user("VTC_PLUGIN_PATH", "/one");
        ScopedEnv system("VTC_PLUGIN_SYSTEM_PATH", "");
        CHECK(default_plugin_search_path() == std::vector<fs::path>{"/one"});
    }
    {
        ScopedEnv user("VTC_PLUGIN_PATH", nullptr);
        ScopedEnv system("VTC_PLUGIN_SYSTEM_PATH", "/sys1:/sys2");
        CHECK(default_plugin_search_path() == std::vector<fs::path>{"/sys1", "/sys2"});
    }
}

TEST_CASE("the probe comes from VTC_PROBE_PATH, else the installed path") {
    {
        ScopedEnv probe("VTC_PROBE_PATH", "/custom/vtc-probe");
        CHECK(vtc::detail::default_probe_executable() == "/custom/vtc-probe");
    }
    {
        ScopedEnv probe("VTC_PROBE_PATH", "");
        CHECK(vtc::detail::default_probe_executable() == VTC_INSTALLED_PROBE_PATH);
    }
}

TEST_CASE("plugin files are vtc-*.so entries, sorted per directory, directories in order") {
    const fs::path first = make_temp_dir();
    const fs::path second = make_temp_dir();
    for (const char *name :
         {"vtc-b.so", "vtc-a.so", "libvtc-c.so", "vtc-d.so.1", "vtc-probe", "notes.txt"}) {
        std::ofstream(first / name) << "x";
    }
    fs::create_directory(first / "vtc-dir.so");
    std::ofstream(second / "vtc-0.so") << "x";

    std::vector<std::string> lines;
    const vtc::Logger logger([&lines](vtc::LogLevel, std::string_view,
                                      std::string_view message) { lines.emplace_back(message); },
                             vtc::LogLevel::trace);
    const auto files = find_plugin_files({second, first, first / "missing", first, second}, logger);
    CHECK(files == std::vector<fs::path>{second / "vtc-0.so", first / "vtc-a.so",
                                         first / "vtc-b.so", first / "vtc-dir.so"});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "plugin directory " + (first / "missing").string() + " does not exist");

    fs::remove_all(first);
    fs::remove_all(second);
}
