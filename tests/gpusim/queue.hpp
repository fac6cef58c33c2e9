// The slow GPU: one thread per VkQueue ("gpusim-queue") that hands each submitted batch to
// lavapipe only once it is due (GPUSIM_LATENCY_MS plus jitter after vkQueueSubmit) and once
// everything it waits for outside lavapipe has signalled. Batches leave in submission order.
//
// For a batch that signals emulated (SYNC_FD) semaphores or fences, the thread then waits for
// lavapipe to finish it (an empty submit with an internal fence behind it) and only then signals
// the vgem fences that are those payloads. That serialises the queue behind such batches, which
// is what an in-order GPU queue does anyway.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "gpusim/batch.hpp"
#include "gpusim/sync.hpp"

namespace sb::gpusim {

struct Device;

struct QueueItem {
    enum class Api { submit, submit2 };
    Api api = Api::submit;
    std::optional<Batch> batch;      // none: an empty submit that only signals the fence
    VkFence fence = VK_NULL_HANDLE;  // lavapipe's fence for this submit (plain fences only)
    Clock::time_point due;

    // Before lavapipe sees the batch: these payloads must have signalled ...
    std::vector<Payload> wait_payloads;
    // ... and lavapipe must have been given these many signal operations of these plain
    // semaphores (binary semaphores must not be waited on before their signal is submitted).
    std::vector<std::pair<std::shared_ptr<SemaphoreState>, uint64_t>> wait_handed;

    // Once lavapipe has the batch: count these signal operations as handed over ...
    std::vector<std::shared_ptr<SemaphoreState>> plain_signals;
    // ... and this plain fence as no longer queued in gpusim.
    std::shared_ptr<FenceState> fence_state;

    // Once lavapipe has finished the batch: signal these vgem fences.
    std::vector<uint32_t> vgem_fences;
};

class SimQueue {
  public:
    SimQueue(Device& device, VkQueue queue) : device_(device), queue_(queue) {}
    ~SimQueue();
    SimQueue(const SimQueue&) = delete;
    SimQueue& operator=(const SimQueue&) = delete;

    // Creates the internal fence and starts the thread.
    VkResult start();
    // Stops the thread. Batches still queued are dropped (the app destroyed the device with work
    // pending): their vgem fences are signalled so that no one waits for them forever.
    void stop();

    [[nodiscard]] VkQueue handle() const { return queue_; }

    // Appends items, in order, all or nothing.
    void push(std::vector<QueueItem>& items);
    // Blocks until lavapipe has been given everything pushed before the call ...
    void wait_handed_off();
    // ... or until gpusim is done with it (handed over, and vgem fences signalled).
    void wait_retired();

    // Serialises every call into lavapipe on this VkQueue (Vulkan: queues are externally
    // synchronised): the thread's submits, and vkQueuePresentKHR / vkQueueWaitIdle from the app.
    std::mutex& driver_mutex() { return driver_mutex_; }

  private:
    void run();
    void wait_until_due(const QueueItem& item);
    void wait_dependencies(const QueueItem& item);
    void hand_off(QueueItem& item);
    void wait_finished();
    void retire(QueueItem& item, bool handed);

    Device& device_;
    VkQueue queue_;
    VkFence internal_fence_ = VK_NULL_HANDLE;
    std::mutex driver_mutex_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<QueueItem> items_;
    uint64_t pushed_ = 0;
    uint64_t handed_ = 0;
    uint64_t retired_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace sb::gpusim
