// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: GPL-2.0-or-later

// The emulated oneVPL runtime, driven through the real dispatcher: it is found,
// and it refuses the misuse a GPU runtime refuses, so plugin bugs of that kind
// cannot pass the QSV tests unnoticed. The VA display comes from the emulated
// VA driver (FAKE_VA_NODE names its render node).
#include <vpl/mfx.h>

#include <va/va.h>
#include <va/va_drm.h>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

mfxVariant u32(mfxU32 value) {
    mfxVariant variant{};
    variant.Version.Version = MFX_VARIANT_VERSION;
    variant.Type = MFX_VARIANT_TYPE_U32;
    variant.Data.U32 = value;
    return variant;
}

// A VA display on the emulated render node; initialised on request.
struct Display {
    int fd = -1;
    VADisplay display = nullptr;
    bool initialised = false;

    explicit Display(bool initialise) {
        const char *node = std::getenv("FAKE_VA_NODE");
        REQUIRE(node != nullptr);
        fd = open(node, O_RDWR | O_CLOEXEC);
        REQUIRE(fd >= 0);
        display = vaGetDisplayDRM(fd);
        REQUIRE(display != nullptr);
        vaSetInfoCallback(display, nullptr, nullptr);
        if (initialise) {
            int major = 0;
            int minor = 0;
            REQUIRE(vaInitialize(display, &major, &minor) == VA_STATUS_SUCCESS);
            initialised = true;
        }
    }
    ~Display() {
        if (display != nullptr) {
            vaTerminate(display);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
};

// A session on the emulated runtime, through the dispatcher.
struct Session {
    mfxLoader loader = MFXLoad();
    mfxSession session = nullptr;

    Session() {
        REQUIRE(loader != nullptr);
        mfxConfig config = MFXCreateConfig(loader);
        REQUIRE(MFXSetConfigFilterProperty(
                    config, reinterpret_cast<const mfxU8 *>("mfxImplDescription.ImplName"), [] {
                        mfxVariant v{};
                        v.Version.Version = MFX_VARIANT_VERSION;
                        v.Type = MFX_VARIANT_TYPE_PTR;
                        v.Data.Ptr = const_cast<char *>("fake-vpl-gpu");
                        return v;
                    }()) == MFX_ERR_NONE);
        mfxConfig hw = MFXCreateConfig(loader);
        REQUIRE(MFXSetConfigFilterProperty(
                    hw, reinterpret_cast<const mfxU8 *>("mfxImplDescription.Impl"),
                    u32(MFX_IMPL_TYPE_HARDWARE)) == MFX_ERR_NONE);
        REQUIRE(MFXCreateSession(loader, 0, &session) == MFX_ERR_NONE);
    }
    ~Session() {
        if (session != nullptr) {
            MFXClose(session);
        }
        MFXUnload(loader);
    }
};

mfxVideoParam h264_params() {
    mfxVideoParam par{};
    par.IOPattern = MFX_IOPATTERN_IN_SYSTEM_MEMORY;
    par.AsyncDepth = 1;
    par.mfx.CodecId = MFX_CODEC_AVC;
    par.mfx.TargetUsage = MFX_TARGETUSAGE_BALANCED;
    par.mfx.RateControlMethod = MFX_RATECONTROL_CQP;
    par.mfx.QPI = par.mfx.QPP = par.mfx.QPB = 26;
    par.mfx.GopRefDist = 1;
    mfxFrameInfo &info = par.mfx.FrameInfo;
    info.FourCC = MFX_FOURCC_NV12;
    info.ChromaFormat = MFX_CHROMAFORMAT_YUV420;
    info.PicStruct = MFX_PICSTRUCT_PROGRESSIVE;
    info.Width = 64;
    info.Height = 64;
    info.CropW = 64;
    info.CropH = 64;
    info.FrameRateExtN = 30;
    info.FrameRateExtD = 1;
    return par;
}

} // namespace

TEST_CASE("the dispatcher finds the emulated runtime: hardware, VA-API, API 2.0") {
    mfxLoader loader = MFXLoad();
    REQUIRE(loader != nullptr);
    bool found = false;
    mfxHDL handle = nullptr;
    for (mfxU32 i = 0;
         MFXEnumImplementations(loader, i, MFX_IMPLCAPS_IMPLDESCSTRUCTURE, &handle) == MFX_ERR_NONE;
         ++i) {
        const auto *desc = static_cast<const mfxImplDescription *>(handle);
        if (std::string(desc->ImplName) == "fake-vpl-gpu") {
            found = true;
            CHECK(desc->Impl == MFX_IMPL_TYPE_HARDWARE);
            CHECK(desc->AccelerationMode == MFX_ACCEL_MODE_VIA_VAAPI);
            CHECK(desc->ApiVersion.Major == 2);
            CHECK(desc->Enc.NumCodecs == 3);
        }
        MFXDispReleaseImplDescription(loader, handle);
    }
    CHECK(found);
    MFXUnload(loader);
}

TEST_CASE("ENCODE_Init needs an initialised VA display, as a Linux GPU runtime does") {
    {
        Session s;
        mfxVideoParam par = h264_params();
        CHECK(MFXVideoENCODE_Init(s.session, &par) == MFX_ERR_NOT_INITIALIZED);
    }
    {
        Session s;
        Display uninitialised(false);
        CHECK(MFXVideoCORE_SetHandle(s.session, MFX_HANDLE_VA_DISPLAY, uninitialised.display) ==
              MFX_ERR_INVALID_HANDLE);
    }
    Session s;
    Display display(true);
    REQUIRE(MFXVideoCORE_SetHandle(s.session, MFX_HANDLE_VA_DISPLAY, display.display) ==
            MFX_ERR_NONE);
    mfxVideoParam par = h264_params();
    CHECK(MFXVideoENCODE_Init(s.session, &par) == MFX_ERR_NONE);
    CHECK(MFXVideoENCODE_Init(s.session, &par) == MFX_ERR_UNDEFINED_BEHAVIOR);
}

TEST_CASE("bad parameters and ext buffers are refused") {
    Display display(true);
    auto init = [&](mfxVideoParam par) {
        Session s;
        REQUIRE(MFXVideoCORE_SetHandle(s.session, MFX_HANDLE_VA_DISPLAY, display.display) ==
                MFX_ERR_NONE);
        return MFXVideoENCODE_Init(s.session, &par);
    };
    mfxVideoParam par = h264_params();
    par.mfx.FrameInfo.Width = 72; // not a multiple of 16
    CHECK(init(par) == MFX_ERR_INVALID_VIDEO_PARAM);
    par = h264_params();
    par.mfx.RateControlMethod = MFX_RATECONTROL_QVBR; // without mfxExtCodingOption3
    par.mfx.TargetKbps = par.mfx.MaxKbps = 1000;
    CHECK(init(par) == MFX_ERR_INVALID_VIDEO_PARAM);
    mfxExtCodingOption3 co3{};
    co3.Header.BufferId = MFX_EXTBUFF_CODING_OPTION3;
    co3.Header.BufferSz = sizeof co3 - 4; // a struct from another API version
    co3.QVBRQuality = 23;
    mfxExtBuffer *ext[] = {&co3.Header};
    par.ExtParam = ext;
    par.NumExtParam = 1;
    CHECK(init(par) == MFX_ERR_INVALID_VIDEO_PARAM);
    co3.Header.BufferSz = sizeof co3;
    CHECK(init(par) == MFX_ERR_NONE);
    par = h264_params();
    par.IOPattern = MFX_IOPATTERN_IN_VIDEO_MEMORY; // no allocator was set
    CHECK(init(par) == MFX_ERR_INVALID_VIDEO_PARAM);
}

TEST_CASE("surfaces must be unmapped, bitstreams big enough, and output is synced") {
    Display display(true);
    Session s;
    REQUIRE(MFXVideoCORE_SetHandle(s.session, MFX_HANDLE_VA_DISPLAY, display.display) ==
            MFX_ERR_NONE);
    mfxVideoParam par = h264_params();
    REQUIRE(MFXVideoENCODE_Init(s.session, &par) == MFX_ERR_NONE);
    mfxVideoParam actual{};
    REQUIRE(MFXVideoENCODE_GetVideoParam(s.session, &actual) == MFX_ERR_NONE);
    const size_t room = size_t{actual.mfx.BufferSizeInKB} * 1000;
    REQUIRE(room > 0);

    mfxFrameSurface1 *surface = nullptr;
    REQUIRE(MFXMemory_GetSurfaceForEncode(s.session, &surface) == MFX_ERR_NONE);
    REQUIRE(surface->FrameInterface->Map(surface, MFX_MAP_WRITE) == MFX_ERR_NONE);
    CHECK(surface->FrameInterface->Map(surface, MFX_MAP_WRITE) == MFX_ERR_LOCK_MEMORY);
    std::memset(surface->Data.Y, 128, 64 * 64);
    std::memset(surface->Data.UV, 128, 64 * 32);
    std::vector<mfxU8> small(room / 2);
    std::vector<mfxU8> data(room);
    mfxBitstream bs{};
    bs.Data = data.data();
    bs.MaxLength = static_cast<mfxU32>(data.size());
    mfxSyncPoint sync = nullptr;
    CHECK(MFXVideoENCODE_EncodeFrameAsync(s.session, nullptr, surface, &bs, &sync) ==
          MFX_ERR_LOCK_MEMORY);
    REQUIRE(surface->FrameInterface->Unmap(surface) == MFX_ERR_NONE);
    CHECK(surface->Data.Y == nullptr); // pointers die with the mapping

    mfxBitstream too_small{};
    too_small.Data = small.data();
    too_small.MaxLength = static_cast<mfxU32>(small.size());
    CHECK(MFXVideoENCODE_EncodeFrameAsync(s.session, nullptr, surface, &too_small, &sync) ==
          MFX_ERR_NOT_ENOUGH_BUFFER);

    mfxEncodeCtrl ctrl{};
    ctrl.FrameType = MFX_FRAMETYPE_IDR; // IDR without I
    CHECK(MFXVideoENCODE_EncodeFrameAsync(s.session, &ctrl, surface, &bs, &sync) ==
          MFX_ERR_INVALID_VIDEO_PARAM);
    ctrl.FrameType = MFX_FRAMETYPE_I | MFX_FRAMETYPE_IDR | MFX_FRAMETYPE_REF;
    REQUIRE(MFXVideoENCODE_EncodeFrameAsync(s.session, &ctrl, surface, &bs, &sync) == MFX_ERR_NONE);
    REQUIRE(sync != nullptr);
    CHECK(bs.DataLength == 0); // nothing until SyncOperation
    REQUIRE(MFXVideoCORE_SyncOperation(s.session, sync, 1000) == MFX_ERR_NONE);
    CHECK(bs.DataLength > 0);
    CHECK((bs.FrameType & MFX_FRAMETYPE_IDR) != 0);
    CHECK(MFXVideoCORE_SyncOperation(s.session, sync, 1000) == MFX_ERR_NULL_PTR); // once only
    REQUIRE(surface->FrameInterface->Release(surface) == MFX_ERR_NONE);
    CHECK(surface->FrameInterface->Release(surface) == MFX_ERR_UNDEFINED_BEHAVIOR);
}
