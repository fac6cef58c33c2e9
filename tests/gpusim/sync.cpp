#include "gpusim/sync.hpp"

#include "gpusim/log.hpp"

namespace sb::gpusim {

std::shared_ptr<SemaphoreState> SyncTable::semaphore(VkSemaphore handle) const {
    auto it = semaphores.find(handle);
    return it != semaphores.end() ? it->second : nullptr;
}

std::shared_ptr<FenceState> SyncTable::fence(VkFence handle) const {
    auto it = fences.find(handle);
    return it != fences.end() ? it->second : nullptr;
}

Clock::time_point deadline_after(uint64_t timeout_ns) {
    const auto now = Clock::now();
    // Anything beyond a day is "forever" for every purpose here, and keeps the sum from
    // overflowing the clock.
    constexpr uint64_t kForever = 24ull * 3600 * 1000 * 1000 * 1000;
    if (timeout_ns >= kForever) {
        return Clock::time_point::max();
    }
    return now + std::chrono::nanoseconds(timeout_ns);
}

uint64_t timeout_until(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max()) {
        return UINT64_MAX;
    }
    const auto now = Clock::now();
    if (deadline <= now) {
        return 0;
    }
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count());
}

VkResult wait_payload(const kernel::SyncFile& file, Clock::time_point deadline) {
    const uint64_t left = timeout_until(deadline);
    const auto timeout =
        left == UINT64_MAX ? std::chrono::nanoseconds(-1) : std::chrono::nanoseconds(left);
    auto outcome = file.wait(timeout);
    if (!outcome) {
        GPUSIM_LOG(error, "waiting for a sync_file: %s", outcome.error().describe().c_str());
        return VK_ERROR_DEVICE_LOST;
    }
    return *outcome == kernel::WaitOutcome::ready ? VK_SUCCESS : VK_TIMEOUT;
}

VkResult payload_status(const kernel::SyncFile& file) {
    auto signalled = file.is_signalled();
    if (!signalled) {
        GPUSIM_LOG(error, "polling a sync_file: %s", signalled.error().describe().c_str());
        return VK_ERROR_DEVICE_LOST;
    }
    return *signalled ? VK_SUCCESS : VK_NOT_READY;
}

}  // namespace sb::gpusim
