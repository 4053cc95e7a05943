// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The VA-API side of the plugin that does not go through FFmpeg: opening a
// VA display on a DRM render node (with libva's messages routed to the host
// log instead of stderr), and asking the driver directly what it can encode.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <va/va.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vtc::vaapi_plugin {

/// The device used when the config names none: $VTC_VAAPI_DEVICE if set
/// (tests and operators pick a node without touching job configs), else
/// /dev/dri/renderD128, FFmpeg's default.
std::string default_device();

/// An initialised VA display. Either opened here on a DRM node (and then
/// terminated and closed by the destructor), or borrowed from the host's
/// VTC_SERVICE_VA_DISPLAY (never terminated here).
class VaDevice {
public:
    /// Opens @p path (see default_device()). libva's messages go to the host
    /// log at debug level; the last error line is kept for error texts.
    /// @throws vtc::sdk::Error VTC_ERR_NO_DEVICE with one line naming the
    ///         path and the reason (open() errno, not a DRM node, or
    ///         vaInitialize's status and libva's own last error line).
    VaDevice(const vtc_host &host, const std::string &path);
    /// Borrows the host's display; nothing is opened or closed.
    VaDevice(const vtc_host &host, VADisplay borrowed, std::string name);
    ~VaDevice();
    VaDevice(const VaDevice &) = delete;
    VaDevice &operator=(const VaDevice &) = delete;

    VADisplay display() const { return display_; }
    const std::string &path() const { return path_; }
    /// The driver's vendor string ("" when it has none).
    std::string vendor() const;
    /// libva's most recent error message, "" if none.
    std::string last_libva_error() const;

private:
    static void on_error(void *self, const char *message);
    static void on_info(void *self, const char *message);

    const vtc_host &host_;
    std::string path_;
    int fd_ = -1;
    VADisplay display_ = nullptr;
    bool owned_ = false;
    mutable std::mutex mutex_;
    std::string last_error_;
};

/// What the driver offers for one codec, read with vaQueryConfig* and
/// vaGetConfigAttributes (no FFmpeg involved).
struct CodecSupport {
    bool found = false;                             ///< some profile has an encode entrypoint
    VAEntrypoint entrypoint = VAEntrypointEncSlice; ///< EncSlice, else EncSliceLP
    std::vector<VAProfile> profiles;                ///< usable profiles, best first
    bool eight_bit = false;
    bool ten_bit = false;
    uint32_t rc_modes = 0;       ///< VA_RC_* set (0 when not reported: CQP only)
    uint32_t packed_headers = 0; ///< VA_ENC_PACKED_HEADER_* of the first profile
    uint32_t ref_l0 = 0;
    uint32_t ref_l1 = 0;         ///< 0: no B-frames
    uint32_t quality_levels = 0; ///< VAConfigAttribEncQualityRange; 0 = none
    uint32_t min_width = 16, min_height = 16;
    uint32_t max_width = 0, max_height = 0;
};

/// Queries @p device for @p codec (enum vtc_codec). Never throws for a
/// missing codec: `found` says it.
CodecSupport query_codec(const VaDevice &device, int32_t codec);

/// vaProfile for a vtc profile / bit depth, VAProfileNone when there is none.
VAProfile va_profile_for(int32_t codec, int32_t vtc_profile, int bit_depth);

} // namespace vtc::vaapi_plugin
