#include <cstring>

#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "dispatch/chain.hpp"
#include "util/log.hpp"

namespace sb::api {

VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo* info,
                                              const VkAllocationCallbacks* alloc,
                                              VkInstance* instance) {
    const auto next = dispatch::next_instance_link(info);
    if (!next) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }

    auto* data = util::host_new<InstanceData>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE);
    if (data == nullptr) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    next->advance();
    const VkResult result = next->create(info, alloc, instance);
    if (result != VK_SUCCESS) {
        util::host_delete(alloc, data);
        return result;
    }
    data->handle = *instance;
    data->alloc = util::SavedAllocator(alloc);
    if (info->pApplicationInfo != nullptr && info->pApplicationInfo->apiVersion != 0) {
        data->app_api_version = info->pApplicationInfo->apiVersion;
    }
    dispatch::load_instance_table(data->next, *instance, next->get_instance_proc_addr);
    instances().insert(dispatch::dispatch_key(*instance), data);
    SB_LOG(debug, "instance %p created", static_cast<void*>(*instance));
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance,
                                           const VkAllocationCallbacks* alloc) {
    if (instance == VK_NULL_HANDLE) {
        return;
    }
    InstanceData* data = instances().remove(dispatch::dispatch_key(instance));
    if (data == nullptr) {
        return;
    }
    data->next.DestroyInstance(instance, alloc);
    util::host_delete(data->alloc.get(), data);
}

namespace {

constexpr VkLayerProperties kLayerProperties = {
    "VK_LAYER_SYNCBRIDGE_wsi", VK_MAKE_API_VERSION(0, 1, 3, 0), 1,
    "syncbridge: explicit-to-implicit sync bridge for Linux window systems"};

VkResult report_layer(uint32_t* count, VkLayerProperties* props) {
    if (props == nullptr) {
        *count = 1;
        return VK_SUCCESS;
    }
    if (*count < 1) {
        return VK_INCOMPLETE;
    }
    props[0] = kLayerProperties;
    *count = 1;
    return VK_SUCCESS;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceLayerProperties(uint32_t* count,
                                                                VkLayerProperties* props) {
    return report_layer(count, props);
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceLayerProperties(VkPhysicalDevice /*pd*/,
                                                              uint32_t* count,
                                                              VkLayerProperties* props) {
    return report_layer(count, props);
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceExtensionProperties(
    const char* layer_name, uint32_t* count, VkExtensionProperties* /*props*/) {
    // The loader asks a layer only about its own extensions; it has none of its own yet.
    if (layer_name != nullptr && std::strcmp(layer_name, kLayerName) == 0) {
        *count = 0;
        return VK_SUCCESS;
    }
    return VK_ERROR_LAYER_NOT_PRESENT;
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceExtensionProperties(VkPhysicalDevice pd,
                                                                  const char* layer_name,
                                                                  uint32_t* count,
                                                                  VkExtensionProperties* props) {
    if (layer_name != nullptr && std::strcmp(layer_name, kLayerName) == 0) {
        *count = 0;
        return VK_SUCCESS;
    }
    InstanceData* inst = instance_data(pd);
    if (inst == nullptr) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    // Unchanged: the app sees the driver's list, not what the layer enables behind it.
    return inst->next.EnumerateDeviceExtensionProperties(pd, layer_name, count, props);
}

}  // namespace sb::api
