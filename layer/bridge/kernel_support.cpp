#include "bridge/kernel_support.hpp"

#include "kernel/dma_buf_allocator.hpp"
#include "util/log.hpp"

namespace sb::bridge {
namespace {

constexpr size_t kProbeSize = 4096;

}  // namespace

KernelSupport probe_kernel_support() {
    KernelSupport out;
    auto allocation = kernel::allocate_dma_buf(kProbeSize);
    if (!allocation) {
        out.probed_with = "no dma-buf source (no dma-heap, udmabuf or DRM dumb buffers)";
        return out;
    }
    out.probed_with = allocation->source;
    out.can_allocate_dma_bufs = true;
    auto answer = kernel::probe_sync_file_ioctls(allocation->buffer);
    if (!answer) {
        SB_LOG(warn, "sync-file ioctl probe failed: %s", answer.error().describe().c_str());
        return out;
    }
    out.sync_file_ioctls = *answer == kernel::SyncFileIoctls::present
                               ? KernelSupport::SyncFileIoctls::present
                               : KernelSupport::SyncFileIoctls::absent;
    return out;
}

const KernelSupport& kernel_support() {
    static const KernelSupport support = probe_kernel_support();
    return support;
}

const char* to_string(KernelSupport::SyncFileIoctls value) {
    switch (value) {
        case KernelSupport::SyncFileIoctls::present:
            return "present";
        case KernelSupport::SyncFileIoctls::absent:
            return "absent";
        case KernelSupport::SyncFileIoctls::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace sb::bridge
