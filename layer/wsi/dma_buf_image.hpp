// A swapchain image whose memory is an exportable dma-buf: what the layer hands to a compositor.
// Allocated through the next layer's (the driver's) entry points, with the DRM format modifier
// extension when the driver has it (LINEAR is the modifier every consumer can read), else with
// LINEAR tiling.
#pragma once

#include <vulkan/vulkan.h>

#include <sys/types.h>

#include <cstdint>

#include "dispatch/dispatch_table.hpp"
#include "kernel/dma_buf.hpp"

namespace sb::wsi {

struct DmaBufImageInfo {
    VkFormat format = VK_FORMAT_B8G8R8A8_UNORM;
    VkExtent2D extent{};
    VkImageUsageFlags usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    bool use_drm_format_modifier = true;
    // The driver can import dma-bufs but not export them: the layer allocates each image's
    // memory (kernel/dma_buf_allocator.hpp) and the driver imports it.
    bool layer_allocates = false;
    dev_t consumer_device = 0;  // the allocator's first choice (kernel/dma_buf_allocator.hpp)
};

struct DmaBufImage {
    VkImage image = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    kernel::DmaBuf dma_buf;  // the layer's own reference, for fences and for the consumer
    uint64_t modifier = 0;   // DRM_FORMAT_MOD_*
    uint64_t offset = 0;     // of plane 0
    uint32_t stride = 0;     // row pitch of plane 0
    uint64_t size = 0;
};

// Creates, allocates, binds and exports. On failure nothing is left behind and the VkResult
// says why (VK_ERROR_FORMAT_NOT_SUPPORTED, VK_ERROR_OUT_OF_DEVICE_MEMORY, ...).
VkResult create_dma_buf_image(const dispatch::DeviceTable& next, VkDevice device,
                              const VkPhysicalDeviceMemoryProperties& memory_properties,
                              const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                              DmaBufImage* out);

// An image that can alias `like` (VkImageSwapchainCreateInfoKHR): created as `like` was, with its
// plane layout, so that `like`'s memory at offset 0 fits it. The caller binds it.
VkResult create_alias_image(const dispatch::DeviceTable& next, VkDevice device,
                            const DmaBufImageInfo& info, const DmaBufImage& like,
                            const VkAllocationCallbacks* alloc, VkImage* image);

void destroy_dma_buf_image(const dispatch::DeviceTable& next, VkDevice device,
                           const VkAllocationCallbacks* alloc, DmaBufImage* image);

}  // namespace sb::wsi
