// The commands of one frame: the whole image cleared to the frame's colour.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>

namespace sb::swapchain_app {

// Records into `commands` (its pool reset by the caller): UNDEFINED -> TRANSFER_DST_OPTIMAL,
// vkCmdClearColorImage with frame_clear_colour(frame), TRANSFER_DST_OPTIMAL -> PRESENT_SRC_KHR.
// The submit must wait for the acquire semaphore at VK_PIPELINE_STAGE_TRANSFER_BIT, the first
// barrier's source stage, so that the layout transition follows the acquire.
VkResult record_frame(VkCommandBuffer commands, VkImage image, uint32_t frame);

// The wait stage record_frame() expects for the acquire semaphore.
constexpr VkPipelineStageFlags kAcquireWaitStage = VK_PIPELINE_STAGE_TRANSFER_BIT;

}  // namespace sb::swapchain_app
