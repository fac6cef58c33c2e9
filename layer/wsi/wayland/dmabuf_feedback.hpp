// zwp_linux_dmabuf_v1 version 4 feedback: the compositor's main device and, per tranche in order
// of preference, the format + modifier pairs it takes (from the shared format table). Versions
// 4 and later send no `modifier` events: this is the only way to learn the pairs there.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "kernel/result.hpp"
#include "wsi/wayland/linux_dmabuf.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

struct FeedbackTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;  // ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT
    std::vector<FormatModifier> formats;
};

struct DmabufFeedback {
    dev_t main_device = 0;                  // the device the compositor composites with
    std::vector<FeedbackTranche> tranches;  // most preferred first
};

// The default feedback of `dmabuf` (bound at version 4 or later on `queue`): one roundtrip.
// EPROTO when the compositor sends an unusable table (unmappable, an index past its end).
kernel::Result<DmabufFeedback> read_default_feedback(zwp_linux_dmabuf_v1* dmabuf,
                                                     PrivateQueue& queue,
                                                     std::chrono::milliseconds timeout);

}  // namespace sb::wsi::wayland
