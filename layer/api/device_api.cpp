#include <sys/sysmacros.h>

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "bridge/export_probe.hpp"
#include "bridge/kernel_support.hpp"
#include "dispatch/chain.hpp"
#include "util/abi_guard.hpp"
#include "util/log.hpp"
#include "util/switches.hpp"

namespace sb::api {
namespace {

struct WantedExtension {
    const char* name;
    uint32_t core_since;  // 0: never promoted
};

// What the bridge needs on the driver, with their dependencies, in dependency order.
constexpr WantedExtension kWanted[] = {
    {"VK_KHR_external_memory", VK_API_VERSION_1_1},
    {"VK_KHR_external_semaphore", VK_API_VERSION_1_1},
    {"VK_KHR_external_fence", VK_API_VERSION_1_1},
    {"VK_KHR_get_memory_requirements2", VK_API_VERSION_1_1},
    // The swapchain's dma-buf memory is a dedicated allocation (VkMemoryDedicatedAllocateInfo).
    {"VK_KHR_dedicated_allocation", VK_API_VERSION_1_1},
    {"VK_KHR_bind_memory2", VK_API_VERSION_1_1},
    {"VK_KHR_sampler_ycbcr_conversion", VK_API_VERSION_1_1},
    {"VK_KHR_maintenance1", VK_API_VERSION_1_1},
    {"VK_KHR_image_format_list", VK_API_VERSION_1_2},
    {"VK_KHR_external_memory_fd", 0},
    {"VK_KHR_external_semaphore_fd", 0},
    {"VK_KHR_external_fence_fd", 0},
    {"VK_EXT_external_memory_dma_buf", 0},
    {"VK_EXT_image_drm_format_modifier", 0},
};

bool listed(const std::vector<std::string>& list, const char* name) {
    for (const auto& item : list) {
        if (item == name) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> driver_extensions(const InstanceData& inst, VkPhysicalDevice pd) {
    uint32_t count = 0;
    if (inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr) != VK_SUCCESS) {
        return {};
    }
    std::vector<VkExtensionProperties> props(count);
    if (inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, props.data()) < 0) {
        return {};
    }
    std::vector<std::string> names;
    names.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        names.emplace_back(props[i].extensionName);
    }
    return names;
}

// The first queue the app asked for, made callable through the loader: the layer's own
// submits (the wait strategy's acquire signals, the export probe) go there. Protected-only
// queues are skipped.
void pick_internal_queue(DeviceData& dev, const VkDeviceCreateInfo& info,
                         PFN_vkSetDeviceLoaderData set_loader_data) {
    for (uint32_t i = 0; i < info.queueCreateInfoCount; ++i) {
        const VkDeviceQueueCreateInfo& queue_info = info.pQueueCreateInfos[i];
        if (queue_info.flags != 0 || queue_info.queueCount == 0) {
            continue;
        }
        VkQueue queue = VK_NULL_HANDLE;
        dev.next.GetDeviceQueue(dev.handle, queue_info.queueFamilyIndex, 0, &queue);
        if (queue != VK_NULL_HANDLE && set_loader_data != nullptr &&
            set_loader_data(dev.handle, queue) == VK_SUCCESS) {
            dev.internal_queue = queue;
            dev.internal_queue_family = queue_info.queueFamilyIndex;
            return;
        }
    }
    SB_LOG(warn, "no queue for the layer's own submits: the wait strategy cannot signal acquires");
}

// Measures whether the driver's SYNC_FD export waits for the GPU (import strategy only): such a
// device exports on the layer's present thread, so the app's thread never waits for its frame.
// Runs before the app has the device, so the internal queue is the layer's alone.
void probe_export(DeviceData& dev, PFN_vkSetDeviceLoaderData set_loader_data) {
    if (dev.strategy != bridge::Strategy::kernel_import || dev.internal_queue == VK_NULL_HANDLE) {
        return;
    }
    const bridge::ExportProbe probe = bridge::probe_sync_fd_export(
        dev.next, dev.handle, dev.internal_queue, dev.internal_queue_family, set_loader_data);
    SB_LOG(info, "SYNC_FD export is %s (%lld us): %s", bridge::to_string(probe.behaviour),
           static_cast<long long>(probe.export_time.count()), probe.detail.c_str());
    if (probe.behaviour != bridge::SyncFdExport::blocking) {
        return;
    }
    if (util::switch_is(util::Switch::blocking_export, "app")) {
        SB_LOG(warn,
               "SYNCBRIDGE_BLOCKING_EXPORT=app: presents export on the app's thread and "
               "wait there for the GPU (for comparison only)");
        return;
    }
    dev.export_blocks = true;
}

// The GPU's DRM render node, where the driver has VK_EXT_physical_device_drm: explicit sync's
// timelines can live there when the compositor names no device of its own.
dev_t gpu_render_node(const InstanceData& inst, VkPhysicalDevice pd) {
    // The core entry point, or for a 1.0 app its KHR alias (use_khr_queries_for_1_0).
    const auto properties2 = inst.next.GetPhysicalDeviceProperties2;
    if (properties2 == nullptr ||
        !listed(driver_extensions(inst, pd), VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME)) {
        return 0;
    }
    VkPhysicalDeviceDrmPropertiesEXT drm{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 properties{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    properties.pNext = &drm;
    properties2(pd, &properties);
    if (drm.hasRender == VK_FALSE) {
        return 0;
    }
    return makedev(static_cast<unsigned>(drm.renderMajor), static_cast<unsigned>(drm.renderMinor));
}

// What the layer's swapchains need of a bridging device.
void prepare_for_swapchains(DeviceData& dev, const VkDeviceCreateInfo& info,
                            PFN_vkSetDeviceLoaderData set_loader_data) {
    dev.instance->next.GetPhysicalDeviceMemoryProperties(dev.physical_device,
                                                         &dev.memory_properties);
    dev.render_node = gpu_render_node(*dev.instance, dev.physical_device);
    dev.drm_format_modifier = listed(dev.enabled_by_app, "VK_EXT_image_drm_format_modifier") ||
                              listed(dev.enabled_by_layer, "VK_EXT_image_drm_format_modifier");
    pick_internal_queue(dev, info, set_loader_data);
    probe_export(dev, set_loader_data);
    dev.disable_fence_transfer_for_tests =
        util::switch_is(util::Switch::test_disable_fence_transfer, "1");
    if (dev.disable_fence_transfer_for_tests) {
        SB_LOG_ONCE(warn,
                    "SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1: no fences are bridged; "
                    "compositors WILL read unfinished frames (a test control only)");
    }
}

// Every queue the app asked for, with its family: the layer's batches for foreign acquires run
// a barrier recorded for that family. Protected queues (vkGetDeviceQueue2) are not among them;
// an acquire on one waits on the CPU.
std::vector<submit::QueueFamily> device_queues(const DeviceData& dev,
                                               const VkDeviceCreateInfo& info) {
    std::vector<submit::QueueFamily> queues;
    for (uint32_t i = 0; i < info.queueCreateInfoCount; ++i) {
        const VkDeviceQueueCreateInfo& queue_info = info.pQueueCreateInfos[i];
        if (queue_info.flags != 0) {
            continue;
        }
        for (uint32_t index = 0; index < queue_info.queueCount; ++index) {
            VkQueue queue = VK_NULL_HANDLE;
            dev.next.GetDeviceQueue(dev.handle, queue_info.queueFamilyIndex, index, &queue);
            if (queue != VK_NULL_HANDLE) {
                queues.push_back({queue, queue_info.queueFamilyIndex});
            }
        }
    }
    return queues;
}

// Foreign queue-family transfers are bridged on every device that bridges at all (import and
// wait strategies; submit/submit_bridge.hpp says how each waits and fences). Pass-through
// devices leave them to the driver, as without the layer.
void prepare_for_foreign_transfers(DeviceData& dev, const VkDeviceCreateInfo& info,
                                   PFN_vkSetDeviceLoaderData set_loader_data) {
    if (dev.strategy == bridge::Strategy::passthrough || dev.disable_fence_transfer_for_tests) {
        return;
    }
    submit::TransferPaths paths;
    const bool imports = dev.strategy == bridge::Strategy::kernel_import;
    paths.gpu_waits_for_acquires = imports || dev.acquire_imports_reads;
    paths.export_releases = imports && !dev.export_blocks;
    dev.transfers.reset(new (std::nothrow) submit::DeviceTransfers(
        dev.next, dev.handle, set_loader_data, device_queues(dev, info), paths));
    if (!dev.transfers) {
        SB_LOG_ONCE(error, "out of memory: foreign queue-family transfers are not bridged");
        return;
    }
    SB_LOG(debug, "foreign transfers at submit: acquires wait on the %s, releases fenced %s",
           paths.gpu_waits_for_acquires ? "GPU" : "CPU",
           paths.export_releases ? "with the driver's SYNC_FD" : "by the layer's thread (vgem)");
}

// Who allocates the swapchain's dma-bufs (bridge::choose_allocator), with a refused
// SYNCBRIDGE_MEMORY=layer said once.
bool layer_allocates_memory(const bridge::DeviceCapabilities& caps) {
    const bridge::AllocatorChoice choice = bridge::choose_allocator(
        caps, bridge::kernel_support(), util::switch_is(util::Switch::memory, "layer"));
    if (choice.override_refused) {
        SB_LOG_ONCE(warn, "%s; the driver allocates", choice.reason.c_str());
    }
    return choice.layer_allocates;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo* info,
                                            const VkAllocationCallbacks* alloc, VkDevice* device) {
    InstanceData* inst = instance_data(pd);
    const auto next =
        inst != nullptr ? dispatch::next_device_link(info, inst->handle) : std::nullopt;
    if (!next) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }

    const PhysicalDeviceInfo& pd_info = inst->physical_device_info(pd);
    auto* data = util::host_new<DeviceData>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_DEVICE);
    if (data == nullptr) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    // On an exception (the guard reports it): the record, and the device if the driver made it.
    VkDevice made = VK_NULL_HANDLE;
    const util::UndoOnUnwind undo([&next, &made, alloc, data] {
        if (made != VK_NULL_HANDLE) {
            data->transfers.reset();
            auto destroy = reinterpret_cast<PFN_vkDestroyDevice>(
                next->get_device_proc_addr(made, "vkDestroyDevice"));
            destroy(made, alloc);
        }
        util::host_delete(alloc, data);
    });
    data->strategy = pd_info.choice.strategy;
    data->layer_allocates = layer_allocates_memory(pd_info.caps);
    data->acquire_imports_reads =
        data->strategy == bridge::Strategy::userspace_wait &&
        pd_info.caps.semaphore_sync_fd_import &&
        bridge::kernel_support().sync_file_ioctls == bridge::KernelSupport::SyncFileIoctls::present;
    // What is core for this device is what both the app and the driver have (VkApplicationInfo
    // caps it): a 1.3 driver under a 1.1 app still needs VK_KHR_image_format_list enabled.
    data->api_version = std::min(pd_info.caps.api_version, inst->app_api_version);
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
        data->enabled_by_app.emplace_back(info->ppEnabledExtensionNames[i]);
    }

    // Quietly enable what the bridge needs. A pass-through device gets exactly what the app
    // asked for: the layer promises to stay out of its way.
    std::vector<const char*> names(info->ppEnabledExtensionNames,
                                   info->ppEnabledExtensionNames + info->enabledExtensionCount);
    if (data->strategy != bridge::Strategy::passthrough) {
        const auto available = driver_extensions(*inst, pd);
        for (const auto& wanted : kWanted) {
            const bool core = wanted.core_since != 0 && data->api_version >= wanted.core_since;
            if (!core && listed(available, wanted.name) &&
                !listed(data->enabled_by_app, wanted.name)) {
                data->enabled_by_layer.emplace_back(wanted.name);
            }
        }
        for (const auto& name : data->enabled_by_layer) {
            names.push_back(name.c_str());
        }
    }
    VkDeviceCreateInfo modified = *info;
    modified.enabledExtensionCount = static_cast<uint32_t>(names.size());
    modified.ppEnabledExtensionNames = names.data();

    next->advance();
    const VkResult result = next->create(pd, &modified, alloc, device);
    if (result != VK_SUCCESS) {
        util::host_delete(alloc, data);
        return result;
    }
    made = *device;
    data->handle = *device;
    data->physical_device = pd;
    data->instance = inst;
    data->alloc = util::SavedAllocator(alloc);
    data->next_get_device_proc_addr = next->get_device_proc_addr;
    dispatch::load_device_table(data->next, *device, next->get_device_proc_addr);
    if (data->strategy != bridge::Strategy::passthrough) {
        const PFN_vkSetDeviceLoaderData set_loader_data =
            dispatch::find_set_device_loader_data(info);
        prepare_for_swapchains(*data, *info, set_loader_data);
        prepare_for_foreign_transfers(*data, *info, set_loader_data);
    }
    devices().insert(dispatch::dispatch_key(*device), data);
    SB_LOG(debug, "device %p created, strategy %s, %zu extension(s) enabled by the layer",
           static_cast<void*>(*device), bridge::to_string(data->strategy),
           data->enabled_by_layer.size());
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroyDevice(VkDevice device, const VkAllocationCallbacks* alloc) {
    if (device == VK_NULL_HANDLE) {
        return;
    }
    DeviceData* data = devices().remove(dispatch::dispatch_key(device));
    if (data == nullptr) {
        return;
    }
    data->transfers.reset();  // its semaphores, fences and command pools go first
    data->next.DestroyDevice(device, alloc);
    util::host_delete(data->alloc.get(), data);
}

}  // namespace sb::api
