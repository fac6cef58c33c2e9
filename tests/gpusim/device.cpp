// vkCreateDevice / vkDestroyDevice: the extension list lavapipe gets, vgem, the queue threads.
#include <cstring>
#include <string>
#include <vector>

#include "dispatch/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/extensions.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/queue.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

bool same(const char* a, const char* b) {
    return std::strcmp(a, b) == 0;
}

// Records what the app enabled; false for a gpusim extension that is not on offer.
bool note_enabled(EnabledExtensions& enabled, const char* name, const Offer& offer) {
    if (same(name, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
        enabled.memory_host = true;
    } else if (same(name, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME)) {
        enabled.memory_fd = true;
    } else if (same(name, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME)) {
        enabled.dma_buf = true;
        return offer.dma_buf;
    } else if (same(name, VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME)) {
        enabled.drm_format_modifier = true;
        return offer.dma_buf;
    } else if (same(name, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME)) {
        enabled.semaphore_fd = true;
        return offer.sync_fd;
    } else if (same(name, VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME)) {
        enabled.fence_fd = true;
        return offer.sync_fd;
    }
    return true;
}

VkResult create_queues(Device& dev, const VkDeviceCreateInfo& info) {
    for (uint32_t i = 0; i < info.queueCreateInfoCount; ++i) {
        const VkDeviceQueueCreateInfo& q = info.pQueueCreateInfos[i];
        for (uint32_t index = 0; index < q.queueCount; ++index) {
            VkQueue handle = VK_NULL_HANDLE;
            if (q.flags == 0) {
                dev.next.GetDeviceQueue(dev.handle, q.queueFamilyIndex, index, &handle);
            } else {
                VkDeviceQueueInfo2 info2{VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2};
                info2.flags = q.flags;
                info2.queueFamilyIndex = q.queueFamilyIndex;
                info2.queueIndex = index;
                dev.next.GetDeviceQueue2(dev.handle, &info2, &handle);
            }
            auto* queue = util::host_new<SimQueue>(dev.alloc.get(),
                                                   VK_SYSTEM_ALLOCATION_SCOPE_DEVICE, dev, handle);
            if (queue == nullptr) {
                return VK_ERROR_OUT_OF_HOST_MEMORY;
            }
            dev.queues.push_back(queue);
            if (const VkResult r = queue->start(); r != VK_SUCCESS) {
                return r;
            }
        }
    }
    return VK_SUCCESS;
}

void destroy_queues(Device& dev) {
    for (SimQueue* queue : dev.queues) {
        util::host_delete(dev.alloc.get(), queue);
    }
    dev.queues.clear();
}

VkDeviceSize host_pointer_alignment(const Instance& inst, VkPhysicalDevice pd) {
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT host{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &host;
    auto get = inst.next.GetPhysicalDeviceProperties2 != nullptr
                   ? inst.next.GetPhysicalDeviceProperties2
                   : inst.next.GetPhysicalDeviceProperties2KHR;
    get(pd, &props);
    return host.minImportedHostPointerAlignment != 0 ? host.minImportedHostPointerAlignment : 4096;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo* info,
                                            const VkAllocationCallbacks* alloc,
                                            VkDevice* device) noexcept {
    return guarded("vkCreateDevice", [&]() -> VkResult {
        Instance* inst = instance_of(pd);
        const auto next =
            inst != nullptr ? dispatch::next_device_link(info, inst->handle) : std::nullopt;
        if (!next) {
            return VK_ERROR_INITIALIZATION_FAILED;
        }

        const Offer offer = device_offer(*inst, pd);
        const auto available = driver_extensions(*inst, pd);
        EnabledExtensions enabled;
        // lavapipe gets the app's list minus what gpusim implements and lavapipe lacks, plus
        // VK_EXT_external_memory_host when gpusim needs it for dma-buf memory.
        std::vector<const char*> names;
        for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
            const char* name = info->ppEnabledExtensionNames[i];
            if (!note_enabled(enabled, name, offer)) {
                GPUSIM_LOG(error, "vkCreateDevice: %s is not on offer (see GPUSIM_* and vgem)",
                           name);
                return VK_ERROR_EXTENSION_NOT_PRESENT;
            }
            if (!implemented_by_gpusim(name) || has_extension(available, name)) {
                names.push_back(name);
            }
        }
        if (offer.dma_buf && !enabled.memory_host) {
            names.push_back(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
        }
        VkDeviceCreateInfo modified = *info;
        modified.enabledExtensionCount = static_cast<uint32_t>(names.size());
        modified.ppEnabledExtensionNames = names.data();

        auto* dev = util::host_new<Device>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
        if (dev == nullptr) {
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        next->advance();
        const VkResult result = next->create(pd, &modified, alloc, device);
        if (result != VK_SUCCESS) {
            util::host_delete(alloc, dev);
            return result;
        }
        dev->handle = *device;
        dev->physical_device = pd;
        dev->instance = inst;
        dev->alloc = util::SavedAllocator(alloc);
        dev->config = inst->config;
        dev->offer = offer;
        dev->enabled = enabled;
        dev->next_get_device_proc_addr = next->get_device_proc_addr;
        dispatch::load_device_table(dev->next, *device, next->get_device_proc_addr);
        if (offer.dma_buf) {
            dev->host_pointer_alignment = host_pointer_alignment(*inst, pd);
        }
        VkResult r = VK_SUCCESS;
        if (offer.dma_buf || offer.sync_fd) {
            auto vgem = test::Vgem::open();
            if (vgem) {
                dev->vgem.emplace(std::move(vgem).value());
            } else {
                GPUSIM_LOG(error, "vkCreateDevice: vgem has gone: %s",
                           vgem.error().describe().c_str());
                r = VK_ERROR_INITIALIZATION_FAILED;
            }
        }
        if (r == VK_SUCCESS) {
            r = create_queues(*dev, *info);
        }
        if (r != VK_SUCCESS) {
            destroy_queues(*dev);
            dev->next.DestroyDevice(*device, alloc);
            util::host_delete(alloc, dev);
            *device = VK_NULL_HANDLE;
            return r;
        }
        devices().insert(dispatch::dispatch_key(*device), dev);
        GPUSIM_LOG(debug, "device %p: %zu queue thread(s), dma-buf %s, SYNC_FD %s",
                   static_cast<void*>(*device), dev->queues.size(), offer.dma_buf ? "on" : "off",
                   offer.sync_fd ? "on" : "off");
        return VK_SUCCESS;
    });
}

VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device,
                                         const VkAllocationCallbacks* alloc) noexcept {
    if (device == VK_NULL_HANDLE) {
        return;
    }
    Device* dev = devices().remove(dispatch::dispatch_key(device));
    if (dev == nullptr) {
        return;
    }
    // The threads use the device: they go first.
    destroy_queues(*dev);
    if (const size_t leaked = dev->memory.size(); leaked != 0) {
        GPUSIM_LOG(warn, "device destroyed with %zu dma-buf allocation(s) not freed", leaked);
    }
    dev->next.DestroyDevice(device, alloc);
    // Closing vgem signals every vgem fence still pending; then the leaked mappings go.
    util::host_delete(dev->alloc.get(), dev);
}

}  // namespace sb::gpusim
