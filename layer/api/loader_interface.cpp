// The loader-layer interface (version 2): negotiation and the two proc-address queries.
#include <cstring>
#include <string_view>

#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "util/abi_guard.hpp"
#ifdef SYNCBRIDGE_WSI_X11
#include "api/x11_surfaces.hpp"
#endif

namespace sb::api {
namespace {

struct Intercept {
    const char* name;
    PFN_vkVoidFunction fn;
};

// Every entry point the loader gets is guarded: nothing the layer calls can throw into the app
// (util/abi_guard.hpp). `fn` is pasted into a string and named as a function: it cannot be
// parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SB_GUARDED(name, fn) reinterpret_cast<PFN_vkVoidFunction>(&util::AbiGuard<name, &fn>::call)
#define SB_INTERCEPT(fn)                   \
    Intercept {                            \
        "vk" #fn, SB_GUARDED("vk" #fn, fn) \
    }
#define SB_INTERCEPT_AS(name, fn)  \
    Intercept {                    \
        name, SB_GUARDED(name, fn) \
    }

// Instance-level intercepts (GetInstanceProcAddr only).
const Intercept kInstanceIntercepts[] = {
    SB_INTERCEPT(GetInstanceProcAddr),
    SB_INTERCEPT(CreateInstance),
    SB_INTERCEPT(DestroyInstance),
    SB_INTERCEPT(CreateDevice),
    SB_INTERCEPT(EnumerateInstanceLayerProperties),
    SB_INTERCEPT(EnumerateDeviceLayerProperties),
    SB_INTERCEPT(EnumerateInstanceExtensionProperties),
    SB_INTERCEPT(EnumerateDeviceExtensionProperties),
};

// Device-level intercepts (both queries).
const Intercept kDeviceIntercepts[] = {
    SB_INTERCEPT(GetDeviceProcAddr),
    SB_INTERCEPT(DestroyDevice),
};

// Window-system intercepts: returned only where the next layer has the command too (the
// extension is enabled), so that the app sees the same NULLs as without the layer.
const Intercept kWsiInstanceIntercepts[] = {
    SB_INTERCEPT(CreateWaylandSurfaceKHR),
    SB_INTERCEPT(DestroySurfaceKHR),
    SB_INTERCEPT(GetPhysicalDeviceWaylandPresentationSupportKHR),
#ifdef SYNCBRIDGE_WSI_X11
    SB_INTERCEPT(CreateXcbSurfaceKHR),
    SB_INTERCEPT(GetPhysicalDeviceXcbPresentationSupportKHR),
    {"vkCreateXlibSurfaceKHR", xlib_create_surface_entry()},
    {"vkGetPhysicalDeviceXlibPresentationSupportKHR", xlib_presentation_support_entry()},
#endif
    SB_INTERCEPT(GetPhysicalDeviceSurfaceSupportKHR),
    SB_INTERCEPT(GetPhysicalDeviceSurfaceCapabilitiesKHR),
    SB_INTERCEPT(GetPhysicalDeviceSurfaceCapabilities2KHR),
    SB_INTERCEPT(GetPhysicalDeviceSurfaceCapabilities2EXT),
    SB_INTERCEPT(GetPhysicalDeviceSurfaceFormatsKHR),
    SB_INTERCEPT(GetPhysicalDeviceSurfaceFormats2KHR),
    SB_INTERCEPT(GetPhysicalDeviceSurfacePresentModesKHR),
};

const Intercept kWsiDeviceIntercepts[] = {
    SB_INTERCEPT(CreateSwapchainKHR),    SB_INTERCEPT(DestroySwapchainKHR),
    SB_INTERCEPT(GetSwapchainImagesKHR), SB_INTERCEPT(AcquireNextImageKHR),
    SB_INTERCEPT(AcquireNextImage2KHR),  SB_INTERCEPT(GetSwapchainStatusKHR),
    SB_INTERCEPT(QueuePresentKHR),
};

// Commands whose pNext may name a layer-owned swapchain (VkImageSwapchainCreateInfoKHR,
// VkBindImageMemorySwapchainInfoKHR), with the handle-taking commands below.
const Intercept kSwapchainStructIntercepts[] = {
    SB_INTERCEPT(CreateImage),
    SB_INTERCEPT_AS("vkBindImageMemory2", BindImageMemory2),
    SB_INTERCEPT_AS("vkBindImageMemory2KHR", BindImageMemory2),
};

// Commands that take a handle of any type: a layer-owned swapchain's must not reach the driver.
// Like the window-system ones, returned only where the next layer has the command.
const Intercept kObjectIntercepts[] = {
    SB_INTERCEPT(SetPrivateData),
    SB_INTERCEPT(GetPrivateData),
    SB_INTERCEPT(SetPrivateDataEXT),
    SB_INTERCEPT(GetPrivateDataEXT),
    SB_INTERCEPT(SetDebugUtilsObjectNameEXT),
    SB_INTERCEPT(SetDebugUtilsObjectTagEXT),
    SB_INTERCEPT(DebugMarkerSetObjectNameEXT),
    SB_INTERCEPT(DebugMarkerSetObjectTagEXT),
};

// Queue intercepts: only devices whose layer submits share a queue with the app get them.
const Intercept kQueueIntercepts[] = {
    SB_INTERCEPT(QueueSubmit),
    SB_INTERCEPT(QueueBindSparse),
    SB_INTERCEPT(QueueWaitIdle),
    SB_INTERCEPT_AS("vkQueueSubmit2", QueueSubmit2),
    SB_INTERCEPT_AS("vkQueueSubmit2KHR", QueueSubmit2),
};

// Foreign-transfer intercepts: only devices that bridge them (DeviceData::transfers) get them.
const Intercept kTransferIntercepts[] = {
    SB_INTERCEPT(AllocateMemory),
    SB_INTERCEPT(FreeMemory),
    SB_INTERCEPT(BindBufferMemory),
    SB_INTERCEPT(BindImageMemory),
    SB_INTERCEPT(DestroyBuffer),
    SB_INTERCEPT(DestroyImage),
    SB_INTERCEPT(AllocateCommandBuffers),
    SB_INTERCEPT(FreeCommandBuffers),
    SB_INTERCEPT(ResetCommandPool),
    SB_INTERCEPT(DestroyCommandPool),
    SB_INTERCEPT(BeginCommandBuffer),
    SB_INTERCEPT(ResetCommandBuffer),
    SB_INTERCEPT(CmdPipelineBarrier),
    SB_INTERCEPT(CmdExecuteCommands),
    SB_INTERCEPT_AS("vkBindBufferMemory2", BindBufferMemory2),
    SB_INTERCEPT_AS("vkBindBufferMemory2KHR", BindBufferMemory2),
    SB_INTERCEPT_AS("vkBindImageMemory2", BindImageMemory2),
    SB_INTERCEPT_AS("vkBindImageMemory2KHR", BindImageMemory2),
    SB_INTERCEPT_AS("vkCmdPipelineBarrier2", CmdPipelineBarrier2),
    SB_INTERCEPT_AS("vkCmdPipelineBarrier2KHR", CmdPipelineBarrier2),
};

#undef SB_INTERCEPT_AS
#undef SB_INTERCEPT
#undef SB_GUARDED
// NOLINTEND(bugprone-macro-parentheses)

PFN_vkVoidFunction find_intercept(const Intercept* begin, const Intercept* end, const char* name) {
    for (const Intercept* it = begin; it != end; ++it) {
        if (std::strcmp(it->name, name) == 0) {
            return it->fn;
        }
    }
    return nullptr;
}

bool contains(const std::vector<std::string>& list, std::string_view name) {
    for (const auto& item : list) {
        if (item == name) {
            return true;
        }
    }
    return false;
}

// True when `name` belongs only to extensions the layer enabled and the app did not: the app
// must not see them (VUID: commands of extensions that are not enabled return NULL).
bool hidden_from_app(const DeviceData& dev, const char* name) {
    if (dev.enabled_by_layer.empty()) {
        return false;
    }
    const dispatch::CommandOrigin* origin = dispatch::find_device_command(name);
    if (origin == nullptr ||
        (origin->core_version != 0 && dev.api_version >= origin->core_version)) {
        return false;
    }
    bool from_layer = false;
    std::string_view list = origin->extensions;
    while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view ext = list.substr(0, comma);
        if (contains(dev.enabled_by_app, ext)) {
            return false;
        }
        from_layer = from_layer || contains(dev.enabled_by_layer, ext);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return from_layer;
}

}  // namespace

template <size_t N>
PFN_vkVoidFunction find_in(const Intercept (&table)[N], const char* name) {
    return find_intercept(std::begin(table), std::end(table), name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device, const char* name) {
    if (name == nullptr) {
        return nullptr;
    }
    if (auto fn = find_in(kDeviceIntercepts, name)) {
        return fn;
    }
    DeviceData* dev = device != VK_NULL_HANDLE ? device_data(device) : nullptr;
    if (dev == nullptr || hidden_from_app(*dev, name)) {
        return nullptr;
    }
    PFN_vkVoidFunction next = dev->next_get_device_proc_addr(device, name);
    if (next == nullptr) {
        return nullptr;
    }
    if (auto fn = find_in(kWsiDeviceIntercepts, name)) {
        return fn;
    }
    if (auto fn = find_in(kObjectIntercepts, name)) {
        return fn;
    }
    if (auto fn = find_in(kSwapchainStructIntercepts, name)) {
        return fn;
    }
    if (auto fn = find_in(kQueueIntercepts, name); fn != nullptr && needs_queue_intercepts(*dev)) {
        return fn;
    }
    if (auto fn = find_in(kTransferIntercepts, name); fn != nullptr && dev->transfers) {
        return fn;
    }
    return next;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance,
                                                             const char* name) {
    if (name == nullptr) {
        return nullptr;
    }
    if (auto fn = find_in(kInstanceIntercepts, name)) {
        return fn;
    }
    if (auto fn = find_in(kDeviceIntercepts, name)) {
        return fn;
    }
    InstanceData* inst = instance != VK_NULL_HANDLE ? instance_data(instance) : nullptr;
    if (inst == nullptr) {
        return nullptr;
    }
    PFN_vkVoidFunction next = inst->next.GetInstanceProcAddr(instance, name);
    if (next == nullptr) {
        return nullptr;
    }
    // Device commands asked for here serve every device: the queue and transfer intercepts
    // forward for devices that need neither.
    for (auto fn : {find_in(kWsiInstanceIntercepts, name), find_in(kWsiDeviceIntercepts, name),
                    find_in(kObjectIntercepts, name), find_in(kSwapchainStructIntercepts, name),
                    find_in(kQueueIntercepts, name), find_in(kTransferIntercepts, name)}) {
        if (fn != nullptr) {
            return fn;
        }
    }
    return next;
}

}  // namespace sb::api

extern "C" __attribute__((visibility("default"))) VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* version) {
    if (version == nullptr || version->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    if (version->loaderLayerInterfaceVersion < 2) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    version->loaderLayerInterfaceVersion = 2;
    version->pfnGetInstanceProcAddr =
        &sb::util::AbiGuard<"vkGetInstanceProcAddr", &sb::api::GetInstanceProcAddr>::call;
    version->pfnGetDeviceProcAddr =
        &sb::util::AbiGuard<"vkGetDeviceProcAddr", &sb::api::GetDeviceProcAddr>::call;
    version->pfnGetPhysicalDeviceProcAddr = nullptr;
    return VK_SUCCESS;
}
