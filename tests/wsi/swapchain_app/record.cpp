#include "wsi/swapchain_app/record.hpp"

#include "compositor/frame_colour.hpp"

namespace sb::swapchain_app {
namespace {

constexpr VkImageSubresourceRange kWholeColourImage{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};

void transition(VkCommandBuffer commands, VkImage image, VkImageLayout from, VkImageLayout to,
                VkAccessFlags src_access, VkAccessFlags dst_access, VkPipelineStageFlags src_stage,
                VkPipelineStageFlags dst_stage) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.srcAccessMask = src_access;
    barrier.dstAccessMask = dst_access;
    barrier.oldLayout = from;
    barrier.newLayout = to;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image;
    barrier.subresourceRange = kWholeColourImage;
    vkCmdPipelineBarrier(commands, src_stage, dst_stage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
}

}  // namespace

VkResult record_frame(VkCommandBuffer commands, VkImage image, uint32_t frame) {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (VkResult r = vkBeginCommandBuffer(commands, &begin); r != VK_SUCCESS) {
        return r;
    }
    // The old content is not needed: UNDEFINED. Source stage = the acquire's wait stage.
    transition(commands, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0,
               VK_ACCESS_TRANSFER_WRITE_BIT, kAcquireWaitStage, VK_PIPELINE_STAGE_TRANSFER_BIT);
    const auto colour = compositor::frame_clear_colour(frame);
    VkClearColorValue clear{};
    clear.float32[0] = colour.r;
    clear.float32[1] = colour.g;
    clear.float32[2] = colour.b;
    clear.float32[3] = colour.a;
    vkCmdClearColorImage(commands, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &clear, 1,
                         &kWholeColourImage);
    // Presentation needs no access mask: the render-done semaphore makes the writes available.
    transition(commands, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
               VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, VK_ACCESS_TRANSFER_WRITE_BIT, 0,
               VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT);
    return vkEndCommandBuffer(commands);
}

}  // namespace sb::swapchain_app
