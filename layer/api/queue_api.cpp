// Queue commands of two kinds of device.
// Devices whose swapchains submit to a queue of the app's (the wait strategy's acquire signal,
// swapchain.cpp): Vulkan queues are externally synchronised, so the app's use of that one queue
// and the layer's are serialised here. Every other queue goes straight through.
// Devices that bridge foreign transfers (layer/submit): a submit whose command buffers release
// dma-buf memory to, or acquire it from, VK_QUEUE_FAMILY_FOREIGN_EXT / EXTERNAL gets the layer's
// waits and fences around it.
#include <mutex>
#include <vector>

#include "api/entry_points.hpp"
#include "api/state.hpp"

namespace sb::api {
namespace {

// Runs `call` holding the device's internal-queue lock when `queue` is that queue.
template <typename Call>
VkResult serialised(DeviceData& dev, VkQueue queue, Call call) {
    if (queue != dev.internal_queue) {
        return call();
    }
    std::lock_guard lock(dev.internal_queue_mutex);
    return call();
}

struct Transfers {
    std::vector<submit::Transfer> acquires;
    std::vector<submit::Transfer> releases;
    [[nodiscard]] bool empty() const { return acquires.empty() && releases.empty(); }
};

// The acquires' waits go in before the app's batches, the releases' fences after them, so that
// each covers the whole submit (the barriers may sit in any of its batches).
template <typename Call>
VkResult submit_with_transfers(DeviceData& dev, VkQueue queue, const Transfers& transfers,
                               Call call) {
    submit::SubmitBridge& bridge = dev.transfers->bridge;
    if (!transfers.acquires.empty()) {
        if (VkResult r = bridge.wait_for_acquired(queue, transfers.acquires); r != VK_SUCCESS) {
            return r;
        }
    }
    if (VkResult r = call(); r != VK_SUCCESS) {
        return r;
    }
    if (!transfers.releases.empty()) {
        return bridge.fence_released(queue, transfers.releases);
    }
    return VK_SUCCESS;
}

// The app's submit and the layer's batches around it, all under the internal queue's lock when
// `queue` is that queue (the layer submits to it from vkAcquireNextImageKHR too).
template <typename Call>
VkResult with_transfers(DeviceData& dev, VkQueue queue, const Transfers& transfers, Call call) {
    return serialised(dev, queue, [&] {
        return transfers.empty() ? call() : submit_with_transfers(dev, queue, transfers, call);
    });
}

}  // namespace

bool needs_queue_intercepts(const DeviceData& dev) {
    return dev.strategy == bridge::Strategy::userspace_wait || dev.transfers != nullptr;
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue queue, uint32_t count,
                                           const VkSubmitInfo* submits, VkFence fence) {
    DeviceData* dev = device_data(queue);
    auto call = [&] { return dev->next.QueueSubmit(queue, count, submits, fence); };
    if (!dev->transfers || dev->transfers->log.empty()) {
        return serialised(*dev, queue, call);
    }
    Transfers transfers;
    for (uint32_t i = 0; i < count; ++i) {
        for (uint32_t j = 0; j < submits[i].commandBufferCount; ++j) {
            dev->transfers->log.collect(submits[i].pCommandBuffers[j], &transfers.acquires,
                                        &transfers.releases);
        }
    }
    return with_transfers(*dev, queue, transfers, call);
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit2(VkQueue queue, uint32_t count,
                                            const VkSubmitInfo2* submits, VkFence fence) {
    DeviceData* dev = device_data(queue);
    // The core and KHR names share a signature; the driver's table has whichever it exposes.
    auto next =
        dev->next.QueueSubmit2 != nullptr ? dev->next.QueueSubmit2 : dev->next.QueueSubmit2KHR;
    auto call = [&] { return next(queue, count, submits, fence); };
    if (!dev->transfers || dev->transfers->log.empty()) {
        return serialised(*dev, queue, call);
    }
    Transfers transfers;
    for (uint32_t i = 0; i < count; ++i) {
        for (uint32_t j = 0; j < submits[i].commandBufferInfoCount; ++j) {
            dev->transfers->log.collect(submits[i].pCommandBufferInfos[j].commandBuffer,
                                        &transfers.acquires, &transfers.releases);
        }
    }
    return with_transfers(*dev, queue, transfers, call);
}

VKAPI_ATTR VkResult VKAPI_CALL QueueBindSparse(VkQueue queue, uint32_t count,
                                               const VkBindSparseInfo* binds, VkFence fence) {
    DeviceData* dev = device_data(queue);
    return serialised(*dev, queue,
                      [&] { return dev->next.QueueBindSparse(queue, count, binds, fence); });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueWaitIdle(VkQueue queue) {
    DeviceData* dev = device_data(queue);
    return serialised(*dev, queue, [&] { return dev->next.QueueWaitIdle(queue); });
}

}  // namespace sb::api
