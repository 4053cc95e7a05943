// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file encoder_registry.hpp
/// @brief Finding, validating and opening encoder plugins.
///
/// EncoderRegistry::scan() looks for `vtc-*.so` files on the plugin search path,
/// refuses the ones that break the ABI contract (one log line each, naming the
/// file and the reason), asks every encoder what it can do (in a `vtc-probe`
/// child process by default, so a crashing driver cannot take the caller down)
/// and keeps the result. candidates() filters and orders encoders for a job,
/// open() creates an EncoderSession.
///
/// Environment (read only when the matching option is left at its default):
///  - `VTC_PLUGIN_PATH`: colon-separated directories searched first.
///  - `VTC_PLUGIN_SYSTEM_PATH`: replaces the installed plugin directory;
///    set but empty means "no system directory" (test isolation).
///  - `VTC_PROBE_PATH`: the `vtc-probe` executable.
///  - `VTC_ENCODER_RANKS`: rank overrides, "id:rank,id:rank"; rank 0 means
///    "never chosen automatically, only by name".
#pragma once

#include "cancel.hpp"
#include "export.hpp"
#include "log.hpp"
#include "plugin/vtc_plugin.h"
#include "result.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtc {

/// The codec's short name: "h264", "hevc", "av1"; "unknown" for any other
/// `enum vtc_codec` value. Thread-safe.
VTC_API std::string_view codec_name(int32_t vtc_codec) noexcept;

/// How encoder capabilities are queried during scan().
enum class ProbeMode {
    /// One `vtc-probe` child process per plugin file: a plugin that crashes or
    /// hangs in its entry point or in query_caps() is marked unavailable and the
    /// caller survives. Falls back to in_process, with one warning line, when
    /// the probe executable does not exist.
    child_process,
    /// Everything happens in this process; a crashing plugin crashes the caller.
    /// For `vtc-probe` itself and for tools that must not spawn processes.
    in_process,
};

/// Everything scan() needs. Every default reads the environment or the build
/// configuration, so `EncoderRegistry::scan({})` does the usual thing.
struct RegistryOptions {
    /// Directories to search, in order. Empty: `VTC_PLUGIN_PATH`, then
    /// `VTC_PLUGIN_SYSTEM_PATH` if set, else the installed plugin directory.
    std::vector<std::filesystem::path> search_path;
    /// Exactly these plugin files, in this order, instead of searching
    /// directories (for conformance tests and `vtc-probe`-style tools).
    std::vector<std::filesystem::path> plugin_files;
    /// Accept plugins whose licence is GPL. Unset: as the build was
    /// configured (`-Dgpl=enabled` allows them).
    std::optional<bool> allow_gpl;
    ProbeMode probe_mode = ProbeMode::child_process;
    /// The `vtc-probe` executable. Empty: `VTC_PROBE_PATH`, else the installed one.
    std::filesystem::path probe_executable;
    /// How long one probe child may run before it is killed.
    std::chrono::milliseconds probe_timeout{10000};
    /// "id:rank,id:rank". Unset: `VTC_ENCODER_RANKS` (unset or empty = none).
    std::optional<std::string> rank_overrides;
    /// Where the registry and the plugins log (component "registry" and
    /// "plugin <name>"). The default discards everything.
    Logger logger;
};

/// One plugin file the scan looked at.
struct PluginInfo {
    std::filesystem::path file;
    /// From the descriptor; empty when the plugin was refused before it could be read.
    std::string name;
    std::string version;
    std::string license;
    std::string description;
    uint32_t abi_major = 0;
    uint32_t abi_minor = 0;
    /// True when the plugin passed validation and its encoders are listed.
    bool loaded = false;
    /// Why it was refused ("built for plugin ABI 2.0, this host supports 1.0");
    /// empty when loaded.
    std::string rejection_reason;
    /// Ids of the encoders it offers (loaded plugins only).
    std::vector<std::string> encoder_ids;
};

/// One encoder offered by a loaded plugin.
struct EncoderInfo {
    std::string id;          ///< unique across plugins ("x264-h264")
    std::string description; ///< one line for people
    std::string plugin;      ///< the plugin's name ("x264")
    std::filesystem::path plugin_file;
    int32_t codec = VTC_CODEC_UNSET; ///< enum vtc_codec
    int32_t declared_rank = 0;       ///< vtc_encoder_info::rank as the plugin declared it
    int32_t rank = 0;                ///< after VTC_ENCODER_RANKS; 0 = only chosen by name
    /// query_caps() succeeded; open() may still fail (for example DEVICE_BUSY).
    bool available = false;
    /// Why not available: the status and the plugin's reason, or the probe's
    /// ("probe crashed (signal 11)"). Empty when available.
    std::string unavailable_reason;
    /// The query_caps() status (VTC_OK when available).
    vtc_status status = VTC_ERR_INTERNAL;
    /// What query_caps() filled; all zero when unavailable. caps.struct_size
    /// says how much the plugin filled (test later members with VTC_HAS_FIELD).
    vtc_encoder_caps caps{};

    bool is_hardware() const noexcept { return (caps.flags & VTC_ENCODER_CAP_HARDWARE) != 0; }
    /// The device the encoder runs on as the plugin named it (caps.device_name,
    /// ABI 1.1; valid UTF-8 without control characters). Empty for software
    /// encoders, plugins built for ABI 1.0 and unavailable encoders.
    std::string device_name() const {
        if (!available || !VTC_HAS_FIELD(&caps, vtc_encoder_caps, device_name)) {
            return {};
        }
        return {caps.device_name, strnlen(caps.device_name, sizeof(caps.device_name))};
    }
};

/// What a job needs from an encoder. Zero / UNSET members mean "any".
struct EncoderRequirements {
    int32_t codec = VTC_CODEC_UNSET;               ///< enum vtc_codec
    uint32_t width = 0;                            ///< in pixels
    uint32_t height = 0;                           ///< in pixels
    int32_t pixel_format = VTC_PIXEL_FORMAT_UNSET; ///< enum vtc_pixel_format
    int32_t memory_type = VTC_MEMORY_UNSET;        ///< enum vtc_memory_type
    int32_t rate_control = VTC_RATE_CONTROL_UNSET; ///< enum vtc_rate_control
    bool forced_keyframes = false;                 ///< needs VTC_ENCODER_CAP_FORCED_KEYFRAME
    uint32_t bit_depth = 0;                        ///< 8, 10 or 12; 0 = any
};

/// Flow states of EncoderSession calls (the ABI's positive vtc_status values).
enum class FlowState {
    ok,             ///< the call did what was asked (frame taken, packet filled)
    need_input,     ///< receive_packet(): no packet yet; send more frames
    end_of_stream,  ///< receive_packet() after drain(): every packet was returned
    output_pending, ///< send_frame(): not taken; receive packets, then resend the frame
};

/// One compressed access unit, copied out of the plugin.
struct Packet {
    std::vector<uint8_t> data;
    int64_t pts = 0;         ///< in the config's time_base
    int64_t dts = 0;         ///< in the config's time_base; may be negative with B-frames
    int64_t duration = 0;    ///< in the config's time_base; 0 when unknown
    bool keyframe = false;   ///< VTC_PACKET_KEYFRAME: a segment may start here
    bool disposable = false; ///< VTC_PACKET_DISPOSABLE
};

/// Per-session extras for EncoderRegistry::open().
struct SessionOptions {
    /// Polled by the plugin through vtc_host::is_cancelled; null = never cancelled.
    std::shared_ptr<const CancellationToken> cancellation;
    /// Objects the plugin may look up with vtc_host::get_service (VTC_SERVICE_*
    /// type string -> borrowed pointer). They must outlive the session.
    std::map<std::string, const void *, std::less<>> services;
};

/// One encoder instance.
///
/// Errors carry the encoder id (Error::file), the call (Error::stage is
/// "encoder") and the plugin's last_error() text. The session keeps its plugin
/// module loaded, even after the registry that opened it is gone.
///
/// Threading: one thread at a time (the ABI's rule); successive calls may come
/// from different threads. Destroy it from any thread once no call is running.
class VTC_API EncoderSession {
public:
    struct State; // implementation detail

    explicit EncoderSession(std::unique_ptr<State> state);
    /// Destroys the plugin's instance, then releases the module.
    ~EncoderSession();
    EncoderSession(const EncoderSession &) = delete;
    EncoderSession &operator=(const EncoderSession &) = delete;

    const std::string &encoder_id() const noexcept;

    /// A copy of the out-of-band parameter sets (get_extradata()).
    /// Errc::unsupported when the encoder has none.
    Result<std::vector<uint8_t>> extradata();

    /// Hands @p frame (borrowed for the call) to the encoder.
    /// @return FlowState::ok (taken) or FlowState::output_pending (not taken:
    ///         receive packets until need_input, then send the same frame again);
    ///         an error otherwise.
    Result<FlowState> send_frame(const vtc_frame &frame);

    /// Ends the input; receive_packet() then returns every remaining packet
    /// and finally FlowState::end_of_stream.
    Result<void> drain();

    /// Copies the next packet into @p packet (its buffer is reused).
    /// @return FlowState::ok (packet filled), FlowState::need_input, or
    ///         FlowState::end_of_stream; an error otherwise.
    Result<FlowState> receive_packet(Packet &packet);

private:
    std::unique_ptr<State> state_;
};

/// The plugins and encoders found by one scan. Immutable after scan(), so
/// every const member is thread-safe; the session counts are atomic.
class VTC_API EncoderRegistry {
public:
    struct Impl; // implementation detail

    /// Searches, validates and probes. Refused plugins and unavailable
    /// encoders are not errors: they are listed with their reasons.
    /// @return the registry; Errc::invalid_argument only for unusable options
    ///         (a malformed rank override, a zero probe timeout).
    static Result<std::shared_ptr<EncoderRegistry>> scan(RegistryOptions options);

    /// Loads exactly one plugin file (options.search_path and
    /// options.plugin_files are ignored).
    /// @return the registry, or Errc::plugin with the rejection reason when the
    ///         plugin was refused.
    static Result<std::shared_ptr<EncoderRegistry>> load_file(const std::filesystem::path &file,
                                                              RegistryOptions options);

    explicit EncoderRegistry(std::unique_ptr<Impl> impl);
    ~EncoderRegistry();
    EncoderRegistry(const EncoderRegistry &) = delete;
    EncoderRegistry &operator=(const EncoderRegistry &) = delete;

    /// Every plugin file looked at, in search order, loaded or refused.
    const std::vector<PluginInfo> &plugins() const noexcept;
    /// Every encoder of every loaded plugin, available or not, in search order.
    const std::vector<EncoderInfo> &encoders() const noexcept;
    /// The encoder with this id, or nullptr.
    const EncoderInfo *find(std::string_view encoder_id) const noexcept;

    /// Available encoders that meet @p requirements, best first.
    ///
    /// Order: encoders matching preference[0] first, then preference[1], ...,
    /// then the rest; within each group by rank (higher first), then by id.
    /// A preference entry is an encoder id, a plugin name, or the word
    /// "hardware" / "software". Encoders of rank 0 are left out unless an
    /// entry names them (by id or plugin). Unknown entries match nothing.
    std::vector<EncoderInfo> candidates(const EncoderRequirements &requirements,
                                        const std::vector<std::string> &preference = {}) const;

    /// Creates an instance of encoder @p encoder_id with @p config (borrowed
    /// for the call; fill it with vtc_encoder_config_defaults() first).
    /// @return the session; Errc::not_found for an unknown id; the encoder's
    ///         unavailability status (for example Errc::no_device) when it is
    ///         not available; the mapped create() status with the plugin's text.
    Result<std::unique_ptr<EncoderSession>> open(std::string_view encoder_id,
                                                 const vtc_encoder_config &config,
                                                 SessionOptions options = {}) const;

    /// Shorthand for open() with only a cancellation token.
    Result<std::unique_ptr<EncoderSession>>
    open(std::string_view encoder_id, const vtc_encoder_config &config,
         std::shared_ptr<const CancellationToken> cancellation) const;

    /// Live sessions per encoder id (every encoder is listed, 0 when idle).
    std::map<std::string, uint32_t> sessions_in_use() const;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace vtc
