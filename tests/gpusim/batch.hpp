// One batch of a vkQueueSubmit, vkQueueSubmit2 or (semaphores only) vkQueueBindSparse, copied so
// that it outlives the call: gpusim hands it to lavapipe later, from its queue thread. Both submit
// forms are kept as lists of semaphore operations and command buffers, so that gpusim can drop
// the semaphores it handles itself, then rebuild the form the app used.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "gpusim/chain.hpp"

namespace sb::gpusim {

struct SemaphoreOp {
    VkSemaphore semaphore = VK_NULL_HANDLE;
    uint64_t value = 0;  // timeline value; ignored for binary semaphores
    VkPipelineStageFlags2 stages = 0;
    uint32_t device_index = 0;
};

struct CommandBufferOp {
    VkCommandBuffer command_buffer = VK_NULL_HANDLE;
    uint32_t device_mask = 0;
};

class Batch {
  public:
    // False when the batch's pNext chain has a structure this build cannot copy.
    [[nodiscard]] bool copy_from(const VkSubmitInfo& info);
    [[nodiscard]] bool copy_from(const VkSubmitInfo2& info);
    // A bind-sparse batch without binds: its semaphores, as a submit batch.
    [[nodiscard]] bool copy_from(const VkBindSparseInfo& info);

    std::vector<SemaphoreOp> waits;
    std::vector<SemaphoreOp> signals;
    std::vector<CommandBufferOp> command_buffers;

    // lavapipe's structures, rebuilt from the lists above. They point into this Batch: valid
    // until it is changed or destroyed.
    const VkSubmitInfo& build_submit_info();
    const VkSubmitInfo2& build_submit_info2();

  private:
    VkSubmitFlags flags_ = 0;  // VkSubmitInfo2 only
    bool had_timeline_info_ = false;
    bool had_device_group_info_ = false;
    ChainCopy rest_;  // the chain without the structures rebuilt here

    // Storage for the rebuilt structures.
    std::vector<VkSemaphore> wait_semaphores_, signal_semaphores_;
    std::vector<VkPipelineStageFlags> wait_stages_;
    std::vector<uint64_t> wait_values_, signal_values_;
    std::vector<uint32_t> wait_indices_, signal_indices_, masks_;
    std::vector<VkCommandBuffer> command_buffer_handles_;
    std::vector<VkSemaphoreSubmitInfo> wait_infos_, signal_infos_;
    std::vector<VkCommandBufferSubmitInfo> command_buffer_infos_;
    VkTimelineSemaphoreSubmitInfo timeline_{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
    VkDeviceGroupSubmitInfo group_{VK_STRUCTURE_TYPE_DEVICE_GROUP_SUBMIT_INFO};
    VkSubmitInfo info_{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    VkSubmitInfo2 info2_{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
};

}  // namespace sb::gpusim
