#include "wsi/swapchain_app/offscreen.hpp"

#include <optional>

namespace sb::swapchain_app {
namespace {

// The first memory type `allowed` permits, device-local preferred.
std::optional<uint32_t> pick_memory_type(VkPhysicalDevice physical_device, uint32_t allowed) {
    VkPhysicalDeviceMemoryProperties properties{};
    vkGetPhysicalDeviceMemoryProperties(physical_device, &properties);
    std::optional<uint32_t> any;
    for (uint32_t i = 0; i < properties.memoryTypeCount; ++i) {
        if ((allowed & (1u << i)) == 0) {
            continue;
        }
        if ((properties.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) != 0) {
            return i;
        }
        any = any.value_or(i);
    }
    return any;
}

}  // namespace

VkResult OffscreenImages::create(VkPhysicalDevice physical_device, VkDevice device, VkFormat format,
                                 VkExtent2D extent, uint32_t count) {
    destroy();
    device_ = device;
    for (uint32_t i = 0; i < count; ++i) {
        if (VkResult r = create_one(physical_device, format, extent); r != VK_SUCCESS) {
            destroy();
            return r;
        }
    }
    return VK_SUCCESS;
}

VkResult OffscreenImages::create_one(VkPhysicalDevice physical_device, VkFormat format,
                                     VkExtent2D extent) {
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = format;
    info.extent = {extent.width, extent.height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImage image = VK_NULL_HANDLE;
    if (VkResult r = vkCreateImage(device_, &info, nullptr, &image); r != VK_SUCCESS) {
        return r;
    }
    images_.push_back(image);  // destroy() owns it from here
    VkMemoryRequirements needs{};
    vkGetImageMemoryRequirements(device_, image, &needs);
    const std::optional<uint32_t> type = pick_memory_type(physical_device, needs.memoryTypeBits);
    if (!type) {
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.allocationSize = needs.size;
    allocate.memoryTypeIndex = *type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (VkResult r = vkAllocateMemory(device_, &allocate, nullptr, &memory); r != VK_SUCCESS) {
        return r;
    }
    memory_.push_back(memory);
    return vkBindImageMemory(device_, image, memory, 0);
}

void OffscreenImages::destroy() {
    for (VkImage image : images_) {
        vkDestroyImage(device_, image, nullptr);
    }
    for (VkDeviceMemory memory : memory_) {
        vkFreeMemory(device_, memory, nullptr);
    }
    images_.clear();
    memory_.clear();
}

}  // namespace sb::swapchain_app
