// The compositor's zwp_linux_dmabuf_v1 global, bound on a private queue at version 4 when it has
// it (the pairs from the default feedback, tranche by tranche, with its main device) or else 3
// (the pairs from `modifier` events), and the DRM format + modifier pairs it accepts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel/result.hpp"
#include "wsi/wayland/dmabuf_feedback.hpp"
#include "wsi/wayland/linux_dmabuf.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

struct DmabufGlobal {
    // Null when the compositor has no usable zwp_linux_dmabuf_v1 (none, or older than 3).
    DmabufPtr dmabuf;
    // The highest version advertised; 0 when there is no such global.
    uint32_t advertised_version = 0;
    uint32_t bound_version = 0;
    // Each advertised pair once, in the order first seen (for feedback: most preferred tranche
    // first).
    std::vector<FormatModifier> formats;
    // Version 4: the device the compositor composites with (0 when unknown).
    dev_t main_device = 0;
    // Version 4: the default feedback's tranches as sent (for syncbridge-info's report).
    std::vector<FeedbackTranche> tranches;
};

// Finds the global with a registry on `queue`, binds it, and collects the pairs sent on bind.
// Two roundtrips, each bounded by `timeout`. A compositor without the global is no error.
kernel::Result<DmabufGlobal> bind_dmabuf(PrivateQueue& queue, std::chrono::milliseconds timeout);

// The layer's path to a compositor with linux-dmabuf bound at `bound_version` and
// `main_device` (0: not said), in words: the swapchain's info line and syncbridge-info's.
std::string describe_wayland_path(uint32_t bound_version, dev_t main_device);

}  // namespace sb::wsi::wayland
