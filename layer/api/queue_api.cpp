// Queue commands of devices whose swapchains submit to a queue of the app's (the wait strategy's
// acquire signal, swapchain.cpp): Vulkan queues are externally synchronised, so the app's use of
// that one queue and the layer's are serialised here. Every other queue goes straight through.
#include <mutex>

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

}  // namespace

bool needs_queue_serialisation(const DeviceData& dev) {
    return dev.strategy == bridge::Strategy::userspace_wait;
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue queue, uint32_t count,
                                           const VkSubmitInfo* submits, VkFence fence) {
    DeviceData* dev = device_data(queue);
    return serialised(*dev, queue,
                      [&] { return dev->next.QueueSubmit(queue, count, submits, fence); });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit2(VkQueue queue, uint32_t count,
                                            const VkSubmitInfo2* submits, VkFence fence) {
    DeviceData* dev = device_data(queue);
    // The core and KHR names share a signature; the driver's table has whichever it exposes.
    auto next =
        dev->next.QueueSubmit2 != nullptr ? dev->next.QueueSubmit2 : dev->next.QueueSubmit2KHR;
    return serialised(*dev, queue, [&] { return next(queue, count, submits, fence); });
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
