#include "wsi/dma_buf_image.hpp"

#include <drm_fourcc.h>

#include "kernel/dma_buf_allocator.hpp"
#include "util/fault.hpp"
#include "util/log.hpp"

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

// `explicit_layout`: the plane layout of memory the image will be bound to (an import), for a
// DRM-modifier image; null lets the driver choose.
VkResult create_image(const dispatch::DeviceTable& next, VkDevice device,
                      const DmaBufImageInfo& info, const VkSubresourceLayout* explicit_layout,
                      const VkAllocationCallbacks* alloc, VkImage* image) {
    static constexpr uint64_t kLinear = DRM_FORMAT_MOD_LINEAR;
    VkImageDrmFormatModifierListCreateInfoEXT modifiers{
        VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT};
    modifiers.drmFormatModifierCount = 1;
    modifiers.pDrmFormatModifiers = &kLinear;
    VkSubresourceLayout plane{};
    VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_modifier{
        VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT};
    explicit_modifier.drmFormatModifier = kLinear;
    explicit_modifier.drmFormatModifierPlaneCount = 1;
    explicit_modifier.pPlaneLayouts = &plane;
    if (explicit_layout != nullptr) {
        plane.offset = explicit_layout->offset;
        plane.rowPitch = explicit_layout->rowPitch;  // size, array and depth pitch must be 0
    }
    VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    if (info.use_drm_format_modifier) {
        external.pNext = explicit_layout != nullptr ? static_cast<const void*>(&explicit_modifier)
                                                    : static_cast<const void*>(&modifiers);
    }

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

// Binds `out->image` to a driver import of `out->dma_buf` (the layer keeps its own reference).
VkResult import_and_bind(const dispatch::DeviceTable& next, VkDevice device,
                         const VkPhysicalDeviceMemoryProperties& props,
                         const VkMemoryRequirements& reqs, const VkAllocationCallbacks* alloc,
                         DmaBufImage* out) {
    VkMemoryFdPropertiesKHR fd_props{VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR};
    if (VkResult r = next.GetMemoryFdPropertiesKHR(
            device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT, out->dma_buf.fd(), &fd_props);
        r != VK_SUCCESS) {
        return r;
    }
    const uint32_t type = pick_memory_type(props, reqs.memoryTypeBits & fd_props.memoryTypeBits);
    if (type == UINT32_MAX) {
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    auto driver_copy = kernel::UniqueFd::duplicate(out->dma_buf.fd());
    if (!driver_copy) {
        return VK_ERROR_TOO_MANY_OBJECTS;
    }
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.image = out->image;
    VkImportMemoryFdInfoKHR import_info{VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR};
    import_info.pNext = &dedicated;
    import_info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    import_info.fd = driver_copy->get();
    VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    allocate.pNext = &import_info;
    allocate.allocationSize = reqs.size;
    allocate.memoryTypeIndex = type;
    if (VkResult r = next.AllocateMemory(device, &allocate, alloc, &out->memory); r != VK_SUCCESS) {
        return r;  // the driver took nothing: driver_copy closes its fd
    }
    (void)driver_copy->release();  // a successful import owns the fd
    out->size = reqs.size;
    return next.BindImageMemory(device, out->image, out->memory, 0);
}

VkResult export_memory(const dispatch::DeviceTable& next, VkDevice device, DmaBufImage* out) {
    VkMemoryGetFdInfoKHR get_fd{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
    get_fd.memory = out->memory;
    get_fd.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    int fd = -1;
    if (VkResult r = next.GetMemoryFdKHR(device, &get_fd, &fd); r != VK_SUCCESS) {
        return r;
    }
    out->dma_buf = kernel::DmaBuf(kernel::UniqueFd(fd));
    return VK_SUCCESS;
}

// The modifier, offset and row pitch the consumer is told (plane 0).
VkResult describe(const dispatch::DeviceTable& next, VkDevice device, const DmaBufImageInfo& info,
                  DmaBufImage* out) {
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

// The driver exports: it allocates, the layer takes a dma-buf of the memory.
VkResult create_exported(const dispatch::DeviceTable& next, VkDevice device,
                         const VkPhysicalDeviceMemoryProperties& memory_properties,
                         const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                         DmaBufImage* out) {
    VkResult r = create_image(next, device, info, nullptr, alloc, &out->image);
    if (r == VK_SUCCESS) {
        r = allocate_and_bind(next, device, memory_properties, alloc, out);
    }
    if (r == VK_SUCCESS) {
        r = export_memory(next, device, out);
    }
    if (r == VK_SUCCESS) {
        r = describe(next, device, info, out);
    }
    return r;
}

// The driver only imports: the layer asks the driver for the layout it wants (an image it lets
// choose), allocates a dma-buf that size, and creates the real image with that layout spelt
// out, bound to the imported dma-buf.
VkResult create_imported(const dispatch::DeviceTable& next, VkDevice device,
                         const VkPhysicalDeviceMemoryProperties& memory_properties,
                         const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                         DmaBufImage* out) {
    VkResult r = create_image(next, device, info, nullptr, alloc, &out->image);
    if (r != VK_SUCCESS) {
        return r;
    }
    VkMemoryRequirements reqs;
    next.GetImageMemoryRequirements(device, out->image, &reqs);
    if (r = describe(next, device, info, out); r != VK_SUCCESS) {
        return r;
    }
    if (info.use_drm_format_modifier) {
        VkSubresourceLayout layout{};
        layout.offset = out->offset;
        layout.rowPitch = out->stride;
        next.DestroyImage(device, out->image, alloc);
        out->image = VK_NULL_HANDLE;
        if (r = create_image(next, device, info, &layout, alloc, &out->image); r != VK_SUCCESS) {
            return r;
        }
        next.GetImageMemoryRequirements(device, out->image, &reqs);
    }
    const auto fault = util::injected_fault(util::FaultSite::alloc_dma_buf);
    auto allocation =
        fault
            ? kernel::Result<kernel::DmaBufAllocation>(kernel::Error{*fault, "allocate a dma-buf"})
            : kernel::allocate_dma_buf(reqs.size, info.consumer_device);
    if (!allocation) {
        SB_LOG_ONCE(error, "swapchain memory: %s", allocation.error().describe().c_str());
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    out->dma_buf = std::move(allocation->buffer);
    if (r = import_and_bind(next, device, memory_properties, reqs, alloc, out); r != VK_SUCCESS) {
        return r;
    }
    SB_LOG_ONCE(info, "swapchain memory comes from %s (the driver imports dma-bufs only)",
                allocation->source.c_str());
    return VK_SUCCESS;
}

}  // namespace

VkResult create_dma_buf_image(const dispatch::DeviceTable& next, VkDevice device,
                              const VkPhysicalDeviceMemoryProperties& memory_properties,
                              const DmaBufImageInfo& info, const VkAllocationCallbacks* alloc,
                              DmaBufImage* out) {
    *out = DmaBufImage{};
    const VkResult r = info.layer_allocates
                           ? create_imported(next, device, memory_properties, info, alloc, out)
                           : create_exported(next, device, memory_properties, info, alloc, out);
    if (r != VK_SUCCESS) {
        destroy_dma_buf_image(next, device, alloc, out);
    }
    return r;
}

VkResult create_alias_image(const dispatch::DeviceTable& next, VkDevice device,
                            const DmaBufImageInfo& info, const DmaBufImage& like,
                            const VkAllocationCallbacks* alloc, VkImage* image) {
    if (!info.use_drm_format_modifier) {
        // LINEAR tiling: the same parameters give the same layout.
        return create_image(next, device, info, nullptr, alloc, image);
    }
    VkSubresourceLayout layout{};
    layout.offset = like.offset;
    layout.rowPitch = like.stride;
    return create_image(next, device, info, &layout, alloc, image);
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
