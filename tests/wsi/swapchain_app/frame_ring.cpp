#include "wsi/swapchain_app/frame_ring.hpp"

namespace sb::swapchain_app {

VkResult FrameRing::create(VkDevice device, uint32_t queue_family, uint32_t slots) {
    destroy();
    device_ = device;
    slots_.resize(slots);
    for (FrameSlot& slot : slots_) {
        if (VkResult r = create_slot(queue_family, &slot); r != VK_SUCCESS) {
            return r;
        }
    }
    return VK_SUCCESS;
}

VkResult FrameRing::create_slot(uint32_t queue_family, FrameSlot* slot) {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = queue_family;
    if (VkResult r = vkCreateCommandPool(device_, &pool_info, nullptr, &slot->pool);
        r != VK_SUCCESS) {
        return r;
    }
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = slot->pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    if (VkResult r = vkAllocateCommandBuffers(device_, &alloc, &slot->commands); r != VK_SUCCESS) {
        return r;
    }
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    if (VkResult r = vkCreateFence(device_, &fence_info, nullptr, &slot->done); r != VK_SUCCESS) {
        return r;
    }
    const VkFenceCreateInfo unsignalled{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (VkResult r = vkCreateFence(device_, &unsignalled, nullptr, &slot->acquire_done);
        r != VK_SUCCESS) {
        return r;
    }
    const VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    return vkCreateSemaphore(device_, &semaphore_info, nullptr, &slot->acquired);
}

void FrameRing::destroy() {
    for (FrameSlot& slot : slots_) {
        if (slot.acquired != VK_NULL_HANDLE) {
            vkDestroySemaphore(device_, slot.acquired, nullptr);
        }
        if (slot.done != VK_NULL_HANDLE) {
            vkDestroyFence(device_, slot.done, nullptr);
        }
        if (slot.acquire_done != VK_NULL_HANDLE) {
            vkDestroyFence(device_, slot.acquire_done, nullptr);
        }
        if (slot.pool != VK_NULL_HANDLE) {
            vkDestroyCommandPool(device_, slot.pool, nullptr);  // frees its command buffer
        }
    }
    slots_.clear();
}

}  // namespace sb::swapchain_app
