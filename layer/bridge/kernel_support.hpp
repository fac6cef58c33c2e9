// What this process's kernel offers the bridge, probed once: can fences move in and out of
// dma-bufs (Linux 6.0+), and which dma-buf source the probe could use to find out.
#pragma once

#include <string>

#include "kernel/probe.hpp"

namespace sb::bridge {

struct KernelSupport {
    enum class SyncFileIoctls { present, absent, unknown };
    SyncFileIoctls sync_file_ioctls = SyncFileIoctls::unknown;
    // The layer can allocate dma-bufs itself (kernel/dma_buf_allocator.hpp): drivers that only
    // import dma-bufs can still be bridged.
    bool can_allocate_dma_bufs = false;
    std::string probed_with;  // e.g. "/dev/dri/card0 (vgem) dumb buffer", or why nothing could be
};

// Probes once per process (thread-safe) and returns the cached answer afterwards.
const KernelSupport& kernel_support();

// The probe itself, uncached: makes a small dma-buf from the first source that works
// (/dev/dma_heap/system, /dev/udmabuf, a DRM dumb buffer) and asks it.
KernelSupport probe_kernel_support();

const char* to_string(KernelSupport::SyncFileIoctls value);

}  // namespace sb::bridge
