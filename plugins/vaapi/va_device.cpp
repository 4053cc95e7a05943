// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "va_device.hpp"

#include <va/va_drm.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vtc::vaapi_plugin {

using sdk::fail;

std::string default_device() {
    const char *env = std::getenv("VTC_VAAPI_DEVICE");
    return env != nullptr && *env != '\0' ? env : "/dev/dri/renderD128";
}

namespace {

std::string trim_line(const char *message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

} // namespace

void VaDevice::on_error(void *context, const char *message) {
    auto *self = static_cast<VaDevice *>(context);
    const std::string line = trim_line(message);
    {
        const std::lock_guard lock(self->mutex_);
        self->last_error_ = line;
    }
    sdk::log(&self->host_, VTC_LOG_DEBUG, "libva: " + line);
}

void VaDevice::on_info(void *context, const char *message) {
    auto *self = static_cast<VaDevice *>(context);
    sdk::log(&self->host_, VTC_LOG_TRACE, "libva: " + trim_line(message));
}

VaDevice::VaDevice(const vtc_host &host, const std::string &path) : host_(host), path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
        fail(VTC_ERR_NO_DEVICE,
             "VA-API device " + path + ": cannot open it (" + std::strerror(errno) + ")");
    }
    display_ = vaGetDisplayDRM(fd_);
    if (display_ == nullptr) {
        close(fd_);
        fail(VTC_ERR_NO_DEVICE,
             "VA-API device " + path + " is not a DRM render node (vaGetDisplayDRM refused it)");
    }
    // Before vaInitialize: libva prints to stderr unless told otherwise, and
    // plugins never write there.
    vaSetErrorCallback(display_, &VaDevice::on_error, this);
    vaSetInfoCallback(display_, &VaDevice::on_info, this);
    int major = 0;
    int minor = 0;
    const VAStatus status = vaInitialize(display_, &major, &minor);
    if (status != VA_STATUS_SUCCESS) {
        std::string reason = "VA-API device " + path +
                             ": vaInitialize failed: " + vaErrorStr(status) +
                             " (no usable VA driver";
        const std::string libva = last_libva_error();
        reason += libva.empty() ? ")" : "; libva: " + libva + ")";
        vaTerminate(display_);
        close(fd_);
        fail(VTC_ERR_NO_DEVICE, reason);
    }
    owned_ = true;
}

VaDevice::VaDevice(const vtc_host &host, VADisplay borrowed, std::string name)
    : host_(host), path_(std::move(name)), display_(borrowed) {}

VaDevice::~VaDevice() {
    if (owned_) {
        vaTerminate(display_);
        close(fd_);
    }
}

std::string VaDevice::vendor() const {
    const char *text = vaQueryVendorString(display_);
    return text != nullptr ? text : "";
}

std::string VaDevice::last_libva_error() const {
    const std::lock_guard lock(mutex_);
    return last_error_;
}

VAProfile va_profile_for(int32_t codec, int32_t vtc_profile, int bit_depth) {
    switch (vtc_profile) {
    case VTC_PROFILE_H264_BASELINE:
        return VAProfileH264ConstrainedBaseline;
    case VTC_PROFILE_H264_MAIN:
        return VAProfileH264Main;
    case VTC_PROFILE_H264_HIGH:
        return VAProfileH264High;
    case VTC_PROFILE_HEVC_MAIN:
        return VAProfileHEVCMain;
    case VTC_PROFILE_HEVC_MAIN10:
        return VAProfileHEVCMain10;
    case VTC_PROFILE_AV1_MAIN:
        return VAProfileAV1Profile0;
    default:
        break;
    }
    switch (codec) {
    case VTC_CODEC_H264:
        return bit_depth == 8 ? VAProfileH264High : VAProfileNone;
    case VTC_CODEC_HEVC:
        return bit_depth == 8 ? VAProfileHEVCMain : VAProfileHEVCMain10;
    case VTC_CODEC_AV1:
        return VAProfileAV1Profile0;
    default:
        return VAProfileNone;
    }
}

CodecSupport query_codec(const VaDevice &device, int32_t codec) {
    CodecSupport out;
    VADisplay dpy = device.display();
    std::vector<VAProfile> offered(static_cast<size_t>(std::max(vaMaxNumProfiles(dpy), 1)));
    int count = 0;
    if (vaQueryConfigProfiles(dpy, offered.data(), &count) != VA_STATUS_SUCCESS) {
        return out;
    }
    offered.resize(static_cast<size_t>(std::max(count, 0)));
    // Best first: FFmpeg picks among these the same way (by depth and profile).
    std::vector<VAProfile> wanted;
    switch (codec) {
    case VTC_CODEC_H264:
        wanted = {VAProfileH264High, VAProfileH264Main, VAProfileH264ConstrainedBaseline};
        break;
    case VTC_CODEC_HEVC:
        wanted = {VAProfileHEVCMain, VAProfileHEVCMain10};
        break;
    case VTC_CODEC_AV1:
        wanted = {VAProfileAV1Profile0};
        break;
    default:
        return out;
    }
    std::vector<VAEntrypoint> entrypoints(
        static_cast<size_t>(std::max(vaMaxNumEntrypoints(dpy), 1)));
    bool have_slice = false;
    bool have_lp = false;
    for (VAProfile profile : wanted) {
        if (std::find(offered.begin(), offered.end(), profile) == offered.end()) {
            continue;
        }
        int n = 0;
        if (vaQueryConfigEntrypoints(dpy, profile, entrypoints.data(), &n) != VA_STATUS_SUCCESS) {
            continue;
        }
        const auto end = entrypoints.begin() + std::max(n, 0);
        const bool slice = std::find(entrypoints.begin(), end, VAEntrypointEncSlice) != end;
        const bool lp = std::find(entrypoints.begin(), end, VAEntrypointEncSliceLP) != end;
        if (slice || lp) {
            out.profiles.push_back(profile);
            have_slice |= slice;
            have_lp |= lp;
        }
    }
    if (out.profiles.empty()) {
        return out;
    }
    out.found = true;
    out.entrypoint = have_slice ? VAEntrypointEncSlice : VAEntrypointEncSliceLP;
    (void)have_lp;

    for (VAProfile profile : out.profiles) {
        VAConfigAttrib rt{VAConfigAttribRTFormat, 0};
        if (vaGetConfigAttributes(dpy, profile, out.entrypoint, &rt, 1) != VA_STATUS_SUCCESS ||
            rt.value == VA_ATTRIB_NOT_SUPPORTED) {
            continue;
        }
        const bool ten_bit_profile = profile == VAProfileHEVCMain10;
        if ((rt.value & VA_RT_FORMAT_YUV420) != 0 && !ten_bit_profile) {
            out.eight_bit = true;
        }
        if ((rt.value & VA_RT_FORMAT_YUV420_10) != 0 &&
            (ten_bit_profile || profile == VAProfileAV1Profile0)) {
            out.ten_bit = true;
        }
    }

    const VAProfile first = out.profiles.front();
    VAConfigAttrib attrs[] = {
        {VAConfigAttribRateControl, 0},     {VAConfigAttribEncPackedHeaders, 0},
        {VAConfigAttribEncMaxRefFrames, 0}, {VAConfigAttribEncQualityRange, 0},
        {VAConfigAttribMaxPictureWidth, 0}, {VAConfigAttribMaxPictureHeight, 0},
    };
    if (vaGetConfigAttributes(dpy, first, out.entrypoint, attrs, 6) == VA_STATUS_SUCCESS) {
        auto value = [](const VAConfigAttrib &a) {
            return a.value == VA_ATTRIB_NOT_SUPPORTED ? 0u : a.value;
        };
        out.rc_modes = attrs[0].value == VA_ATTRIB_NOT_SUPPORTED ? VA_RC_CQP : attrs[0].value;
        out.packed_headers = value(attrs[1]);
        out.ref_l0 = value(attrs[2]) & 0xffff;
        out.ref_l1 = (value(attrs[2]) >> 16) & 0xffff;
        out.quality_levels = value(attrs[3]);
        out.max_width = value(attrs[4]);
        out.max_height = value(attrs[5]);
    }

    // The surface limits of a real config are the honest maximum size.
    VAConfigID config = VA_INVALID_ID;
    if (vaCreateConfig(dpy, first, out.entrypoint, nullptr, 0, &config) == VA_STATUS_SUCCESS) {
        unsigned int n = 0;
        if (vaQuerySurfaceAttributes(dpy, config, nullptr, &n) == VA_STATUS_SUCCESS && n > 0) {
            std::vector<VASurfaceAttrib> list(n);
            if (vaQuerySurfaceAttributes(dpy, config, list.data(), &n) == VA_STATUS_SUCCESS) {
                for (unsigned int i = 0; i < n; ++i) {
                    const auto v = static_cast<uint32_t>(list[i].value.value.i);
                    switch (list[i].type) {
                    case VASurfaceAttribMinWidth:
                        out.min_width = std::max(v, 1u);
                        break;
                    case VASurfaceAttribMinHeight:
                        out.min_height = std::max(v, 1u);
                        break;
                    case VASurfaceAttribMaxWidth:
                        out.max_width = out.max_width != 0 ? std::min(out.max_width, v) : v;
                        break;
                    case VASurfaceAttribMaxHeight:
                        out.max_height = out.max_height != 0 ? std::min(out.max_height, v) : v;
                        break;
                    default:
                        break;
                    }
                }
            }
        }
        vaDestroyConfig(dpy, config);
    }
    return out;
}

} // namespace vtc::vaapi_plugin
