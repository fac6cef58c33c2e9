// The fences at a submit that carries foreign transfers (foreign_transfer.hpp), on every device
// that bridges (the import and the wait strategy).
//
// Acquire: before the app's batches, the layer submits one of its own that waits for every fence
// in the acquired dma-bufs (the foreign writer's, and readers' too: the app may write) and runs a
// full pipeline barrier, so that everything later on the queue waits, not only that batch. That
// needs SYNC_FD import and the kernel's EXPORT_SYNC_FILE; without them the app's thread waits in
// userspace (poll on the dma-buf) before the submit, only while the other side still works.
// Release: before vkQueueSubmit returns, each released dma-buf gets a write fence that signals
// when the app's batches are done: the app may hand the buffer over the moment it returns, and
// the other side must then wait for the GPU.
//  - exported: a driver whose SYNC_FD export returns at once signals an exportable semaphore
//    after the app's batches, and its payload is the fence.
//  - deferred: a driver without SYNC_FD, or whose export waits for the GPU (lavapipe 25): the
//    fence is a vgem fence the layer owns (kernel/vgem.hpp), imported into the dma-buf; the
//    layer's thread waits for a VkFence submitted after the app's batches and then signals it.
//    vkQueueSubmit does not wait. Without vgem (a machine that never loaded the module) or the
//    kernel's IMPORT_SYNC_FILE there is no such fence to give: the app's thread waits for the
//    batches, the price of a correct release (logged once). vgem signals its fences itself after
//    10 s: a batch that runs longer is seen early by the other side.
#pragma once

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "bridge/hand_over_thread.hpp"
#include "dispatch/dispatch_table.hpp"
#include "kernel/vgem.hpp"
#include "submit/foreign_transfer.hpp"

namespace sb::submit {

struct QueueFamily {
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t family = 0;
};

// What the device can do at a transfer (see the top of this file).
struct TransferPaths {
    bool gpu_waits_for_acquires = true;  // SYNC_FD import and EXPORT_SYNC_FILE: else the CPU waits
    bool export_releases = true;         // a SYNC_FD export that does not block: else deferred
};

class SubmitBridge {
  public:
    SubmitBridge(const dispatch::DeviceTable& next, VkDevice device,
                 PFN_vkSetDeviceLoaderData set_loader_data, std::vector<QueueFamily> queues,
                 TransferPaths paths);
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

    // A deferred release: the VkFence after the app's batches, the vgem fence in the dma-bufs.
    struct DeferredSlot {
        VkFence fence = VK_NULL_HANDLE;
        uint32_t vgem_fence = 0;
        bool busy = false;
    };

    VkResult export_release_fence(VkQueue queue, const std::vector<Transfer>& releases);
    VkResult defer_release_fence(VkQueue queue, const std::vector<Transfer>& releases);
    VkResult take_deferred_slot(uint32_t* index);
    bool start_deferred_releases();
    void finish_deferred(uint32_t index, bridge::HandOverOutcome outcome);
    VkResult wait_on_app_thread(VkFence fence);
    VkResult take_slot(WaitSlot* slot);
    void destroy_slot(const WaitSlot& slot);
    VkResult barrier_commands(VkQueue queue, VkCommandBuffer* commands);
    VkResult record_barrier(uint32_t family, FamilyBarrier* barrier);

    const dispatch::DeviceTable& next_;
    VkDevice device_;
    PFN_vkSetDeviceLoaderData set_loader_data_;
    const std::vector<QueueFamily> queues_;
    const TransferPaths paths_;

    // The layer's objects are shared by every queue of the device.
    std::mutex mutex_;
    std::deque<WaitSlot> in_flight_;
    std::vector<WaitSlot> idle_;
    std::vector<FamilyBarrier> barriers_;
    VkSemaphore release_carrier_ = VK_NULL_HANDLE;

    // Deferred releases: made at the first one. deferred_tried_ says the fence source and the
    // thread were looked for; without either, releases wait on the app's thread.
    bool deferred_tried_ = false;
    std::optional<kernel::Vgem> vgem_;
    std::vector<DeferredSlot> deferred_;
    std::unique_ptr<bridge::HandOverThread> releaser_;  // last of these: it calls finish_deferred
};

}  // namespace sb::submit
