// Images for dma-buf memory: VK_EXT_image_drm_format_modifier with the one modifier lavapipe can
// honour, DRM_FORMAT_MOD_LINEAR, which is lavapipe's own LINEAR tiling (its layout: rows padded
// to 64 bytes, see vm-facts). gpusim never invents a layout: sizes and pitches are lavapipe's.
#include <drm_fourcc.h>

#include "dispatch/chain.hpp"
#include "gpusim/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/formats.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

constexpr auto kDmaBuf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
constexpr auto kHostAllocation = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;

bool lists_linear(const VkImageDrmFormatModifierListCreateInfoEXT& list) {
    for (uint32_t i = 0; i < list.drmFormatModifierCount; ++i) {
        if (list.pDrmFormatModifiers[i] == DRM_FORMAT_MOD_LINEAR) {
            return true;
        }
    }
    return false;
}

// The app's explicit layout must be lavapipe's own: gpusim cannot make lavapipe use another.
bool layout_matches(const Device& dev, VkImage image, const VkImageCreateInfo& info,
                    const VkSubresourceLayout& wanted) {
    VkImageSubresource sub{VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
    VkSubresourceLayout actual{};
    dev.next.GetImageSubresourceLayout(dev.handle, image, &sub, &actual);
    return wanted.offset == actual.offset && wanted.rowPitch == actual.rowPitch &&
           (info.arrayLayers <= 1 || wanted.arrayPitch == actual.arrayPitch) &&
           (info.extent.depth <= 1 || wanted.depthPitch == actual.depthPitch);
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateImage(VkDevice device, const VkImageCreateInfo* info,
                                           const VkAllocationCallbacks* alloc,
                                           VkImage* image) noexcept {
    return guarded("vkCreateImage", [&]() -> VkResult {
        Device* dev = device_of(device);
        const auto* external = dispatch::find_struct<VkExternalMemoryImageCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO);
        const bool dma_buf = external != nullptr && (external->handleTypes & kDmaBuf);
        const bool modifier = info->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
        if (!dev->offer.dma_buf || (!dma_buf && !modifier)) {
            return dev->next.CreateImage(device, info, alloc, image);
        }
        const auto* list = dispatch::find_struct<VkImageDrmFormatModifierListCreateInfoEXT>(
            info->pNext, VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT);
        const auto* explicit_info =
            dispatch::find_struct<VkImageDrmFormatModifierExplicitCreateInfoEXT>(
                info->pNext, VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT);
        if (modifier) {
            const bool linear = list != nullptr ? lists_linear(*list)
                                : explicit_info != nullptr
                                    ? explicit_info->drmFormatModifier == DRM_FORMAT_MOD_LINEAR
                                    : false;
            if (!linear || is_multi_planar(info->format)) {
                GPUSIM_LOG(error, "vkCreateImage: only DRM_FORMAT_MOD_LINEAR, single plane");
                return VK_ERROR_FORMAT_NOT_SUPPORTED;
            }
            if (explicit_info != nullptr && explicit_info->drmFormatModifierPlaneCount != 1) {
                return VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT;
            }
        }

        ChainCopy chain;
        if (!chain.copy(info->pNext,
                        {VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT,
                         VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT})) {
            GPUSIM_LOG(error, "vkCreateImage: unknown structure in pNext");
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        if (auto* copy = chain.find<VkExternalMemoryImageCreateInfo>(
                VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO);
            copy != nullptr && (copy->handleTypes & kDmaBuf)) {
            // lavapipe will see host memory, not a dma-buf.
            copy->handleTypes = (copy->handleTypes & ~kDmaBuf) | kHostAllocation;
        }
        VkImageCreateInfo modified = *info;
        modified.pNext = chain.head();
        if (modifier) {
            modified.tiling = VK_IMAGE_TILING_LINEAR;
        }
        const VkResult r = dev->next.CreateImage(device, &modified, alloc, image);
        if (r != VK_SUCCESS || explicit_info == nullptr || !modifier) {
            return r;
        }
        if (!layout_matches(*dev, *image, *info, explicit_info->pPlaneLayouts[0])) {
            dev->next.DestroyImage(device, *image, alloc);
            *image = VK_NULL_HANDLE;
            return VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT;
        }
        return VK_SUCCESS;
    });
}

VKAPI_ATTR void VKAPI_CALL GetImageSubresourceLayout(VkDevice device, VkImage image,
                                                     const VkImageSubresource* subresource,
                                                     VkSubresourceLayout* layout) noexcept {
    Device* dev = device_of(device);
    // DRM-modifier images are addressed by memory plane; a LINEAR image has one, lavapipe's
    // color plane.
    constexpr VkImageAspectFlags kMemoryPlanes =
        VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT | VK_IMAGE_ASPECT_MEMORY_PLANE_1_BIT_EXT |
        VK_IMAGE_ASPECT_MEMORY_PLANE_2_BIT_EXT | VK_IMAGE_ASPECT_MEMORY_PLANE_3_BIT_EXT;
    if ((subresource->aspectMask & kMemoryPlanes) == 0) {
        dev->next.GetImageSubresourceLayout(device, image, subresource, layout);
        return;
    }
    if (subresource->aspectMask != VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT) {
        *layout = {};
        return;
    }
    VkImageSubresource color = *subresource;
    color.aspectMask = VK_IMAGE_ASPECT_COLOR_BIT;
    dev->next.GetImageSubresourceLayout(device, image, &color, layout);
}

VKAPI_ATTR VkResult VKAPI_CALL GetImageDrmFormatModifierPropertiesEXT(
    VkDevice /*device*/, VkImage /*image*/, VkImageDrmFormatModifierPropertiesEXT* props) noexcept {
    // Every image gpusim made with DRM_FORMAT_MODIFIER tiling is a LINEAR one.
    props->drmFormatModifier = DRM_FORMAT_MOD_LINEAR;
    return VK_SUCCESS;
}

}  // namespace sb::gpusim
