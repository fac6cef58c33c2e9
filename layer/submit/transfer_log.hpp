// The foreign transfers each command buffer carries, from recording to submit.
//
// A command buffer's record starts empty at vkBeginCommandBuffer (which resets it) and at every
// reset, grows with each release or acquire barrier recorded into it (and with those of the
// secondaries it executes), and goes when the buffer or its pool does. Command buffers are
// externally synchronised, but different ones are recorded on different threads: one lock
// guards the whole log, and the usual case, no foreign barrier anywhere, never takes it.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "submit/foreign_transfer.hpp"

namespace sb::submit {

class TransferLog {
  public:
    void allocated(VkCommandPool pool, const VkCommandBuffer* buffers, uint32_t count);
    void freed(const VkCommandBuffer* buffers, uint32_t count);
    void pool_reset(VkCommandPool pool);
    void pool_destroyed(VkCommandPool pool);
    void reset(VkCommandBuffer buffer);

    void record(VkCommandBuffer buffer, Transfer transfer);
    // vkCmdExecuteCommands: the secondaries' transfers happen where the primary runs.
    void executed(VkCommandBuffer primary, const VkCommandBuffer* secondaries, uint32_t count);

    // Appends the transfers recorded in `buffer`, in order, to `acquires` and `releases`.
    void collect(VkCommandBuffer buffer, std::vector<Transfer>* acquires,
                 std::vector<Transfer>* releases) const;

    // No command buffer carries a transfer: submits need no lookups.
    [[nodiscard]] bool empty() const { return carrying_.load(std::memory_order_relaxed) == 0; }

  private:
    void update_count();

    mutable std::mutex mutex_;
    std::unordered_map<VkCommandBuffer, VkCommandPool> pools_;
    std::unordered_map<VkCommandBuffer, std::vector<Transfer>> records_;
    std::atomic<size_t> carrying_{0};
};

}  // namespace sb::submit
