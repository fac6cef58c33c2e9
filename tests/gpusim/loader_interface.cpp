// The loader-layer interface (version 2): negotiation and the two proc-address queries.
#include <cstring>
#include <iterator>

#include "gpusim/entry_points.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

// When gpusim's function is the answer for a device: always (core commands gpusim wraps, as long
// as lavapipe has them for this device), or only when the app enabled the extension gpusim
// implements.
enum class Provider { driver, memory_fd, semaphore_fd, fence_fd, drm_format_modifier };

struct Intercept {
    const char* name;
    PFN_vkVoidFunction fn;
    Provider provider = Provider::driver;
};

// NOLINTBEGIN(bugprone-macro-parentheses)
#define GPUSIM_INTERCEPT(fn, ...)                                        \
    Intercept {                                                          \
        "vk" #fn, reinterpret_cast<PFN_vkVoidFunction>(&fn), __VA_ARGS__ \
    }
#define GPUSIM_ALIAS(alias, fn)                                \
    Intercept {                                                \
        "vk" #alias, reinterpret_cast<PFN_vkVoidFunction>(&fn) \
    }

const Intercept kGlobalIntercepts[] = {
    GPUSIM_INTERCEPT(GetInstanceProcAddr),
    GPUSIM_INTERCEPT(CreateInstance),
    GPUSIM_INTERCEPT(EnumerateInstanceLayerProperties),
    GPUSIM_INTERCEPT(EnumerateInstanceExtensionProperties),
};

// Instance and physical-device commands: answered when lavapipe's instance has them.
const Intercept kInstanceIntercepts[] = {
    GPUSIM_INTERCEPT(DestroyInstance),
    GPUSIM_INTERCEPT(CreateDevice),
    GPUSIM_INTERCEPT(EnumerateDeviceLayerProperties),
    GPUSIM_INTERCEPT(EnumerateDeviceExtensionProperties),
    GPUSIM_INTERCEPT(GetPhysicalDeviceExternalBufferProperties),
    GPUSIM_ALIAS(GetPhysicalDeviceExternalBufferPropertiesKHR,
                 GetPhysicalDeviceExternalBufferProperties),
    GPUSIM_INTERCEPT(GetPhysicalDeviceExternalSemaphoreProperties),
    GPUSIM_ALIAS(GetPhysicalDeviceExternalSemaphorePropertiesKHR,
                 GetPhysicalDeviceExternalSemaphoreProperties),
    GPUSIM_INTERCEPT(GetPhysicalDeviceExternalFenceProperties),
    GPUSIM_ALIAS(GetPhysicalDeviceExternalFencePropertiesKHR,
                 GetPhysicalDeviceExternalFenceProperties),
    GPUSIM_INTERCEPT(GetPhysicalDeviceImageFormatProperties2),
    GPUSIM_ALIAS(GetPhysicalDeviceImageFormatProperties2KHR,
                 GetPhysicalDeviceImageFormatProperties2),
    GPUSIM_INTERCEPT(GetPhysicalDeviceFormatProperties2),
    GPUSIM_ALIAS(GetPhysicalDeviceFormatProperties2KHR, GetPhysicalDeviceFormatProperties2),
    GPUSIM_INTERCEPT(GetPhysicalDeviceProperties2),
    GPUSIM_ALIAS(GetPhysicalDeviceProperties2KHR, GetPhysicalDeviceProperties2),
};

const Intercept kDeviceIntercepts[] = {
    GPUSIM_INTERCEPT(GetDeviceProcAddr),
    GPUSIM_INTERCEPT(DestroyDevice),
    GPUSIM_INTERCEPT(AllocateMemory),
    GPUSIM_INTERCEPT(FreeMemory),
    GPUSIM_INTERCEPT(GetMemoryFdKHR, Provider::memory_fd),
    GPUSIM_INTERCEPT(GetMemoryFdPropertiesKHR, Provider::memory_fd),
    GPUSIM_INTERCEPT(CreateBuffer),
    GPUSIM_INTERCEPT(CreateImage),
    GPUSIM_INTERCEPT(GetImageSubresourceLayout),
    GPUSIM_INTERCEPT(GetImageDrmFormatModifierPropertiesEXT, Provider::drm_format_modifier),
    GPUSIM_INTERCEPT(CreateSemaphore),
    GPUSIM_INTERCEPT(DestroySemaphore),
    GPUSIM_INTERCEPT(CreateFence),
    GPUSIM_INTERCEPT(DestroyFence),
    GPUSIM_INTERCEPT(GetSemaphoreFdKHR, Provider::semaphore_fd),
    GPUSIM_INTERCEPT(ImportSemaphoreFdKHR, Provider::semaphore_fd),
    GPUSIM_INTERCEPT(GetFenceFdKHR, Provider::fence_fd),
    GPUSIM_INTERCEPT(ImportFenceFdKHR, Provider::fence_fd),
    GPUSIM_INTERCEPT(WaitForFences),
    GPUSIM_INTERCEPT(GetFenceStatus),
    GPUSIM_INTERCEPT(ResetFences),
    GPUSIM_INTERCEPT(QueueSubmit),
    GPUSIM_INTERCEPT(QueueSubmit2),
    GPUSIM_ALIAS(QueueSubmit2KHR, QueueSubmit2),
    GPUSIM_INTERCEPT(QueueBindSparse),
    GPUSIM_INTERCEPT(QueueWaitIdle),
    GPUSIM_INTERCEPT(DeviceWaitIdle),
    GPUSIM_INTERCEPT(QueuePresentKHR),
    GPUSIM_INTERCEPT(AcquireNextImageKHR),
    GPUSIM_INTERCEPT(AcquireNextImage2KHR),
};

#undef GPUSIM_ALIAS
#undef GPUSIM_INTERCEPT
// NOLINTEND(bugprone-macro-parentheses)

template <size_t N>
const Intercept* find(const Intercept (&table)[N], const char* name) {
    for (const Intercept& entry : table) {
        if (std::strcmp(entry.name, name) == 0) {
            return &entry;
        }
    }
    return nullptr;
}

bool provided(const Device& dev, Provider provider) {
    switch (provider) {
        case Provider::driver:
            return true;
        case Provider::memory_fd:
            return dev.enabled.memory_fd;
        case Provider::semaphore_fd:
            return dev.enabled.semaphore_fd;
        case Provider::fence_fd:
            return dev.enabled.fence_fd;
        case Provider::drm_format_modifier:
            return dev.enabled.drm_format_modifier;
    }
    return false;
}

}  // namespace

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetDeviceProcAddr(VkDevice device,
                                                           const char* name) noexcept {
    if (name == nullptr || device == VK_NULL_HANDLE) {
        return nullptr;
    }
    Device* dev = device_of(device);
    if (dev == nullptr) {
        return nullptr;
    }
    PFN_vkVoidFunction next = dev->next_get_device_proc_addr(device, name);
    if (const Intercept* entry = find(kDeviceIntercepts, name)) {
        if (entry->provider == Provider::driver) {
            // A core command lavapipe does not offer this device stays absent.
            return next != nullptr ? entry->fn : nullptr;
        }
        return provided(*dev, entry->provider) ? entry->fn : next;
    }
    // gpusim enables VK_EXT_external_memory_host for itself: an app that did not ask for it
    // must not see its command.
    if (!dev->enabled.memory_host &&
        std::strcmp(name, "vkGetMemoryHostPointerPropertiesEXT") == 0) {
        return nullptr;
    }
    return next;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL GetInstanceProcAddr(VkInstance instance,
                                                             const char* name) noexcept {
    if (name == nullptr) {
        return nullptr;
    }
    if (const Intercept* entry = find(kGlobalIntercepts, name)) {
        return entry->fn;
    }
    Instance* inst = instance != VK_NULL_HANDLE ? instance_of(instance) : nullptr;
    if (inst == nullptr) {
        return nullptr;
    }
    if (const Intercept* entry = find(kDeviceIntercepts, name)) {
        return entry->fn;
    }
    PFN_vkVoidFunction next = inst->next.GetInstanceProcAddr(instance, name);
    if (const Intercept* entry = find(kInstanceIntercepts, name)) {
        return next != nullptr ? entry->fn : nullptr;
    }
    return next;
}

}  // namespace sb::gpusim

extern "C" __attribute__((visibility("default"))) VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* version) {
    if (version == nullptr || version->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT ||
        version->loaderLayerInterfaceVersion < 2) {
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    version->loaderLayerInterfaceVersion = 2;
    version->pfnGetInstanceProcAddr = sb::gpusim::GetInstanceProcAddr;
    version->pfnGetDeviceProcAddr = sb::gpusim::GetDeviceProcAddr;
    version->pfnGetPhysicalDeviceProcAddr = nullptr;
    return VK_SUCCESS;
}
