#include "bridge/capabilities.hpp"

#include <drm_fourcc.h>

#include <cstring>
#include <vector>

namespace sb::bridge {
namespace {

bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name) {
    for (const auto& ext : list) {
        if (std::strcmp(ext.extensionName, name) == 0) {
            return true;
        }
    }
    return false;
}

std::vector<VkExtensionProperties> device_extensions(const dispatch::InstanceTable& next,
                                                     VkPhysicalDevice pd) {
    uint32_t count = 0;
    if (next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr) != VK_SUCCESS) {
        return {};
    }
    std::vector<VkExtensionProperties> list(count);
    if (next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, list.data()) < 0) {
        return {};
    }
    list.resize(count);
    return list;
}

void probe_semaphores(const dispatch::InstanceTable& next, VkPhysicalDevice pd,
                      DeviceCapabilities& caps) {
    VkPhysicalDeviceExternalSemaphoreInfo info{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO};
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
    next.GetPhysicalDeviceExternalSemaphoreProperties(pd, &info, &props);
    caps.semaphore_sync_fd_export =
        (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT) != 0;
    caps.semaphore_sync_fd_import =
        (props.externalSemaphoreFeatures & VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT) != 0;

    VkPhysicalDeviceExternalFenceInfo fence_info{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO};
    fence_info.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
    VkExternalFenceProperties fence_props{VK_STRUCTURE_TYPE_EXTERNAL_FENCE_PROPERTIES};
    next.GetPhysicalDeviceExternalFenceProperties(pd, &fence_info, &fence_props);
    caps.fence_sync_fd_export =
        (fence_props.externalFenceFeatures & VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT) != 0;
    caps.fence_sync_fd_import =
        (fence_props.externalFenceFeatures & VK_EXTERNAL_FENCE_FEATURE_IMPORTABLE_BIT) != 0;
}

// Asks whether a swapchain-like image can live in dma-buf memory, with the LINEAR modifier when
// the driver has VK_EXT_image_drm_format_modifier, else with LINEAR tiling.
VkExternalMemoryFeatureFlags dma_buf_image_features(const dispatch::InstanceTable& next,
                                                    VkPhysicalDevice pd, bool use_modifier) {
    VkPhysicalDeviceImageDrmFormatModifierInfoEXT modifier{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT};
    modifier.drmFormatModifier = DRM_FORMAT_MOD_LINEAR;
    modifier.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkPhysicalDeviceExternalImageFormatInfo external{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO};
    external.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    external.pNext = use_modifier ? &modifier : nullptr;
    VkPhysicalDeviceImageFormatInfo2 info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2};
    info.pNext = &external;
    info.format = VK_FORMAT_B8G8R8A8_UNORM;
    info.type = VK_IMAGE_TYPE_2D;
    info.tiling = use_modifier ? VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT : VK_IMAGE_TILING_LINEAR;
    info.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;

    VkExternalImageFormatProperties external_props{
        VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
    VkImageFormatProperties2 props{VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2};
    props.pNext = &external_props;
    if (next.GetPhysicalDeviceImageFormatProperties2(pd, &info, &props) != VK_SUCCESS) {
        return 0;
    }
    return external_props.externalMemoryProperties.externalMemoryFeatures;
}

}  // namespace

DeviceCapabilities probe_device_capabilities(const dispatch::InstanceTable& next,
                                             VkPhysicalDevice pd) {
    DeviceCapabilities caps;
    VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &driver;
    next.GetPhysicalDeviceProperties2(pd, &props);
    caps.device_name = props.properties.deviceName;
    caps.driver_name = driver.driverName;
    caps.api_version = props.properties.apiVersion;

    const auto extensions = device_extensions(next, pd);
    const bool external_semaphore_fd = has_extension(extensions, "VK_KHR_external_semaphore_fd");
    const bool external_fence_fd = has_extension(extensions, "VK_KHR_external_fence_fd");
    if (external_semaphore_fd || external_fence_fd) {
        probe_semaphores(next, pd, caps);
        caps.semaphore_sync_fd_export &= external_semaphore_fd;
        caps.semaphore_sync_fd_import &= external_semaphore_fd;
        caps.fence_sync_fd_export &= external_fence_fd;
        caps.fence_sync_fd_import &= external_fence_fd;
    }

    caps.dma_buf_extension = has_extension(extensions, "VK_EXT_external_memory_dma_buf") &&
                             has_extension(extensions, "VK_KHR_external_memory_fd");
    caps.drm_format_modifier_extension =
        has_extension(extensions, "VK_EXT_image_drm_format_modifier");
    if (caps.dma_buf_extension) {
        const VkExternalMemoryFeatureFlags features =
            dma_buf_image_features(next, pd, caps.drm_format_modifier_extension);
        caps.dma_buf_image_export = (features & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) != 0;
        caps.dma_buf_image_import = (features & VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0;
    }
    return caps;
}

}  // namespace sb::bridge
