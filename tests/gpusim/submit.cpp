// vkQueueSubmit / vkQueueSubmit2 / vkQueueBindSparse and the idle waits.
//
// At submit time, on the app's thread, gpusim copies each batch into a queue item and decides
// who handles each semaphore and the fence (see sync.hpp): waits on SYNC_FD payloads become
// payloads the queue thread polls, signals of emulated semaphores and fences become pending vgem
// fences, made here so that vkGetSemaphoreFdKHR right after the submit already has them. The rest
// goes to lavapipe when the queue thread hands the item over. Each batch is its own item, so a
// batch can wait for a SYNC_FD payload an earlier batch of the same submit signals.
#include <vector>

#include "gpusim/entry_points.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/queue.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

using PendingFences = std::vector<test::PendingFence>;

// Under dev.sync.mutex: one vgem fence per emulated semaphore signalled, and one for an emulated
// fence.
size_t vgem_fences_needed(const Device& dev, const std::vector<QueueItem>& items, VkFence fence) {
    size_t n = 0;
    for (const auto& item : items) {
        if (!item.batch) {
            continue;
        }
        for (const auto& op : item.batch->signals) {
            auto state = dev.sync.semaphore(op.semaphore);
            n += state != nullptr && state->emulated ? 1 : 0;
        }
    }
    auto state = fence != VK_NULL_HANDLE ? dev.sync.fence(fence) : nullptr;
    return n + (state != nullptr && state->emulated ? 1 : 0);
}

VkResult make_vgem_fences(Device& dev, size_t n, PendingFences& out) {
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        auto fence = dev.vgem->pending_sync_file();
        if (!fence) {
            GPUSIM_LOG(error, "vkQueueSubmit: %s", fence.error().describe().c_str());
            for (const auto& made : out) {
                (void)dev.vgem->signal(made.fence_id);
            }
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        out.push_back(std::move(fence).value());
    }
    return VK_SUCCESS;
}

Payload take_pending(QueueItem& item, PendingFences::iterator& pending) {
    item.vgem_fences.push_back(pending->fence_id);
    auto payload = std::make_shared<const kernel::SyncFile>(std::move(pending->file));
    ++pending;
    return payload;
}

// Under dev.sync.mutex, from here on nothing fails but allocation.
void commit_waits(Device& dev, QueueItem& item) {
    std::vector<SemaphoreOp> kept;
    for (const auto& op : item.batch->waits) {
        auto state = dev.sync.semaphore(op.semaphore);
        if (state != nullptr && !state->timeline) {
            // A wait consumes a temporary payload, else an emulated semaphore's payload.
            if (state->temporary) {
                item.wait_payloads.push_back(std::move(state->temporary));
                continue;
            }
            if (state->emulated) {
                if (state->payload) {
                    item.wait_payloads.push_back(std::move(state->payload));
                } else {
                    GPUSIM_LOG_ONCE(warn,
                                    "a submit waits on a SYNC_FD semaphore that has no "
                                    "signal pending (ignored)");
                }
                continue;
            }
            item.wait_handed.emplace_back(state, state->signals_queued);
        }
        kept.push_back(op);
    }
    item.batch->waits = std::move(kept);
}

void commit_signals(Device& dev, QueueItem& item, PendingFences::iterator& pending) {
    std::vector<SemaphoreOp> kept;
    for (const auto& op : item.batch->signals) {
        auto state = dev.sync.semaphore(op.semaphore);
        if (state != nullptr && state->emulated) {
            state->temporary.reset();
            state->payload = take_pending(item, pending);
            continue;
        }
        if (state != nullptr && !state->timeline) {
            ++state->signals_queued;
            item.plain_signals.push_back(state);
        }
        kept.push_back(op);
    }
    item.batch->signals = std::move(kept);
}

void commit_fence(Device& dev, QueueItem& item, VkFence fence, PendingFences::iterator& pending) {
    if (fence == VK_NULL_HANDLE) {
        return;
    }
    auto state = dev.sync.fence(fence);
    if (state != nullptr) {
        // A submit gives the fence a new payload; an imported one is gone.
        state->temporary.reset();
        if (state->emulated) {
            state->payload = take_pending(item, pending);
            return;
        }
        ++state->queued;
        item.fence_state = state;
    }
    item.fence = fence;
}

VkResult enqueue(Device& dev, SimQueue& queue, std::vector<QueueItem>& items, VkFence fence) {
    const Clock::time_point due = dev.due_time();
    for (auto& item : items) {
        item.due = due;
    }
    {
        std::lock_guard lock(dev.sync.mutex);
        PendingFences pending;
        if (const size_t n = vgem_fences_needed(dev, items, fence); n != 0) {
            if (const VkResult r = make_vgem_fences(dev, n, pending); r != VK_SUCCESS) {
                return r;
            }
        }
        auto next = pending.begin();
        for (auto& item : items) {
            if (item.batch) {
                commit_waits(dev, item);
                commit_signals(dev, item, next);
            }
        }
        commit_fence(dev, items.back(), fence, next);
    }
    dev.sync.progress.notify_all();
    queue.push(items);
    return VK_SUCCESS;
}

template <typename Info>
VkResult submit(const char* what, VkQueue queue, uint32_t count, const Info* infos, VkFence fence,
                QueueItem::Api api) {
    Device* dev = device_of(queue);
    SimQueue* q = dev->queue(queue);
    if (q == nullptr) {
        GPUSIM_LOG(error, "%s: a queue gpusim did not see created", what);
        return VK_ERROR_UNKNOWN;
    }
    if (dev->lost) {
        return VK_ERROR_DEVICE_LOST;
    }
    if (const uint64_t after = dev->config.device_lost_after;
        after != 0 && dev->submits.fetch_add(1) + 1 > after) {
        GPUSIM_LOG(warn, "%s: the device is lost (GPUSIM_DEVICE_LOST_AFTER=%llu)", what,
                   static_cast<unsigned long long>(after));
        dev->lost = true;
        return VK_ERROR_DEVICE_LOST;
    }
    std::vector<QueueItem> items(count != 0 ? count : 1);
    for (uint32_t i = 0; i < count; ++i) {
        items[i].api = api;
        if (!items[i].batch.emplace().copy_from(infos[i])) {
            GPUSIM_LOG(error, "%s: a structure in pNext that gpusim cannot copy", what);
            return VK_ERROR_UNKNOWN;
        }
    }
    return enqueue(*dev, *q, items, fence);
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit(VkQueue queue, uint32_t count,
                                           const VkSubmitInfo* submits, VkFence fence) noexcept {
    return guarded("vkQueueSubmit", [&] {
        return submit("vkQueueSubmit", queue, count, submits, fence, QueueItem::Api::submit);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueSubmit2(VkQueue queue, uint32_t count,
                                            const VkSubmitInfo2* submits, VkFence fence) noexcept {
    return guarded("vkQueueSubmit2", [&] {
        return submit("vkQueueSubmit2", queue, count, submits, fence, QueueItem::Api::submit2);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueBindSparse(VkQueue queue, uint32_t count,
                                               const VkBindSparseInfo* infos,
                                               VkFence fence) noexcept {
    return guarded("vkQueueBindSparse", [&]() -> VkResult {
        for (uint32_t i = 0; i < count; ++i) {
            if (infos[i].bufferBindCount != 0 || infos[i].imageOpaqueBindCount != 0 ||
                infos[i].imageBindCount != 0) {
                // lavapipe has no sparse binding (and no queue family says otherwise).
                GPUSIM_LOG(error, "vkQueueBindSparse: no sparse binding on this device");
                return VK_ERROR_FEATURE_NOT_PRESENT;
            }
        }
        // Only semaphores and a fence: the same as a submit without command buffers.
        return submit("vkQueueBindSparse", queue, count, infos, fence, QueueItem::Api::submit);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL QueueWaitIdle(VkQueue queue) noexcept {
    return guarded("vkQueueWaitIdle", [&]() -> VkResult {
        Device* dev = device_of(queue);
        SimQueue* q = dev->queue(queue);
        if (q == nullptr) {
            return dev->next.QueueWaitIdle(queue);
        }
        q->wait_retired();
        if (dev->lost) {
            return VK_ERROR_DEVICE_LOST;
        }
        std::lock_guard lock(q->driver_mutex());
        return dev->next.QueueWaitIdle(queue);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL DeviceWaitIdle(VkDevice device) noexcept {
    return guarded("vkDeviceWaitIdle", [&]() -> VkResult {
        Device* dev = device_of(device);
        for (SimQueue* q : dev->queues) {
            q->wait_retired();
        }
        if (dev->lost) {
            return VK_ERROR_DEVICE_LOST;
        }
        // Vulkan: vkDeviceWaitIdle needs every queue of the device externally synchronised.
        std::vector<std::unique_lock<std::mutex>> locks;
        locks.reserve(dev->queues.size());
        for (SimQueue* q : dev->queues) {
            locks.emplace_back(q->driver_mutex());
        }
        return dev->next.DeviceWaitIdle(device);
    });
}

}  // namespace sb::gpusim
