// SPDX-FileCopyrightText: vtranscode authors
// SPDX-License-Identifier: LGPL-2.1-or-later

/// @file job_runner.hpp
/// @brief One claimed job from start to end: download, transcode, upload, complete,
///        verify; or fail, or stop quietly when the job is lost or handed back.
#pragma once

#include "api/api_client.hpp"
#include "config/config.hpp"
#include "runner/encoder_inventory.hpp"
#include "runner/transcoder.hpp"
#include "server/metrics.hpp"
#include "util/logging.hpp"

#include <stop_token>

namespace vtc::host {

enum class JobOutcome {
    completed,   ///< complete accepted (verified or not)
    failed,      ///< reported with a fail call
    lost,        ///< the server took the job back; no fail call
    handed_back, ///< shutdown: stopped without a fail call, the lease lapses
    unknown      ///< complete could not be delivered; the lease lapses if it never landed
};

std::string_view to_string(JobOutcome outcome) noexcept;

/// Signals from the process to a running job.
struct ShutdownSignals {
    std::stop_token graceful;  ///< SIGTERM/SIGINT: finish within the grace period or hand back
    std::stop_token immediate; ///< a second signal: hand back now
};

class JobRunner {
public:
    /// Every reference must outlive the runner.
    JobRunner(const Config &config, ApiClient &api, Transcoder &transcoder,
              const EncoderInventory &inventory, Metrics &metrics, const LogHub &logs);

    /// Runs `job` to its end; never throws. Blocks the calling thread.
    JobOutcome run(const ClaimedJob &job, const ShutdownSignals &signals);

private:
    const Config &config_;
    ApiClient &api_;
    Transcoder &transcoder_;
    const EncoderInventory &inventory_;
    Metrics &metrics_;
    const LogHub &logs_;
};

} // namespace vtc::host
