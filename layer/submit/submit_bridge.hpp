// The fences at a submit that carries foreign transfers (foreign_transfer.hpp), for devices with
// the kernel import strategy (SYNC_FD payloads and the dma-buf sync_file ioctls).
//
// Acquire: before the app's batches, the layer submits one of its own that waits for every fence
// in the acquired dma-bufs (the foreign writer's, and readers' too: the app may write) and runs a
// full pipeline barrier, so that everything later on the queue waits, not only that batch.
// Release: after the app's batches, the layer signals a SYNC_FD semaphore and adds its payload to
// each released dma-buf as a write fence, before vkQueueSubmit returns: the app may hand the
// buffer over the moment it does, and the other side must then wait for the GPU.
// Neither makes the app's thread wait for the GPU, unless the driver's SYNC_FD export itself
// blocks (bridge/export_probe.hpp); that is then the price of a correct release.
#pragma once

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include <deque>
#include <mutex>
#include <vector>

#include "dispatch/dispatch_table.hpp"
#include "submit/foreign_transfer.hpp"

namespace sb::submit {

struct QueueFamily {
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t family = 0;
};

class SubmitBridge {
  public:
    SubmitBridge(const dispatch::DeviceTable& next, VkDevice device,
                 PFN_vkSetDeviceLoaderData set_loader_data, std::vector<QueueFamily> queues);
    ~SubmitBridge();
    SubmitBridge(const SubmitBridge&) = delete;
    SubmitBridge& operator=(const SubmitBridge&) = delete;

    // Makes every later submit to `queue` wait for the fences now in the acquired dma-bufs.
    VkResult wait_for_acquired(VkQueue queue, const std::vector<Transfer>& acquires);
    // Adds the completion of everything submitted to `queue` so far to each released dma-buf,
    // as a write fence.
    VkResult fence_released(VkQueue queue, const std::vector<Transfer>& releases);

  private:
    // A semaphore for one acquire's imported payload, and the fence that says when the batch that
    // waited on it has run, so that both can serve again.
    struct WaitSlot {
        VkSemaphore semaphore = VK_NULL_HANDLE;
        VkFence fence = VK_NULL_HANDLE;
    };
    struct FamilyBarrier {
        uint32_t family = 0;
        VkCommandPool pool = VK_NULL_HANDLE;
        VkCommandBuffer commands = VK_NULL_HANDLE;
    };

    VkResult take_slot(WaitSlot* slot);
    void destroy_slot(const WaitSlot& slot);
    VkResult barrier_commands(VkQueue queue, VkCommandBuffer* commands);
    VkResult record_barrier(uint32_t family, FamilyBarrier* barrier);

    const dispatch::DeviceTable& next_;
    VkDevice device_;
    PFN_vkSetDeviceLoaderData set_loader_data_;
    const std::vector<QueueFamily> queues_;

    // The layer's objects are shared by every queue of the device.
    std::mutex mutex_;
    std::deque<WaitSlot> in_flight_;
    std::vector<WaitSlot> idle_;
    std::vector<FamilyBarrier> barriers_;
    VkSemaphore release_carrier_ = VK_NULL_HANDLE;
};

}  // namespace sb::submit
