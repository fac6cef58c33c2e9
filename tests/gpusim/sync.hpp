// gpusim's view of the app's semaphores and fences.
//
// Three kinds:
// - *emulated*: created exportable as SYNC_FD (when gpusim offers it). The payload is a real
//   vgem fence, as a sync_file: pending from vkQueueSubmit until lavapipe has finished the work,
//   then signalled by gpusim's queue thread. lavapipe never sees these objects in a submit.
// - *temporary imports*: a SYNC_FD payload imported into any binary semaphore or any fence. It
//   replaces the permanent payload until the next wait (semaphores) or reset (fences) consumes it.
// - *plain*: everything else. lavapipe holds the payload; gpusim only counts what is still queued
//   inside gpusim, so that waits wait for it and lavapipe never sees a wait before its signal.
//
// All state is guarded by one mutex per device; `progress` is notified on every change, so a
// waiter can sleep on it with its deadline.
#pragma once

#include <vulkan/vulkan.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "kernel/sync_file.hpp"

namespace sb::gpusim {

// A sync_file payload. A stub (no fd) stands for an already signalled payload (fd -1 imports).
using Payload = std::shared_ptr<const kernel::SyncFile>;

using Clock = std::chrono::steady_clock;

struct SemaphoreState {
    bool timeline = false;
    bool emulated = false;
    Payload payload;    // emulated only; nullptr: unsignalled, no signal pending
    Payload temporary;  // an imported SYNC_FD payload, consumed by the next wait
    // Plain binary semaphores: signal operations gpusim has queued / handed to lavapipe.
    uint64_t signals_queued = 0;
    uint64_t signals_handed = 0;
};

struct FenceState {
    bool emulated = false;
    Payload payload;      // emulated only; nullptr: unsignalled, no signal pending
    Payload temporary;    // an imported SYNC_FD payload, until the next reset
    uint32_t queued = 0;  // plain fences: submits still in gpusim that will signal it in lavapipe
};

struct SyncTable {
    std::mutex mutex;
    std::condition_variable progress;
    std::unordered_map<VkSemaphore, std::shared_ptr<SemaphoreState>> semaphores;
    std::unordered_map<VkFence, std::shared_ptr<FenceState>> fences;

    // Under `mutex`. nullptr for objects gpusim did not see created (e.g. lavapipe's own).
    std::shared_ptr<SemaphoreState> semaphore(VkSemaphore handle) const;
    std::shared_ptr<FenceState> fence(VkFence handle) const;
};

// Time left until `deadline`, as a Vulkan timeout (UINT64_MAX: forever).
uint64_t timeout_until(Clock::time_point deadline);
Clock::time_point deadline_after(uint64_t timeout_ns);

// Waits for a payload until `deadline`: VK_SUCCESS, VK_TIMEOUT, or VK_ERROR_DEVICE_LOST when
// the kernel refuses the poll.
VkResult wait_payload(const kernel::SyncFile& file, Clock::time_point deadline);
// VK_SUCCESS when signalled, VK_NOT_READY when not (never blocks).
VkResult payload_status(const kernel::SyncFile& file);

}  // namespace sb::gpusim
