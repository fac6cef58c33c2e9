// What one physical device's driver can do for the bridge, asked through the next layer's
// instance-level entry points (so a layer below, such as gpusim, answers as a driver would).
#pragma once

#include <vulkan/vulkan.h>

#include <string>

#include "dispatch/dispatch_table.hpp"

namespace sb::bridge {

struct DeviceCapabilities {
    std::string device_name;
    std::string driver_name;  // VkPhysicalDeviceDriverProperties, when the driver reports it
    uint32_t api_version = 0;

    // Binary semaphores / fences with SYNC_FD payloads.
    bool semaphore_sync_fd_export = false;
    bool semaphore_sync_fd_import = false;
    bool fence_sync_fd_export = false;
    bool fence_sync_fd_import = false;

    // Swapchain-capable images (B8G8R8A8_UNORM colour attachments) in exportable dma-buf memory,
    // with VK_EXT_image_drm_format_modifier (at least LINEAR) or plain LINEAR tiling.
    bool dma_buf_extension = false;
    bool drm_format_modifier_extension = false;
    bool dma_buf_image_export = false;
    bool dma_buf_image_import = false;
};

DeviceCapabilities probe_device_capabilities(const dispatch::InstanceTable& next,
                                             VkPhysicalDevice physical_device);

}  // namespace sb::bridge
