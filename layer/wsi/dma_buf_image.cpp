#include "wsi/dma_buf_image.hpp"

#include <drm_fourcc.h>

namespace sb::wsi {
namespace {

uint32_t pick_memory_type(const VkPhysicalDeviceMemoryProperties& props, uint32_t allowed) {
    // Device-local first: the consumer is another device (or the same one) reading by DMA.
    for (VkMemoryPropertyFlags wanted :
         {VkMemoryPropertyFlags{VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT}, VkMemoryPropertyFlags{0}}) {
        for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
            if (((allowed >> i) & 1u) != 0 &&
                (props.memoryTypes[i].propertyFlags & wanted) == wanted) {
                return i;
            }
        }
    }
    return UINT32_MAX;
}

VkResult create_image(const dispatch::DeviceTable& next, VkDevice device,
                      const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                      VkImage* image) {
    static constexpr uint64_t kLinear = DRM_FORMAT_MOD_LINEAR;
    VkImageDrmFormatModifierListCreateInfoEXT modifiers{
        VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT};
    modifiers.drmFormatModifierCount = 1;
    modifiers.pDrmFormatModifiers = &kLinear;
    VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    external.pNext = info.use_drm_format_modifier ? &modifiers : nullptr;

    VkImageCreateInfo create{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    create.pNext = &external;
    create.imageType = VK_IMAGE_TYPE_2D;
    create.format = info.format;
    create.extent = {info.extent.width, info.extent.height, 1};
    create.mipLevels = 1;
    create.arrayLayers = 1;
    create.samples = VK_SAMPLE_COUNT_1_BIT;
    create.tiling = info.use_drm_format_modifier ? VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT
                                                 : VK_IMAGE_TILING_LINEAR;
    create.usage = info.usage;
    create.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    create.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    return next.CreateImage(device, &create, alloc, image);
}

VkResult allocate_and_bind(const dispatch::DeviceTable& next, VkDevice device,
                           const VkPhysicalDeviceMemoryProperties& props,
                           const VkAllocationCallbacks* alloc, DmaBufImage* out) {
    VkMemoryRequirements reqs;
    next.GetImageMemoryRequirements(device, out->image, &reqs);
    const uint32_t type = pick_memory_type(props, reqs.memoryTypeBits);
    if (type == UINT32_MAX) {
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.image = out->image;
    VkExportMemoryAllocateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO};
    export_info.pNext = &dedicated;
    export_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.pNext = &export_info;
    allocate.allocationSize = reqs.size;
    allocate.memoryTypeIndex = type;
    if (VkResult r = next.AllocateMemory(device, &allocate, alloc, &out->memory); r != VK_SUCCESS) {
        return r;
    }
    out->size = reqs.size;
    return next.BindImageMemory(device, out->image, out->memory, 0);
}

VkResult export_and_describe(const dispatch::DeviceTable& next, VkDevice device,
                             const DmaBufImageInfo& info, DmaBufImage* out) {
    VkMemoryGetFdInfoKHR get_fd{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
    get_fd.memory = out->memory;
    get_fd.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    int fd = -1;
    if (VkResult r = next.GetMemoryFdKHR(device, &get_fd, &fd); r != VK_SUCCESS) {
        return r;
    }
    out->dma_buf = kernel::DmaBuf(kernel::UniqueFd(fd));

    VkImageSubresource plane{VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
    out->modifier = DRM_FORMAT_MOD_LINEAR;
    if (info.use_drm_format_modifier) {
        VkImageDrmFormatModifierPropertiesEXT props{
            VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT};
        if (VkResult r = next.GetImageDrmFormatModifierPropertiesEXT(device, out->image, &props);
            r != VK_SUCCESS) {
            return r;
        }
        out->modifier = props.drmFormatModifier;
        plane.aspectMask = VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT;
    }
    VkSubresourceLayout layout{};
    next.GetImageSubresourceLayout(device, out->image, &plane, &layout);
    out->offset = layout.offset;
    out->stride = static_cast<uint32_t>(layout.rowPitch);
    return VK_SUCCESS;
}

}  // namespace

VkResult create_dma_buf_image(const dispatch::DeviceTable& next, VkDevice device,
                              const VkPhysicalDeviceMemoryProperties& memory_properties,
                              const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                              DmaBufImage* out) {
    *out = DmaBufImage{};
    VkResult r = create_image(next, device, info, alloc, &out->image);
    if (r == VK_SUCCESS) {
        r = allocate_and_bind(next, device, memory_properties, alloc, out);
    }
    if (r == VK_SUCCESS) {
        r = export_and_describe(next, device, info, out);
    }
    if (r != VK_SUCCESS) {
        destroy_dma_buf_image(next, device, alloc, out);
    }
    return r;
}

void destroy_dma_buf_image(const dispatch::DeviceTable& next, VkDevice device,
                           const VkAllocationCallbacks* alloc, DmaBufImage* image) {
    if (image->image != VK_NULL_HANDLE) {
        next.DestroyImage(device, image->image, alloc);
    }
    if (image->memory != VK_NULL_HANDLE) {
        next.FreeMemory(device, image->memory, alloc);
    }
    *image = DmaBufImage{};
}

}  // namespace sb::wsi
