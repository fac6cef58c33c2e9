#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "dispatch/chain.hpp"
#include "util/abi_guard.hpp"
#include "util/log.hpp"
#include "util/switches.hpp"

namespace sb::api {
namespace {

// The physical-device queries the layer's probe makes are core in 1.1. Under a 1.0 instance the
// loader answers them for an ICD only when their extensions are enabled (else it reports "no
// support": lavapipe 25 under vkcube looked SYNC_FD-less), so the layer enables them quietly.
constexpr const char* kWantedInstanceExtensions[] = {
    "VK_KHR_get_physical_device_properties2",
    "VK_KHR_external_memory_capabilities",
    "VK_KHR_external_semaphore_capabilities",
    "VK_KHR_external_fence_capabilities",
};

std::vector<std::string> available_instance_extensions(PFN_vkGetInstanceProcAddr next_gipa) {
    auto enumerate = reinterpret_cast<PFN_vkEnumerateInstanceExtensionProperties>(
        next_gipa(VK_NULL_HANDLE, "vkEnumerateInstanceExtensionProperties"));
    uint32_t count = 0;
    if (enumerate == nullptr || enumerate(nullptr, &count, nullptr) != VK_SUCCESS) {
        return {};
    }
    std::vector<VkExtensionProperties> props(count);
    if (enumerate(nullptr, &count, props.data()) < 0) {
        return {};
    }
    std::vector<std::string> names;
    for (uint32_t i = 0; i < count; ++i) {
        names.emplace_back(props[i].extensionName);
    }
    return names;
}

bool has(const std::vector<std::string>& list, const char* name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

// The app's extensions plus the ones the probe needs (1.0 apps only).
std::vector<const char*> instance_extensions(const VkInstanceCreateInfo& info, uint32_t app_version,
                                             PFN_vkGetInstanceProcAddr next_gipa) {
    std::vector<const char*> names(info.ppEnabledExtensionNames,
                                   info.ppEnabledExtensionNames + info.enabledExtensionCount);
    if (app_version >= VK_API_VERSION_1_1) {
        return names;
    }
    // The loader may not answer a layer's global query; then every one is tried, and the
    // caller retries without them if the instance refuses.
    const auto available = available_instance_extensions(next_gipa);
    std::vector<std::string> enabled(names.begin(), names.end());
    for (const char* wanted : kWantedInstanceExtensions) {
        if ((available.empty() || has(available, wanted)) && !has(enabled, wanted)) {
            names.push_back(wanted);
        }
    }
    return names;
}

// SYNCBRIDGE_TEST_LEAK=1, tests only: one allocation per instance that is never freed, made in the
// layer and reached through the loader's trampoline. The control that shows the sanitizer build's
// leak check still catches a leak of the layer's own (tests/support/sanitizer).
void leak_for_sanitizer_control() {
    static const bool leak = util::switch_is(util::Switch::test_leak, "1");
    if (leak) {
        void* volatile lost = std::malloc(64);
        (void)lost;
    }
}

// For a Vulkan 1.0 instance the 1.1 physical-device queries exist only as the KHR extensions the
// layer enables above: the core entry points the loader also hands out are invalid to call there
// (the validation layer reports each call). The layer's own queries go through the KHR aliases.
void use_khr_queries_for_1_0(dispatch::InstanceTable& next, uint32_t app_version) {
    if (app_version >= VK_API_VERSION_1_1) {
        return;
    }
    const auto prefer = [](auto& core, auto khr) {
        if (khr != nullptr) {
            core = khr;
        }
    };
    prefer(next.GetPhysicalDeviceProperties2, next.GetPhysicalDeviceProperties2KHR);
    prefer(next.GetPhysicalDeviceFeatures2, next.GetPhysicalDeviceFeatures2KHR);
    prefer(next.GetPhysicalDeviceFormatProperties2, next.GetPhysicalDeviceFormatProperties2KHR);
    prefer(next.GetPhysicalDeviceImageFormatProperties2,
           next.GetPhysicalDeviceImageFormatProperties2KHR);
    prefer(next.GetPhysicalDeviceMemoryProperties2, next.GetPhysicalDeviceMemoryProperties2KHR);
    prefer(next.GetPhysicalDeviceQueueFamilyProperties2,
           next.GetPhysicalDeviceQueueFamilyProperties2KHR);
    prefer(next.GetPhysicalDeviceSparseImageFormatProperties2,
           next.GetPhysicalDeviceSparseImageFormatProperties2KHR);
    prefer(next.GetPhysicalDeviceExternalBufferProperties,
           next.GetPhysicalDeviceExternalBufferPropertiesKHR);
    prefer(next.GetPhysicalDeviceExternalSemaphoreProperties,
           next.GetPhysicalDeviceExternalSemaphorePropertiesKHR);
    prefer(next.GetPhysicalDeviceExternalFenceProperties,
           next.GetPhysicalDeviceExternalFencePropertiesKHR);
}

}  // namespace

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
    // On an exception (the guard reports it): the record, and the instance if the driver made it.
    VkInstance made = VK_NULL_HANDLE;
    const util::UndoOnUnwind undo([&next, &made, alloc, data] {
        if (made != VK_NULL_HANDLE) {
            auto destroy = reinterpret_cast<PFN_vkDestroyInstance>(
                next->get_instance_proc_addr(made, "vkDestroyInstance"));
            destroy(made, alloc);
        }
        util::host_delete(alloc, data);
    });
    const uint32_t app_version =
        info->pApplicationInfo != nullptr && info->pApplicationInfo->apiVersion != 0
            ? info->pApplicationInfo->apiVersion
            : VK_API_VERSION_1_0;
    const std::vector<const char*> extensions =
        instance_extensions(*info, app_version, next->get_instance_proc_addr);
    VkInstanceCreateInfo modified = *info;
    modified.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    modified.ppEnabledExtensionNames = extensions.data();
    next->advance();
    VkResult result = next->create(&modified, alloc, instance);
    if (result == VK_ERROR_EXTENSION_NOT_PRESENT &&
        modified.enabledExtensionCount != info->enabledExtensionCount) {
        // One of the layer's additions is missing below: the app's own list, as asked.
        SB_LOG(warn,
               "the instance lacks the 1.1 query extensions; a 1.0 app's driver may look "
               "less capable than it is");
        result = next->create(info, alloc, instance);
    }
    if (result != VK_SUCCESS) {
        util::host_delete(alloc, data);
        return result;
    }
    made = *instance;
    data->handle = *instance;
    data->alloc = util::SavedAllocator(alloc);
    data->app_api_version = app_version;
    dispatch::load_instance_table(data->next, *instance, next->get_instance_proc_addr);
    use_khr_queries_for_1_0(data->next, app_version);
    // Xlib's commands are outside the generated tables (its header breaks the tables' users):
    // looked up now, as the tables' are. Asked later, the loader's terminator answers with its
    // trampoline, which calls this layer again.
    data->next_create_xlib_surface =
        next->get_instance_proc_addr(*instance, "vkCreateXlibSurfaceKHR");
    data->next_xlib_presentation_support =
        next->get_instance_proc_addr(*instance, "vkGetPhysicalDeviceXlibPresentationSupportKHR");
    instances().insert(dispatch::dispatch_key(*instance), data);
    leak_for_sanitizer_control();
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

// Extensions whose commands or structures act on a swapchain, which the layer's swapchains do
// not implement: offered to the app, they would hand the driver a handle it never made.
constexpr const char* kUnsupportedSwapchainExtensions[] = {
    "VK_KHR_present_wait",
    "VK_KHR_present_wait2",
    "VK_KHR_present_id2",
    "VK_EXT_swapchain_maintenance1",
    "VK_KHR_swapchain_maintenance1",
    "VK_KHR_swapchain_mutable_format",
    "VK_KHR_shared_presentable_image",
    "VK_GOOGLE_display_timing",
    "VK_EXT_display_control",
    "VK_EXT_hdr_metadata",
    "VK_EXT_full_screen_exclusive",
    "VK_AMD_display_native_hdr",
};

bool layer_cannot_back(const char* extension) {
    return std::any_of(std::begin(kUnsupportedSwapchainExtensions),
                       std::end(kUnsupportedSwapchainExtensions),
                       [&](const char* name) { return std::strcmp(name, extension) == 0; });
}

VkResult enumerate_bridged_device_extensions(InstanceData& inst, VkPhysicalDevice pd,
                                             uint32_t* count, VkExtensionProperties* props) {
    uint32_t total = 0;
    if (VkResult r = inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &total, nullptr);
        r != VK_SUCCESS) {
        return r;
    }
    std::vector<VkExtensionProperties> all(total);
    if (VkResult r = inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &total, all.data());
        r < 0) {
        return r;
    }
    all.resize(total);
    std::erase_if(
        all, [](const VkExtensionProperties& e) { return layer_cannot_back(e.extensionName); });
    const auto kept = static_cast<uint32_t>(all.size());
    if (props == nullptr) {
        *count = kept;
        return VK_SUCCESS;
    }
    const uint32_t n = std::min(*count, kept);
    std::copy_n(all.begin(), n, props);
    *count = n;
    return n < kept ? VK_INCOMPLETE : VK_SUCCESS;
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
    // The app sees the driver's list, not what the layer enables behind it; on a bridged GPU
    // without the swapchain extensions the layer's swapchains do not implement.
    if (layer_name != nullptr ||
        inst->physical_device_info(pd).choice.strategy == bridge::Strategy::passthrough) {
        return inst->next.EnumerateDeviceExtensionProperties(pd, layer_name, count, props);
    }
    return enumerate_bridged_device_extensions(*inst, pd, count, props);
}

}  // namespace sb::api
