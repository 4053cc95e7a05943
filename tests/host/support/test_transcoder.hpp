// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file test_transcoder.hpp
/// @brief TEST-ONLY transcoder and encoder inventory. It writes a small, valid-looking §5.8
///        layout (TS packets starting with 0x47, fMP4 boxes with the right magic, playlists,
///        a JPEG header) after a configurable delay, honouring cancellation. It never
///        decodes anything. The shipped vtranscode-worker refuses to use it.
#pragma once

#include "runner/encoder_inventory.hpp"
#include "runner/transcoder.hpp"

#include <atomic>
#include <chrono>
#include <functional>

namespace vtc::host::test {

struct TestTranscoderOptions {
    std::chrono::milliseconds duration{300}; ///< wall time the fake encode takes
    int source_height = 480;                 ///< decides the ladder (VLog presets ≤ height)
    int segments = 2;                        ///< segments per rendition
    bool ignore_cancel = false;              ///< for tests of a stuck engine
    /// Runs after every file is written, before a successful transcode returns: lets a
    /// test look at what happened while the "encode" was still running.
    std::function<void()> before_return;
    /// Reads VTC_TEST_TRANSCODER_MS / _HEIGHT / _SEGMENTS from the environment.
    static TestTranscoderOptions from_env();
};

class TestTranscoder final : public Transcoder {
public:
    explicit TestTranscoder(TestTranscoderOptions options) : options_(options) {}
    Result<TranscodeOutcome> transcode(const TranscodeRequest &request,
                                       const TranscodeProgressFn &progress,
                                       std::stop_token cancel) override;
    int calls() const { return calls_.load(); }

private:
    TestTranscoderOptions options_;
    std::atomic<int> calls_{0};
};

/// One usable software encoder per codec.
class TestInventory final : public EncoderInventory {
public:
    std::vector<EncoderStatus> encoders() const override;
};

} // namespace vtc::host::test
