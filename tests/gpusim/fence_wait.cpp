// Host waits on fences. A fence whose submit is still queued inside gpusim is unsignalled, even
// though lavapipe has not heard of that submit yet: waits sleep on the device's progress
// condition until gpusim hands the submit over, then wait in lavapipe for the rest of the time.
// Emulated fences and imported payloads are sync_files, waited on with poll. Every wait ends by
// its deadline.
#include <algorithm>
#include <vector>

#include "gpusim/entry_points.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

// How long a wait-any sleeps between looks at fences it cannot sleep on together.
constexpr auto kPollInterval = std::chrono::milliseconds(1);

// Where a fence's payload is right now.
struct FenceNow {
    Payload payload;           // a sync_file to poll, or
    bool queued = false;       // a submit still in gpusim, or
    bool unsignalled = false;  // an emulated fence with nothing pending, or
    bool in_lavapipe = false;  // lavapipe's fence
};

// Under dev.sync.mutex.
FenceNow locate(const Device& dev, VkFence fence) {
    FenceNow now;
    auto state = dev.sync.fence(fence);
    if (state != nullptr && state->temporary) {
        now.payload = state->temporary;
    } else if (state != nullptr && state->emulated) {
        now.payload = state->payload;
        now.unsignalled = state->payload == nullptr;
    } else if (state != nullptr && state->queued != 0) {
        now.queued = true;
    } else {
        now.in_lavapipe = true;  // lavapipe has the payload (or gpusim never saw the fence)
    }
    return now;
}

VkResult status(Device& dev, VkFence fence) {
    FenceNow now;
    {
        std::lock_guard lock(dev.sync.mutex);
        now = locate(dev, fence);
    }
    if (now.payload) {
        return payload_status(*now.payload);
    }
    if (now.queued || now.unsignalled) {
        return VK_NOT_READY;
    }
    return dev.next.GetFenceStatus(dev.handle, fence);
}

VkResult wait_one(Device& dev, VkFence fence, Clock::time_point deadline) {
    std::unique_lock lock(dev.sync.mutex);
    for (;;) {
        FenceNow now = locate(dev, fence);
        if (now.payload) {
            lock.unlock();
            return wait_payload(*now.payload, deadline);
        }
        if (now.in_lavapipe) {
            lock.unlock();
            return dev.next.WaitForFences(dev.handle, 1, &fence, VK_TRUE, timeout_until(deadline));
        }
        // Queued in gpusim, or emulated with no signal pending yet: wait for a change.
        if (Clock::now() >= deadline) {
            return VK_TIMEOUT;
        }
        dev.sync.progress.wait_until(lock, deadline);
    }
}

VkResult wait_any(Device& dev, const std::vector<VkFence>& fences, Clock::time_point deadline) {
    for (;;) {
        for (VkFence fence : fences) {
            const VkResult r = status(dev, fence);
            if (r != VK_NOT_READY) {
                return r;
            }
        }
        if (Clock::now() >= deadline) {
            return VK_TIMEOUT;
        }
        std::unique_lock lock(dev.sync.mutex);
        dev.sync.progress.wait_until(lock, std::min(deadline, Clock::now() + kPollInterval));
    }
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL WaitForFences(VkDevice device, uint32_t count, const VkFence* fences,
                                             VkBool32 wait_all, uint64_t timeout) noexcept {
    return guarded("vkWaitForFences", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (dev->lost) {
            return VK_ERROR_DEVICE_LOST;
        }
        const Clock::time_point deadline = deadline_after(timeout);
        bool all_in_lavapipe = true;
        {
            std::lock_guard lock(dev->sync.mutex);
            for (uint32_t i = 0; i < count && all_in_lavapipe; ++i) {
                all_in_lavapipe = locate(*dev, fences[i]).in_lavapipe;
            }
        }
        if (all_in_lavapipe) {
            return dev->next.WaitForFences(device, count, fences, wait_all, timeout);
        }
        if (!wait_all) {
            return wait_any(*dev, std::vector<VkFence>(fences, fences + count), deadline);
        }
        for (uint32_t i = 0; i < count; ++i) {
            if (const VkResult r = wait_one(*dev, fences[i], deadline); r != VK_SUCCESS) {
                return r;
            }
        }
        return VK_SUCCESS;
    });
}

VKAPI_ATTR VkResult VKAPI_CALL GetFenceStatus(VkDevice device, VkFence fence) noexcept {
    return guarded("vkGetFenceStatus", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (dev->lost) {
            return VK_ERROR_DEVICE_LOST;
        }
        return status(*dev, fence);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL ResetFences(VkDevice device, uint32_t count,
                                           const VkFence* fences) noexcept {
    return guarded("vkResetFences", [&]() -> VkResult {
        Device* dev = device_of(device);
        std::vector<VkFence> in_lavapipe;
        {
            std::lock_guard lock(dev->sync.mutex);
            for (uint32_t i = 0; i < count; ++i) {
                auto state = dev->sync.fence(fences[i]);
                if (state != nullptr) {
                    // A temporary payload goes; the permanent one is then reset.
                    state->temporary.reset();
                    if (state->emulated) {
                        state->payload.reset();
                        continue;
                    }
                }
                in_lavapipe.push_back(fences[i]);
            }
        }
        if (in_lavapipe.empty()) {
            return VK_SUCCESS;
        }
        return dev->next.ResetFences(device, static_cast<uint32_t>(in_lavapipe.size()),
                                     in_lavapipe.data());
    });
}

}  // namespace sb::gpusim
