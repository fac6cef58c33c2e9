// Physical-device queries, answered as a driver with gpusim's offer would answer them. What
// gpusim does not offer (no vgem, or switched off) is lavapipe's answer, unchanged: absent.
#include <drm_fourcc.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "dispatch/chain.hpp"
#include "gpusim/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/extensions.hpp"
#include "gpusim/formats.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/state.hpp"
#include "kernel/drm_node.hpp"

namespace sb::gpusim {
namespace {

constexpr auto kDmaBuf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;

// The dma-buf answer: importable, exportable unless switched off, compatible only with itself.
VkExternalMemoryProperties dma_buf_properties(const Offer& offer) {
    VkExternalMemoryFeatureFlags features = VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
    if (offer.dma_buf_export) {
        features |= VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT;
    }
    return {features, kDmaBuf, kDmaBuf};
}

// Core 1.1 command, or its KHR alias when only that is there.
template <typename Fn>
Fn core_or_khr(Fn core, Fn khr) {
    return core != nullptr ? core : khr;
}

template <typename T>
T* find_out(void* pnext, VkStructureType type) {
    return const_cast<T*>(dispatch::find_struct<T>(pnext, type));
}

// VK_EXT_physical_device_drm's answer for the DRM device at `path` (any of its nodes): its
// primary and render nodes, as a driver for that GPU reports them.
void describe_drm_device(const std::string& path, VkPhysicalDeviceDrmPropertiesEXT* drm) {
    drm->hasPrimary = VK_FALSE;
    drm->hasRender = VK_FALSE;
    struct stat named {};
    if (::stat(path.c_str(), &named) != 0 || !S_ISCHR(named.st_mode)) {
        return;
    }
    const auto fill = [&](kernel::DrmNode kind, VkBool32* has, int64_t* major, int64_t* minor) {
        const auto node = kernel::drm_node_path(named.st_rdev, kind);
        struct stat st {};
        if (node && ::stat(node->c_str(), &st) == 0) {
            *has = VK_TRUE;
            *major = ::major(st.st_rdev);
            *minor = ::minor(st.st_rdev);
        }
    };
    fill(kernel::DrmNode::card, &drm->hasPrimary, &drm->primaryMajor, &drm->primaryMinor);
    fill(kernel::DrmNode::render, &drm->hasRender, &drm->renderMajor, &drm->renderMinor);
}

}  // namespace

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalBufferProperties(
    VkPhysicalDevice pd, const VkPhysicalDeviceExternalBufferInfo* info,
    VkExternalBufferProperties* props) noexcept {
    guarded_void("vkGetPhysicalDeviceExternalBufferProperties", [&] {
        Instance* inst = instance_of(pd);
        constexpr VkBufferCreateFlags kSparse = VK_BUFFER_CREATE_SPARSE_BINDING_BIT |
                                                VK_BUFFER_CREATE_SPARSE_RESIDENCY_BIT |
                                                VK_BUFFER_CREATE_SPARSE_ALIASED_BIT;
        if (info->handleType == kDmaBuf && device_offer(*inst, pd).dma_buf) {
            props->externalMemoryProperties = (info->flags & kSparse) != 0
                                                  ? VkExternalMemoryProperties{}
                                                  : dma_buf_properties(device_offer(*inst, pd));
            return;
        }
        core_or_khr(inst->next.GetPhysicalDeviceExternalBufferProperties,
                    inst->next.GetPhysicalDeviceExternalBufferPropertiesKHR)(pd, info, props);
    });
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalSemaphoreProperties(
    VkPhysicalDevice pd, const VkPhysicalDeviceExternalSemaphoreInfo* info,
    VkExternalSemaphoreProperties* props) noexcept {
    Instance* inst = instance_of(pd);
    if (info->handleType == VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT && inst->offer.sync_fd) {
        const auto* type = dispatch::find_struct<VkSemaphoreTypeCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO);
        const bool timeline = type != nullptr && type->semaphoreType == VK_SEMAPHORE_TYPE_TIMELINE;
        // SYNC_FD is for binary semaphores only.
        props->exportFromImportedHandleTypes =
            timeline ? 0 : VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
        props->compatibleHandleTypes = props->exportFromImportedHandleTypes;
        props->externalSemaphoreFeatures = timeline
                                               ? 0
                                               : VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT |
                                                     VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT;
        return;
    }
    core_or_khr(inst->next.GetPhysicalDeviceExternalSemaphoreProperties,
                inst->next.GetPhysicalDeviceExternalSemaphorePropertiesKHR)(pd, info, props);
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceExternalFenceProperties(
    VkPhysicalDevice pd, const VkPhysicalDeviceExternalFenceInfo* info,
    VkExternalFenceProperties* props) noexcept {
    Instance* inst = instance_of(pd);
    if (info->handleType == VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT && inst->offer.sync_fd) {
        props->exportFromImportedHandleTypes = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
        props->compatibleHandleTypes = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
        props->externalFenceFeatures =
            VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_FENCE_FEATURE_IMPORTABLE_BIT;
        return;
    }
    core_or_khr(inst->next.GetPhysicalDeviceExternalFenceProperties,
                inst->next.GetPhysicalDeviceExternalFencePropertiesKHR)(pd, info, props);
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceImageFormatProperties2(
    VkPhysicalDevice pd, const VkPhysicalDeviceImageFormatInfo2* info,
    VkImageFormatProperties2* props) noexcept {
    return guarded("vkGetPhysicalDeviceImageFormatProperties2", [&]() -> VkResult {
        Instance* inst = instance_of(pd);
        auto next = core_or_khr(inst->next.GetPhysicalDeviceImageFormatProperties2,
                                inst->next.GetPhysicalDeviceImageFormatProperties2KHR);
        const auto* external = dispatch::find_struct<VkPhysicalDeviceExternalImageFormatInfo>(
            info->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO);
        const auto* modifier_info =
            dispatch::find_struct<VkPhysicalDeviceImageDrmFormatModifierInfoEXT>(
                info->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT);
        const bool dma_buf = external != nullptr && external->handleType == kDmaBuf;
        const bool modifier = info->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
        if ((!dma_buf && !modifier) || !device_offer(*inst, pd).dma_buf) {
            return next(pd, info, props);
        }
        constexpr VkImageCreateFlags kSparse = VK_IMAGE_CREATE_SPARSE_BINDING_BIT |
                                               VK_IMAGE_CREATE_SPARSE_RESIDENCY_BIT |
                                               VK_IMAGE_CREATE_SPARSE_ALIASED_BIT;
        // dma-buf images are LINEAR here (OPTIMAL is lavapipe's private layout); the one
        // modifier is LINEAR.
        if ((modifier && (modifier_info == nullptr ||
                          modifier_info->drmFormatModifier != DRM_FORMAT_MOD_LINEAR ||
                          is_multi_planar(info->format))) ||
            (!modifier && info->tiling != VK_IMAGE_TILING_LINEAR) ||
            (dma_buf && (info->flags & kSparse) != 0)) {
            return VK_ERROR_FORMAT_NOT_SUPPORTED;
        }
        ChainCopy chain;
        if (!chain.copy(info->pNext,
                        {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO,
                         VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_DRM_FORMAT_MODIFIER_INFO_EXT})) {
            return VK_ERROR_FORMAT_NOT_SUPPORTED;
        }
        VkPhysicalDeviceImageFormatInfo2 linear = *info;
        linear.pNext = chain.head();
        linear.tiling = VK_IMAGE_TILING_LINEAR;
        const VkResult r = next(pd, &linear, props);
        if (r != VK_SUCCESS) {
            return r;
        }
        if (auto* out = find_out<VkExternalImageFormatProperties>(
                props->pNext, VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES)) {
            out->externalMemoryProperties = dma_buf ? dma_buf_properties(device_offer(*inst, pd))
                                                    : VkExternalMemoryProperties{};
        }
        return VK_SUCCESS;
    });
}

namespace {

void answer_format_properties(VkPhysicalDevice pd, VkFormat format, VkFormatProperties2* props) {
    Instance* inst = instance_of(pd);
    auto next = core_or_khr(inst->next.GetPhysicalDeviceFormatProperties2,
                            inst->next.GetPhysicalDeviceFormatProperties2KHR);
    next(pd, format, props);
    auto* list = find_out<VkDrmFormatModifierPropertiesListEXT>(
        props->pNext, VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT);
    auto* list2 = find_out<VkDrmFormatModifierPropertiesList2EXT>(
        props->pNext, VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_2_EXT);
    if ((list == nullptr && list2 == nullptr) || !device_offer(*inst, pd).dma_buf) {
        return;
    }
    // One modifier, LINEAR, with lavapipe's LINEAR features (none: no modifier at all).
    VkFormatProperties3 props3{VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3};
    VkFormatProperties2 query{VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2};
    query.pNext = &props3;
    next(pd, format, &query);
    const VkFormatFeatureFlags features = query.formatProperties.linearTilingFeatures;
    const VkFormatFeatureFlags2 features2 =
        props3.linearTilingFeatures != 0 ? props3.linearTilingFeatures : features;
    const uint32_t available = features != 0 && !is_multi_planar(format) ? 1 : 0;
    if (list != nullptr) {
        if (list->pDrmFormatModifierProperties == nullptr) {
            list->drmFormatModifierCount = available;
        } else {
            list->drmFormatModifierCount = std::min(list->drmFormatModifierCount, available);
            if (list->drmFormatModifierCount == 1) {
                list->pDrmFormatModifierProperties[0] = {DRM_FORMAT_MOD_LINEAR, 1, features};
            }
        }
    }
    if (list2 != nullptr) {
        if (list2->pDrmFormatModifierProperties == nullptr) {
            list2->drmFormatModifierCount = available;
        } else {
            list2->drmFormatModifierCount = std::min(list2->drmFormatModifierCount, available);
            if (list2->drmFormatModifierCount == 1) {
                list2->pDrmFormatModifierProperties[0] = {DRM_FORMAT_MOD_LINEAR, 1, features2};
            }
        }
    }
}

}  // namespace

VKAPI_ATTR void VKAPI_CALL
GetPhysicalDeviceProperties2(VkPhysicalDevice pd, VkPhysicalDeviceProperties2* props) noexcept {
    guarded_void("vkGetPhysicalDeviceProperties2", [&] {
        Instance* inst = instance_of(pd);
        core_or_khr(inst->next.GetPhysicalDeviceProperties2,
                    inst->next.GetPhysicalDeviceProperties2KHR)(pd, props);
        auto* drm = find_out<VkPhysicalDeviceDrmPropertiesEXT>(
            props->pNext, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT);
        const Offer offer = device_offer(*inst, pd);
        if (drm != nullptr && !offer.drm_device.empty()) {
            describe_drm_device(offer.drm_device, drm);
        }
    });
}

VKAPI_ATTR void VKAPI_CALL GetPhysicalDeviceFormatProperties2(VkPhysicalDevice pd, VkFormat format,
                                                              VkFormatProperties2* props) noexcept {
    guarded_void("vkGetPhysicalDeviceFormatProperties2",
                 [&] { answer_format_properties(pd, format, props); });
}

}  // namespace sb::gpusim
