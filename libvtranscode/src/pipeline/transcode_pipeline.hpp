// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

// One transcode job, start to end: probe, decode once, fan out to one
// scaler+encoder thread per rendition, encode audio once per bit rate, package,
// and write the playlists last.
//
//   source thread:  demux -> video decode (frame threads) -> rotate -> queue per rendition
//                         -> audio decode -> resample ----------------> audio queue
//                         -> stream copy --------------------------------> original packager
//   rendition threads (one each): scale -> encoder plugin -> rendition packager
//   audio thread:   AAC encoder per distinct bit rate -> packagers of that bit rate
//   calling thread: progress, cancellation, then playlists, DASH manifest, master.
//
// Every queue is bounded, so memory does not grow with the length of the video.
// Segment boundaries are decided once, in the source thread, and travel with the
// frames as a forced-keyframe flag: all renditions cut at the same frames.
#pragma once

#include <vtranscode/engine.hpp>

namespace vtc::detail {

Result<TranscodeResult> run_transcode(const EncoderRegistry &registry, const Logger &logger,
                                      const TranscodeJob &job, const ProgressCallback &progress,
                                      const CancellationToken *cancel);

} // namespace vtc::detail
