// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// TODO(#4): libvtranscode's engine (issue 3) and plugin registry (issue 2) are not on this
// branch yet. Until they are merged, this build says so plainly: the inventory lists no
// encoder, so /ready answers 503 ("encoder_available": false) and the dispatcher claims
// nothing; a transcode, should one be asked for, fails with Errc::unsupported.
#include "runner/engine_transcoder.hpp"

namespace vtc::host {

namespace {

class MissingEngineTranscoder final : public Transcoder {
public:
    Result<TranscodeOutcome> transcode(const TranscodeRequest &, const TranscodeProgressFn &,
                                       std::stop_token) override {
        return fail(Errc::unsupported, "transcode", "",
                    "this vtranscode-worker build has no transcoding engine");
    }
};

class EmptyInventory final : public EncoderInventory {
public:
    std::vector<EncoderStatus> encoders() const override { return {}; }
};

} // namespace

std::unique_ptr<Transcoder> make_engine_transcoder(const Config &, Logger logger) {
    logger.log(LogLevel::warning, "engine",
               "this build has no transcoding engine yet: no jobs will be claimed");
    return std::make_unique<MissingEngineTranscoder>();
}

std::unique_ptr<EncoderInventory> make_engine_inventory(const Config &, Logger) {
    return std::make_unique<EmptyInventory>();
}

} // namespace vtc::host
