// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
#include "nvenc_driver.hpp"

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace vtc::nvenc_plugin {
namespace {
// dynlink_loader.h prints its failures to stderr unless told otherwise, and a
// plugin must never write there: its messages are collected here instead and
// end up in the error text.
void collect_loader_message(void *context, const char *format, ...) {
    auto *text = static_cast<std::string *>(context);
    char line[256];
    va_list args;
    va_start(args, format);
    const int length = std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (text != nullptr && length > 0) {
        std::string message(line);
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
            message.pop_back();
        }
        *text = message;
    }
}
} // namespace
} // namespace vtc::nvenc_plugin

#define FFNV_LOG_FUNC(logctx, msg, ...)                                                            \
    ::vtc::nvenc_plugin::collect_loader_message((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...)
#include <ffnvcodec/dynlink_loader.h>

namespace vtc::nvenc_plugin {

using vtc::sdk::fail;

namespace {

// CUresult values the reduced enum of dynlink_cuda.h does not name (CUDA
// driver API, cuda.h).
constexpr int kCudaErrorNoDevice = 100;
constexpr int kCudaErrorInvalidDevice = 101;

std::string cuda_error_text(const Driver &driver, CUresult result) {
    const char *name = nullptr;
    if (driver.cuda->cuGetErrorName(result, &name) != CUDA_SUCCESS || name == nullptr) {
        return "CUDA error " + std::to_string(static_cast<int>(result));
    }
    return name;
}

struct LoadResult {
    Driver driver;
    vtc_status status = VTC_OK;
    std::string error;
};

LoadResult load() {
    LoadResult out;
    std::string message;
    // The encode library first: it is the one that decides "no NVENC here".
    if (nvenc_load_functions(&out.driver.nvenc, &message) != 0) {
        out.status = VTC_ERR_NO_DEVICE;
        out.error = message.find("Cannot load libnvidia-encode") != std::string::npos
                        ? "libnvidia-encode.so.1 not found: no NVIDIA driver"
                        : "libnvidia-encode.so.1 is unusable (" + message + ")";
        return out;
    }
    message.clear();
    if (cuda_load_functions(&out.driver.cuda, &message) != 0) {
        out.status = VTC_ERR_NO_DEVICE;
        out.error = message.find("Cannot load libcuda") != std::string::npos
                        ? "libcuda.so.1 not found: no NVIDIA driver"
                        : "libcuda.so.1 is unusable (" + message + ")";
        return out;
    }
    uint32_t max_version = 0;
    if (out.driver.nvenc->NvEncodeAPIGetMaxSupportedVersion(&max_version) != NV_ENC_SUCCESS) {
        out.status = VTC_ERR_NO_DEVICE;
        out.error = "NvEncodeAPIGetMaxSupportedVersion failed: the NVIDIA driver is unusable";
        return out;
    }
    out.driver.max_api_version = max_version;
    constexpr uint32_t kNeeded = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
    if (max_version < kNeeded) {
        out.status = VTC_ERR_NO_DEVICE;
        out.error = "the NVIDIA driver supports NVENC API " + std::to_string(max_version >> 4) +
                    "." + std::to_string(max_version & 0xf) + " but this plugin needs " +
                    std::to_string(NVENCAPI_MAJOR_VERSION) + "." +
                    std::to_string(NVENCAPI_MINOR_VERSION) + ": update the driver";
        return out;
    }
    out.driver.api.version = NV_ENCODE_API_FUNCTION_LIST_VER;
    const NVENCSTATUS created = out.driver.nvenc->NvEncodeAPICreateInstance(&out.driver.api);
    if (created != NV_ENC_SUCCESS) {
        out.status = VTC_ERR_NO_DEVICE;
        out.error = std::string("NvEncodeAPICreateInstance failed: ") + nvenc_status_name(created);
    }
    return out;
}

} // namespace

const Driver &driver() {
    // Loaded once: the answer cannot change while the process runs, and the
    // libraries stay loaded (unloading a driver library is not safe).
    static const LoadResult loaded = load();
    if (loaded.status != VTC_OK) {
        fail(loaded.status, loaded.error);
    }
    return loaded.driver;
}

int parse_device_ordinal(const char *device) {
    if (device == nullptr || *device == '\0') {
        return 0;
    }
    const std::string text(device);
    if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) {
        fail(VTC_ERR_INVALID_ARG,
             "device '" + text + "' is not a CUDA device ordinal (expected \"0\", \"1\", ...)");
    }
    return std::stoi(text);
}

CudaContext::CudaContext(const Driver &driver, int ordinal) : driver_(driver), ordinal_(ordinal) {
    label_ = "CUDA device " + std::to_string(ordinal);
    CUresult result = driver_.cuda->cuInit(0);
    if (result != CUDA_SUCCESS) {
        fail(VTC_ERR_NO_DEVICE,
             "cuInit failed (" + cuda_error_text(driver_, result) + "): no usable NVIDIA GPU");
    }
    int count = 0;
    result = driver_.cuda->cuDeviceGetCount(&count);
    if (result != CUDA_SUCCESS || count <= 0) {
        fail(VTC_ERR_NO_DEVICE, "no CUDA device found");
    }
    if (ordinal >= count) {
        fail(VTC_ERR_NO_DEVICE, label_ + " does not exist (" + std::to_string(count) + " device" +
                                    (count == 1 ? "" : "s") + " present)");
    }
    CUdevice device = 0;
    result = driver_.cuda->cuDeviceGet(&device, ordinal);
    if (result != CUDA_SUCCESS) {
        fail(static_cast<int>(result) == kCudaErrorInvalidDevice ||
                     static_cast<int>(result) == kCudaErrorNoDevice
                 ? VTC_ERR_NO_DEVICE
                 : VTC_ERR_INTERNAL,
             "cuDeviceGet(" + std::to_string(ordinal) +
                 ") failed: " + cuda_error_text(driver_, result));
    }
    char name[128] = {};
    if (driver_.cuda->cuDeviceGetName(name, sizeof name - 1, device) == CUDA_SUCCESS &&
        name[0] != '\0') {
        device_name_ = name;
        label_ += " (" + device_name_ + ")";
    }
    result = driver_.cuda->cuCtxCreate(&context_, 0, device);
    if (result != CUDA_SUCCESS) {
        context_ = nullptr;
        fail(VTC_ERR_INTERNAL,
             "cuCtxCreate on " + label_ + " failed: " + cuda_error_text(driver_, result));
    }
    // cuCtxCreate leaves the new context current; it is pushed again around
    // each use, so this thread must not keep it.
    CUcontext popped = nullptr;
    driver_.cuda->cuCtxPopCurrent(&popped);
}

CudaContext::~CudaContext() {
    if (context_ != nullptr) {
        driver_.cuda->cuCtxDestroy(context_);
    }
}

ContextScope::ContextScope(const Driver &driver, const CudaContext &context) : driver_(driver) {
    const CUresult result = driver_.cuda->cuCtxPushCurrent(context.get());
    if (result != CUDA_SUCCESS) {
        fail(VTC_ERR_DEVICE_LOST, "cuCtxPushCurrent on " + context.label() +
                                      " failed: " + cuda_error_text(driver_, result));
    }
    pushed_ = true;
}

ContextScope::~ContextScope() {
    if (pushed_) {
        CUcontext popped = nullptr;
        driver_.cuda->cuCtxPopCurrent(&popped);
    }
}

Session::Session(const Driver &driver, const CudaContext &context)
    : driver_(driver), context_(context) {
    const ContextScope scope(driver_, context_);
    NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params{};
    params.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
    params.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
    params.device = context_.get();
    params.apiVersion = NVENCAPI_VERSION;
    void *encoder = nullptr;
    const NVENCSTATUS status = driver_.api.nvEncOpenEncodeSessionEx(&params, &encoder);
    if (status == NV_ENC_SUCCESS && encoder != nullptr) {
        encoder_ = encoder;
        return;
    }
    // A failed open may still hand back a handle that must be released.
    if (encoder != nullptr) {
        driver_.api.nvEncDestroyEncoder(encoder);
    }
    switch (status) {
    case NV_ENC_ERR_OUT_OF_MEMORY:
    case NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY:
        // What the driver answers when its concurrent-session limit is
        // reached (GeForce cards allow only a few sessions per system).
        fail(VTC_ERR_DEVICE_BUSY, "no free NVENC session on " + context_.label() +
                                      ": the driver's concurrent encode session limit is "
                                      "reached (" +
                                      nvenc_status_name(status) + ")");
    case NV_ENC_ERR_NO_ENCODE_DEVICE:
    case NV_ENC_ERR_UNSUPPORTED_DEVICE:
    case NV_ENC_ERR_INVALID_DEVICE:
    case NV_ENC_ERR_DEVICE_NOT_EXIST:
        fail(VTC_ERR_NO_DEVICE,
             context_.label() + " has no usable NVENC engine (" + nvenc_status_name(status) + ")");
    default:
        fail(VTC_ERR_INTERNAL, std::string("nvEncOpenEncodeSessionEx on ") + context_.label() +
                                   " failed: " + nvenc_status_name(status));
    }
}

Session::~Session() {
    if (encoder_ != nullptr) {
        try {
            const ContextScope scope(driver_, context_);
            driver_.api.nvEncDestroyEncoder(encoder_);
        } catch (...) {
            // The context is gone (device lost): the driver released the
            // session with it.
        }
    }
}

const char *nvenc_status_name(NVENCSTATUS status) noexcept {
    switch (status) {
    case NV_ENC_SUCCESS:
        return "NV_ENC_SUCCESS";
    case NV_ENC_ERR_NO_ENCODE_DEVICE:
        return "NV_ENC_ERR_NO_ENCODE_DEVICE";
    case NV_ENC_ERR_UNSUPPORTED_DEVICE:
        return "NV_ENC_ERR_UNSUPPORTED_DEVICE";
    case NV_ENC_ERR_INVALID_ENCODERDEVICE:
        return "NV_ENC_ERR_INVALID_ENCODERDEVICE";
    case NV_ENC_ERR_INVALID_DEVICE:
        return "NV_ENC_ERR_INVALID_DEVICE";
    case NV_ENC_ERR_DEVICE_NOT_EXIST:
        return "NV_ENC_ERR_DEVICE_NOT_EXIST";
    case NV_ENC_ERR_INVALID_PTR:
        return "NV_ENC_ERR_INVALID_PTR";
    case NV_ENC_ERR_INVALID_EVENT:
        return "NV_ENC_ERR_INVALID_EVENT";
    case NV_ENC_ERR_INVALID_PARAM:
        return "NV_ENC_ERR_INVALID_PARAM";
    case NV_ENC_ERR_INVALID_CALL:
        return "NV_ENC_ERR_INVALID_CALL";
    case NV_ENC_ERR_OUT_OF_MEMORY:
        return "NV_ENC_ERR_OUT_OF_MEMORY";
    case NV_ENC_ERR_ENCODER_NOT_INITIALIZED:
        return "NV_ENC_ERR_ENCODER_NOT_INITIALIZED";
    case NV_ENC_ERR_UNSUPPORTED_PARAM:
        return "NV_ENC_ERR_UNSUPPORTED_PARAM";
    case NV_ENC_ERR_LOCK_BUSY:
        return "NV_ENC_ERR_LOCK_BUSY";
    case NV_ENC_ERR_NOT_ENOUGH_BUFFER:
        return "NV_ENC_ERR_NOT_ENOUGH_BUFFER";
    case NV_ENC_ERR_INVALID_VERSION:
        return "NV_ENC_ERR_INVALID_VERSION";
    case NV_ENC_ERR_MAP_FAILED:
        return "NV_ENC_ERR_MAP_FAILED";
    case NV_ENC_ERR_NEED_MORE_INPUT:
        return "NV_ENC_ERR_NEED_MORE_INPUT";
    case NV_ENC_ERR_ENCODER_BUSY:
        return "NV_ENC_ERR_ENCODER_BUSY";
    case NV_ENC_ERR_EVENT_NOT_REGISTERD:
        return "NV_ENC_ERR_EVENT_NOT_REGISTERD";
    case NV_ENC_ERR_GENERIC:
        return "NV_ENC_ERR_GENERIC";
    case NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY:
        return "NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY";
    case NV_ENC_ERR_UNIMPLEMENTED:
        return "NV_ENC_ERR_UNIMPLEMENTED";
    case NV_ENC_ERR_RESOURCE_REGISTER_FAILED:
        return "NV_ENC_ERR_RESOURCE_REGISTER_FAILED";
    case NV_ENC_ERR_RESOURCE_NOT_REGISTERED:
        return "NV_ENC_ERR_RESOURCE_NOT_REGISTERED";
    case NV_ENC_ERR_RESOURCE_NOT_MAPPED:
        return "NV_ENC_ERR_RESOURCE_NOT_MAPPED";
    default:
        return "NV_ENC_ERR (unknown status)";
    }
}

void fail_nvenc(const Driver &driver, void *encoder, NVENCSTATUS status, const std::string &call) {
    std::string message = call + " failed: " + nvenc_status_name(status);
    if (encoder != nullptr && driver.api.nvEncGetLastErrorString != nullptr) {
        const char *detail = driver.api.nvEncGetLastErrorString(encoder);
        if (detail != nullptr && *detail != '\0') {
            message += " (" + std::string(detail) + ")";
        }
    }
    switch (status) {
    case NV_ENC_ERR_DEVICE_NOT_EXIST:
    case NV_ENC_ERR_INVALID_DEVICE:
    case NV_ENC_ERR_NO_ENCODE_DEVICE:
        fail(VTC_ERR_DEVICE_LOST, "the NVIDIA device was lost: " + message);
    case NV_ENC_ERR_OUT_OF_MEMORY:
        fail(VTC_ERR_NO_MEMORY, message);
    case NV_ENC_ERR_UNSUPPORTED_PARAM:
    case NV_ENC_ERR_INVALID_PARAM:
        fail(VTC_ERR_UNSUPPORTED, message);
    default:
        fail(VTC_ERR_INTERNAL, message);
    }
}

} // namespace vtc::nvenc_plugin
