// vkCreateInstance / vkDestroyInstance and the layer's and device's property lists.
#include <algorithm>
#include <cstring>

#include "dispatch/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/extensions.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

constexpr VkLayerProperties kLayerProperties = {
    "VK_LAYER_SYNCBRIDGE_gpusim", VK_MAKE_API_VERSION(0, 1, 3, 0), 1,
    "gpusim: lavapipe as a slow, explicit-sync-only, dma-buf capable GPU (syncbridge tests)"};

template <typename T>
VkResult fill(const std::vector<T>& items, uint32_t* count, T* out) {
    if (out == nullptr) {
        *count = static_cast<uint32_t>(items.size());
        return VK_SUCCESS;
    }
    const uint32_t n = std::min<uint32_t>(*count, static_cast<uint32_t>(items.size()));
    std::copy_n(items.begin(), n, out);
    *count = n;
    return n < items.size() ? VK_INCOMPLETE : VK_SUCCESS;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateInstance(const VkInstanceCreateInfo* info,
                                              const VkAllocationCallbacks* alloc,
                                              VkInstance* instance) noexcept {
    return guarded("vkCreateInstance", [&]() -> VkResult {
        const auto next = dispatch::next_instance_link(info);
        if (!next) {
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        auto* data = util::host_new<Instance>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_INSTANCE);
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
        data->config = read_config();
        auto vgem = test::Vgem::open();
        data->offer = make_offer(data->config, vgem.ok());
        dispatch::load_instance_table(data->next, *instance, next->get_instance_proc_addr);
        instances().insert(dispatch::dispatch_key(*instance), data);
        GPUSIM_LOG(info, "instance: vgem %s, dma-buf %s, SYNC_FD %s, latency %u ms + jitter %u ms",
                   vgem.ok() ? "present" : "absent", data->offer.dma_buf ? "on" : "off",
                   data->offer.sync_fd ? "on" : "off", data->config.latency_ms,
                   data->config.jitter_ms);
        return VK_SUCCESS;
    });
}

VKAPI_ATTR void VKAPI_CALL DestroyInstance(VkInstance instance,
                                           const VkAllocationCallbacks* alloc) noexcept {
    if (instance == VK_NULL_HANDLE) {
        return;
    }
    Instance* data = instances().remove(dispatch::dispatch_key(instance));
    if (data == nullptr) {
        return;
    }
    data->next.DestroyInstance(instance, alloc);
    util::host_delete(data->alloc.get(), data);
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceLayerProperties(uint32_t* count,
                                                                VkLayerProperties* props) noexcept {
    return guarded("vkEnumerateInstanceLayerProperties", [&] {
        return fill(std::vector<VkLayerProperties>{kLayerProperties}, count, props);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateDeviceLayerProperties(VkPhysicalDevice /*pd*/,
                                                              uint32_t* count,
                                                              VkLayerProperties* props) noexcept {
    return guarded("vkEnumerateDeviceLayerProperties", [&] {
        return fill(std::vector<VkLayerProperties>{kLayerProperties}, count, props);
    });
}

VKAPI_ATTR VkResult VKAPI_CALL EnumerateInstanceExtensionProperties(
    const char* layer, uint32_t* count, VkExtensionProperties* /*props*/) noexcept {
    if (layer != nullptr && std::strcmp(layer, kLayerName) == 0) {
        *count = 0;
        return VK_SUCCESS;
    }
    return VK_ERROR_LAYER_NOT_PRESENT;
}

VKAPI_ATTR VkResult VKAPI_CALL
EnumerateDeviceExtensionProperties(VkPhysicalDevice pd, const char* layer, uint32_t* count,
                                   VkExtensionProperties* props) noexcept {
    return guarded("vkEnumerateDeviceExtensionProperties", [&]() -> VkResult {
        Instance* inst = instance_of(pd);
        if (inst == nullptr) {
            return VK_ERROR_INITIALIZATION_FAILED;
        }
        if (layer != nullptr && std::strcmp(layer, kLayerName) == 0) {
            return fill(offered_extensions(device_offer(*inst, pd)), count, props);
        }
        if (layer != nullptr) {
            return inst->next.EnumerateDeviceExtensionProperties(pd, layer, count, props);
        }
        // As such a driver would list them: lavapipe's own plus what gpusim implements.
        auto list = driver_extensions(*inst, pd);
        for (const auto& ext : offered_extensions(device_offer(*inst, pd))) {
            if (!has_extension(list, ext.extensionName)) {
                list.push_back(ext);
            }
        }
        return fill(list, count, props);
    });
}

}  // namespace sb::gpusim
