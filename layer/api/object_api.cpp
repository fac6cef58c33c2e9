// Commands that take a handle of any object type: private data, debug names and tags. A
// layer-owned swapchain's handle is the layer's record (wsi_state.hpp), which a driver would
// read as an object of its own (lavapipe's vk_object_base): those calls never go down with it.
// Every other handle goes down untouched. The Vulkan CTS found this (private_data.* segfaulted).
#include <cstdint>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"

namespace sb::api {
namespace {

SwapchainData* layer_swapchain(VkObjectType type, uint64_t handle) {
    if (type != VK_OBJECT_TYPE_SWAPCHAIN_KHR) {
        return nullptr;
    }
    return swapchain_data(
        reinterpret_cast<VkSwapchainKHR>(handle));  // NOLINT(performance-no-int-to-ptr)
}

// VK_EXT_debug_marker names object types with its own enum.
SwapchainData* layer_swapchain(VkDebugReportObjectTypeEXT type, uint64_t handle) {
    if (type != VK_DEBUG_REPORT_OBJECT_TYPE_SWAPCHAIN_KHR_EXT) {
        return nullptr;
    }
    return layer_swapchain(VK_OBJECT_TYPE_SWAPCHAIN_KHR, handle);
}

uint64_t anchor_handle(const SwapchainData& chain) {
    return reinterpret_cast<uint64_t>(chain.private_data_anchor);
}

// The swapchain's private data is the anchor semaphore's (SwapchainData::private_data_anchor).
// `next` is the driver's core or EXT entry point: the app may have only the extension.
template <typename Next, typename... Rest>
auto private_data_call(Next next, VkDevice device, VkObjectType type, uint64_t handle,
                       Rest... rest) {
    if (const SwapchainData* chain = layer_swapchain(type, handle)) {
        return next(device, VK_OBJECT_TYPE_SEMAPHORE, anchor_handle(*chain), rest...);
    }
    return next(device, type, handle, rest...);
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL SetPrivateData(VkDevice device, VkObjectType type, uint64_t handle,
                                              VkPrivateDataSlot slot, uint64_t data) {
    return private_data_call(device_data(device)->next.SetPrivateData, device, type, handle, slot,
                             data);
}

VKAPI_ATTR void VKAPI_CALL GetPrivateData(VkDevice device, VkObjectType type, uint64_t handle,
                                          VkPrivateDataSlot slot, uint64_t* data) {
    private_data_call(device_data(device)->next.GetPrivateData, device, type, handle, slot, data);
}

VKAPI_ATTR VkResult VKAPI_CALL SetPrivateDataEXT(VkDevice device, VkObjectType type,
                                                 uint64_t handle, VkPrivateDataSlot slot,
                                                 uint64_t data) {
    return private_data_call(device_data(device)->next.SetPrivateDataEXT, device, type, handle,
                             slot, data);
}

VKAPI_ATTR void VKAPI_CALL GetPrivateDataEXT(VkDevice device, VkObjectType type, uint64_t handle,
                                             VkPrivateDataSlot slot, uint64_t* data) {
    private_data_call(device_data(device)->next.GetPrivateDataEXT, device, type, handle, slot,
                      data);
}

// Names and tags of a layer-owned swapchain are accepted and dropped: they are for tools below
// the app, and the driver below the layer has no such object to name.
VKAPI_ATTR VkResult VKAPI_CALL
SetDebugUtilsObjectNameEXT(VkDevice device, const VkDebugUtilsObjectNameInfoEXT* info) {
    if (layer_swapchain(info->objectType, info->objectHandle) != nullptr) {
        return VK_SUCCESS;
    }
    return device_data(device)->next.SetDebugUtilsObjectNameEXT(device, info);
}

VKAPI_ATTR VkResult VKAPI_CALL SetDebugUtilsObjectTagEXT(VkDevice device,
                                                         const VkDebugUtilsObjectTagInfoEXT* info) {
    if (layer_swapchain(info->objectType, info->objectHandle) != nullptr) {
        return VK_SUCCESS;
    }
    return device_data(device)->next.SetDebugUtilsObjectTagEXT(device, info);
}

VKAPI_ATTR VkResult VKAPI_CALL
DebugMarkerSetObjectNameEXT(VkDevice device, const VkDebugMarkerObjectNameInfoEXT* info) {
    if (layer_swapchain(info->objectType, info->object) != nullptr) {
        return VK_SUCCESS;
    }
    return device_data(device)->next.DebugMarkerSetObjectNameEXT(device, info);
}

VKAPI_ATTR VkResult VKAPI_CALL
DebugMarkerSetObjectTagEXT(VkDevice device, const VkDebugMarkerObjectTagInfoEXT* info) {
    if (layer_swapchain(info->objectType, info->object) != nullptr) {
        return VK_SUCCESS;
    }
    return device_data(device)->next.DebugMarkerSetObjectTagEXT(device, info);
}

}  // namespace sb::api
