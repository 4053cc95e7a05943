// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// The NVIDIA driver as this plugin sees it: libcuda.so.1 and
// libnvidia-encode.so.1 loaded at run time through nv-codec-headers'
// dynlink_loader.h (so the module links no NVIDIA library and loads on any
// machine), one CUDA context per encoder, and NVENC sessions on it. Every
// failure becomes a vtc::sdk::Error with the status the ABI asks for and a
// one-line reason.
#pragma once

#include <vtranscode/plugin/vtc_plugin_sdk.hpp>

#include <ffnvcodec/dynlink_cuda.h>
#include <ffnvcodec/nvEncodeAPI.h>

#include <cstdint>
#include <string>

// ffnvcodec's loader tables; defined in dynlink_loader.h, which only
// nvenc_driver.cpp includes (it defines static functions and a logging hook).
struct CudaFunctions;
struct NvencFunctions;

namespace vtc::nvenc_plugin {

/// The two NVIDIA libraries and the NVENC entry points, loaded once per
/// process and never unloaded (a driver library may keep threads alive).
struct Driver {
    CudaFunctions *cuda = nullptr;
    NvencFunctions *nvenc = nullptr;
    NV_ENCODE_API_FUNCTION_LIST api{};
    /// NvEncodeAPIGetMaxSupportedVersion(): (major << 4) | minor.
    uint32_t max_api_version = 0;
};

/// Loads the libraries and checks the driver's NVENC API version on the first
/// call; later calls return the same result.
/// @throws vtc::sdk::Error VTC_ERR_NO_DEVICE naming the missing library, or a
///         driver older than the headers this plugin was built with.
/// Thread-safe.
const Driver &driver();

/// A CUDA context of its own on one device, created in the constructor and
/// destroyed in the destructor. Not current on any thread between calls: use
/// ContextScope around driver calls.
class CudaContext {
public:
    /// @param ordinal  CUDA device ordinal (vtc_encoder_config::device).
    /// @throws vtc::sdk::Error VTC_ERR_NO_DEVICE (cuInit failed, no such
    ///         device) or VTC_ERR_INTERNAL (context creation failed).
    CudaContext(const Driver &driver, int ordinal);
    ~CudaContext();
    CudaContext(const CudaContext &) = delete;
    CudaContext &operator=(const CudaContext &) = delete;

    CUcontext get() const noexcept { return context_; }
    int ordinal() const noexcept { return ordinal_; }
    /// "CUDA device 0 (NVIDIA GeForce RTX 4070)", for messages.
    const std::string &label() const noexcept { return label_; }
    /// cuDeviceGetName's answer ("NVIDIA GeForce RTX 4070"); empty if none.
    const std::string &device_name() const noexcept { return device_name_; }

private:
    const Driver &driver_;
    CUcontext context_ = nullptr;
    int ordinal_ = 0;
    std::string label_;
    std::string device_name_;
};

/// Makes a context current on this thread for the scope (push/pop), because
/// the host may call one encoder from different threads in turn.
class ContextScope {
public:
    ContextScope(const Driver &driver, const CudaContext &context);
    ~ContextScope();
    ContextScope(const ContextScope &) = delete;
    ContextScope &operator=(const ContextScope &) = delete;

private:
    const Driver &driver_;
    bool pushed_ = false;
};

/// One NVENC session (nvEncOpenEncodeSessionEx on a CUDA context), destroyed
/// with nvEncDestroyEncoder.
class Session {
public:
    /// @throws vtc::sdk::Error VTC_ERR_DEVICE_BUSY when the driver refuses
    ///         another session (the consumer-card session limit answers
    ///         NV_ENC_ERR_OUT_OF_MEMORY or NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY),
    ///         VTC_ERR_NO_DEVICE when the device has no NVENC engine,
    ///         VTC_ERR_INTERNAL otherwise.
    Session(const Driver &driver, const CudaContext &context);
    ~Session();
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    void *get() const noexcept { return encoder_; }

private:
    const Driver &driver_;
    const CudaContext &context_;
    void *encoder_ = nullptr;
};

/// Parses vtc_encoder_config::device: NULL or "" is 0, otherwise a decimal
/// CUDA ordinal. @throws vtc::sdk::Error VTC_ERR_INVALID_ARG for anything else.
int parse_device_ordinal(const char *device);

/// "NV_ENC_ERR_INVALID_PARAM" for a status.
const char *nvenc_status_name(NVENCSTATUS status) noexcept;

/// Throws vtc::sdk::Error for a failed NVENC call made mid-stream: the device
/// statuses become VTC_ERR_DEVICE_LOST, out of memory VTC_ERR_NO_MEMORY,
/// parameter refusals VTC_ERR_UNSUPPORTED, the rest VTC_ERR_INTERNAL. The
/// message names the call, the status and the driver's own last error text.
[[noreturn]] void fail_nvenc(const Driver &driver, void *encoder, NVENCSTATUS status,
                             const std::string &call);

} // namespace vtc::nvenc_plugin
