#include "bridge/strategy.hpp"

#include <cstring>

namespace sb::bridge {
namespace {

// Why the swapchain cannot have dma-buf images, or nullptr when it can: the driver exports them,
// or imports ones the layer allocates.
const char* dma_buf_blocker(const DeviceCapabilities& caps, const KernelSupport& kernel) {
    if (caps.dma_buf_image_export) {
        return nullptr;
    }
    if (!caps.dma_buf_image_import) {
        return "the driver cannot export swapchain images as dma-bufs";
    }
    if (!kernel.can_allocate_dma_bufs) {
        return "the driver cannot export swapchain images as dma-bufs, and the kernel offers no "
               "dma-buf allocator for it to import from (dma-heap, udmabuf, DRM dumb buffers)";
    }
    return nullptr;
}

// Why kernel_import is impossible, or nullptr when it is possible.
const char* import_blocker(const DeviceCapabilities& caps, const KernelSupport& kernel) {
    if (const char* no_dma_buf = dma_buf_blocker(caps, kernel)) {
        return no_dma_buf;
    }
    if (!caps.semaphore_sync_fd_export) {
        return "the driver cannot export semaphores as sync_files (SYNC_FD)";
    }
    if (!caps.semaphore_sync_fd_import && !caps.fence_sync_fd_import) {
        return "the driver cannot import sync_files (SYNC_FD) into semaphores or fences";
    }
    switch (kernel.sync_file_ioctls) {
        case KernelSupport::SyncFileIoctls::present:
            return nullptr;
        case KernelSupport::SyncFileIoctls::absent:
            return "the kernel has no DMA_BUF_IOCTL_EXPORT/IMPORT_SYNC_FILE (Linux 6.0+)";
        case KernelSupport::SyncFileIoctls::unknown:
            return "the kernel's dma-buf sync-file ioctls could not be probed";
    }
    return "unknown";
}

const char* wait_blocker(const DeviceCapabilities& caps, const KernelSupport& kernel) {
    return dma_buf_blocker(caps, kernel);
}

}  // namespace

std::optional<Mode> parse_mode(const char* text) {
    if (text == nullptr || *text == '\0' || std::strcmp(text, "auto") == 0) {
        return Mode::automatic;
    }
    if (std::strcmp(text, "import") == 0) {
        return Mode::import;
    }
    if (std::strcmp(text, "wait") == 0) {
        return Mode::wait;
    }
    if (std::strcmp(text, "passthrough") == 0) {
        return Mode::passthrough;
    }
    return std::nullopt;
}

StrategyChoice choose_strategy(const DeviceCapabilities& caps, const KernelSupport& kernel,
                               Mode requested) {
    const char* no_import = import_blocker(caps, kernel);
    const char* no_wait = wait_blocker(caps, kernel);

    StrategyChoice choice;
    if (no_import == nullptr) {
        choice = {Strategy::kernel_import,
                  caps.dma_buf_image_export
                      ? "driver exports dma-bufs and SYNC_FD; kernel has the sync-file ioctls"
                      : "driver imports dma-bufs (the layer allocates them: " + kernel.probed_with +
                            ") and exports SYNC_FD; kernel has the sync-file ioctls",
                  false};
    } else if (no_wait == nullptr) {
        choice = {Strategy::userspace_wait, std::string("no kernel import: ") + no_import, false};
    } else {
        choice = {Strategy::passthrough, no_wait, false};
    }

    switch (requested) {
        case Mode::automatic:
            return choice;
        case Mode::passthrough:
            return {Strategy::passthrough, "SYNCBRIDGE_MODE=passthrough", false};
        case Mode::import:
            if (no_import == nullptr) {
                return {Strategy::kernel_import, "SYNCBRIDGE_MODE=import", false};
            }
            choice.reason = std::string("SYNCBRIDGE_MODE=import refused: ") + no_import +
                            "; using " + to_string(choice.strategy) + " (" + choice.reason + ")";
            choice.override_refused = true;
            return choice;
        case Mode::wait:
            if (no_wait == nullptr) {
                return {Strategy::userspace_wait, "SYNCBRIDGE_MODE=wait", false};
            }
            choice.reason = std::string("SYNCBRIDGE_MODE=wait refused: ") + no_wait + "; using " +
                            to_string(choice.strategy);
            choice.override_refused = true;
            return choice;
    }
    return choice;
}

const char* to_string(Strategy strategy) {
    switch (strategy) {
        case Strategy::kernel_import:
            return "import";
        case Strategy::userspace_wait:
            return "wait";
        case Strategy::passthrough:
            return "passthrough";
    }
    return "?";
}

const char* to_string(Mode mode) {
    switch (mode) {
        case Mode::automatic:
            return "auto";
        case Mode::import:
            return "import";
        case Mode::wait:
            return "wait";
        case Mode::passthrough:
            return "passthrough";
    }
    return "?";
}

AllocatorChoice choose_allocator(const DeviceCapabilities& caps, const KernelSupport& kernel,
                                 bool layer_requested) {
    if (!caps.dma_buf_image_export) {
        return {true, "the driver cannot export its images as dma-bufs", false};
    }
    if (!layer_requested) {
        return {false, "the driver exports its images as dma-bufs", false};
    }
    if (!caps.dma_buf_image_import || !kernel.can_allocate_dma_bufs) {
        return {false,
                "SYNCBRIDGE_MEMORY=layer refused: the driver cannot import dma-bufs or the kernel "
                "has no allocator",
                true};
    }
    return {true, "SYNCBRIDGE_MEMORY=layer", false};
}

}  // namespace sb::bridge
