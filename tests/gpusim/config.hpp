// gpusim's switches, read from the environment once per VkInstance (so that a test can change
// them between instances). See README.md.
#pragma once

#include <cstdint>
#include <string>

namespace sb::gpusim {

struct Config {
    bool sync_fd = true;      // GPUSIM_SYNC_FD=0: no SYNC_FD semaphores or fences
    bool dma_buf = true;      // GPUSIM_DMA_BUF=0: no dma-buf memory, no DRM format modifiers
    uint32_t latency_ms = 8;  // GPUSIM_LATENCY_MS: delay before a submit reaches lavapipe
    uint32_t jitter_ms = 0;   // GPUSIM_JITTER_MS: plus a uniform random 0..jitter
    uint64_t seed = 1;        // GPUSIM_SEED: for the jitter
    // GPUSIM_BLOCKING_EXPORT=1: SYNC_FD exports wait for the work first, as lavapipe 25's do.
    bool blocking_export = false;
    // GPUSIM_DMA_BUF_EXPORT=0: dma-buf memory can be imported but not exported (the Mali case).
    bool dma_buf_export = true;
    // GPUSIM_MEMORY_DEVICE=/dev/dri/cardN: dma-buf memory is that device's (its dumb buffers),
    // as a discrete GPU's memory is its own, instead of vgem's. Empty: vgem.
    std::string memory_device;
    // GPUSIM_DEVICE_LOST_AFTER=N: the device is lost at the (N+1)th submit on it, the layer's
    // own included: that submit and every later call that reports it give VK_ERROR_DEVICE_LOST,
    // while the work already submitted still finishes (as after a GPU reset). 0: never.
    uint64_t device_lost_after = 0;
};

Config read_config();

// What this gpusim instance offers on top of lavapipe: the switches, and vgem to back them.
struct Offer {
    bool dma_buf = false;  // VK_EXT_external_memory_dma_buf, VK_EXT_image_drm_format_modifier
    bool dma_buf_export = false;  // ... and dma-buf memory is exportable, not only importable
    bool sync_fd = false;  // VK_KHR_external_semaphore_fd, VK_KHR_external_fence_fd (SYNC_FD)
    // VK_EXT_physical_device_drm names this DRM device (GPUSIM_MEMORY_DEVICE, when dma-buf
    // memory is on it: a GPU is the device its memory lives on). Empty: not offered.
    std::string drm_device;
};

Offer make_offer(const Config& config, bool have_vgem);

}  // namespace sb::gpusim
