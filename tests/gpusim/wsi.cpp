// lavapipe's own swapchain, for runs that pass through (vkcube over gpusim). A present is
// ordered after the submits before it on its queue; SYNC_FD payloads it waits on are waited for
// here, since lavapipe never sees those semaphores. An acquire that would signal an emulated
// semaphore or fence is done with lavapipe objects, and the emulated ones are signalled after.
#include <vector>

#include "gpusim/entry_points.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/queue.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

struct Emulated {
    std::shared_ptr<SemaphoreState> semaphore;
    std::shared_ptr<FenceState> fence;
};

Emulated find_emulated(Device& dev, VkSemaphore semaphore, VkFence fence) {
    std::lock_guard lock(dev.sync.mutex);
    Emulated out;
    if (auto s = dev.sync.semaphore(semaphore); s != nullptr && s->emulated) {
        out.semaphore = std::move(s);
    }
    if (auto f = dev.sync.fence(fence); f != nullptr && f->emulated) {
        out.fence = std::move(f);
    }
    return out;
}

// `acquire(semaphore, fence)` calls lavapipe. The emulated objects are replaced by nothing (the
// semaphore) or a fence of gpusim's, whose signal then becomes theirs.
template <typename Acquire>
VkResult acquire_for_emulated(Device& dev, const Emulated& emulated, VkSemaphore semaphore,
                              VkFence fence, Acquire&& acquire) {
    VkFence driver_fence = emulated.fence == nullptr ? fence : VK_NULL_HANDLE;
    VkFence own_fence = VK_NULL_HANDLE;
    if (driver_fence == VK_NULL_HANDLE) {
        VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        if (const VkResult r = dev.next.CreateFence(dev.handle, &info, dev.alloc.get(), &own_fence);
            r != VK_SUCCESS) {
            return r;
        }
        driver_fence = own_fence;
    }
    VkResult r = acquire(emulated.semaphore != nullptr ? VK_NULL_HANDLE : semaphore, driver_fence);
    if (r == VK_SUCCESS || r == VK_SUBOPTIMAL_KHR) {
        // The image is the app's once lavapipe signals; lavapipe's WSI does that right away.
        const VkResult w =
            dev.next.WaitForFences(dev.handle, 1, &driver_fence, VK_TRUE, UINT64_MAX);
        if (w != VK_SUCCESS) {
            r = w;
        } else {
            std::lock_guard lock(dev.sync.mutex);
            auto signalled = std::make_shared<const kernel::SyncFile>();
            if (emulated.semaphore != nullptr) {
                emulated.semaphore->temporary.reset();
                emulated.semaphore->payload = signalled;
            }
            if (emulated.fence != nullptr) {
                emulated.fence->temporary.reset();
                emulated.fence->payload = signalled;
            }
        }
        dev.sync.progress.notify_all();
    }
    if (own_fence != VK_NULL_HANDLE) {
        dev.next.DestroyFence(dev.handle, own_fence, dev.alloc.get());
    }
    return r;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL QueuePresentKHR(VkQueue queue,
                                               const VkPresentInfoKHR* info) noexcept {
    return guarded("vkQueuePresentKHR", [&]() -> VkResult {
        Device* dev = device_of(queue);
        SimQueue* q = dev->queue(queue);
        if (q == nullptr) {
            return dev->next.QueuePresentKHR(queue, info);
        }
        q->wait_handed_off();
        if (dev->lost) {
            return VK_ERROR_DEVICE_LOST;
        }
        std::vector<VkSemaphore> kept;
        std::vector<Payload> payloads;
        {
            std::unique_lock lock(dev->sync.mutex);
            for (uint32_t i = 0; i < info->waitSemaphoreCount; ++i) {
                auto state = dev->sync.semaphore(info->pWaitSemaphores[i]);
                if (state != nullptr && state->temporary) {
                    payloads.push_back(std::move(state->temporary));
                } else if (state != nullptr && state->emulated) {
                    if (state->payload) {
                        payloads.push_back(std::move(state->payload));
                    }
                } else {
                    // Signalled by a submit on another queue: lavapipe must have that first.
                    const uint64_t target = state != nullptr ? state->signals_queued : 0;
                    dev->sync.progress.wait(
                        lock, [&] { return state == nullptr || state->signals_handed >= target; });
                    kept.push_back(info->pWaitSemaphores[i]);
                }
            }
        }
        // A present has no timeout; a vgem fence signals within vgem's own 10 s at the latest.
        for (const auto& payload : payloads) {
            if (wait_payload(*payload, Clock::time_point::max()) != VK_SUCCESS) {
                return VK_ERROR_DEVICE_LOST;
            }
        }
        VkPresentInfoKHR modified = *info;
        modified.waitSemaphoreCount = static_cast<uint32_t>(kept.size());
        modified.pWaitSemaphores = kept.data();
        std::lock_guard lock(q->driver_mutex());
        return dev->next.QueuePresentKHR(queue, &modified);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain,
                                                   uint64_t timeout, VkSemaphore semaphore,
                                                   VkFence fence, uint32_t* index) noexcept {
    return guarded("vkAcquireNextImageKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        const Emulated emulated = find_emulated(*dev, semaphore, fence);
        if (emulated.semaphore == nullptr && emulated.fence == nullptr) {
            return dev->next.AcquireNextImageKHR(device, swapchain, timeout, semaphore, fence,
                                                 index);
        }
        return acquire_for_emulated(
            *dev, emulated, semaphore, fence, [&](VkSemaphore s, VkFence f) {
                return dev->next.AcquireNextImageKHR(device, swapchain, timeout, s, f, index);
            });
    });
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImage2KHR(VkDevice device,
                                                    const VkAcquireNextImageInfoKHR* info,
                                                    uint32_t* index) noexcept {
    return guarded("vkAcquireNextImage2KHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        const Emulated emulated = find_emulated(*dev, info->semaphore, info->fence);
        if (emulated.semaphore == nullptr && emulated.fence == nullptr) {
            return dev->next.AcquireNextImage2KHR(device, info, index);
        }
        return acquire_for_emulated(
            *dev, emulated, info->semaphore, info->fence, [&](VkSemaphore s, VkFence f) {
                VkAcquireNextImageInfoKHR modified = *info;
                modified.semaphore = s;
                modified.fence = f;
                return dev->next.AcquireNextImage2KHR(device, &modified, index);
            });
    });
}

}  // namespace sb::gpusim
