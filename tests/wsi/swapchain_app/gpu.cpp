#include "wsi/swapchain_app/gpu.hpp"

#include <cstdio>
#include <vector>

namespace sb::swapchain_app {
namespace {

bool report(const char* what, VkResult result) {
    if (result != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: %s: %s\n", what, vk_result_name(result));
        return false;
    }
    return true;
}

}  // namespace

const char* vk_result_name(VkResult result) {
    switch (result) {
#define SB_CASE(name) \
    case name:        \
        return #name;
        SB_CASE(VK_SUCCESS)
        SB_CASE(VK_NOT_READY)
        SB_CASE(VK_TIMEOUT)
        SB_CASE(VK_INCOMPLETE)
        SB_CASE(VK_SUBOPTIMAL_KHR)
        SB_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        SB_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        SB_CASE(VK_ERROR_INITIALIZATION_FAILED)
        SB_CASE(VK_ERROR_DEVICE_LOST)
        SB_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        SB_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        SB_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        SB_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        SB_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        SB_CASE(VK_ERROR_SURFACE_LOST_KHR)
        SB_CASE(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
        SB_CASE(VK_ERROR_OUT_OF_DATE_KHR)
        SB_CASE(VK_ERROR_VALIDATION_FAILED_EXT)
#undef SB_CASE
        default: {
            static thread_local char number[32];
            std::snprintf(number, sizeof number, "VkResult %d", static_cast<int>(result));
            return number;
        }
    }
}

std::unique_ptr<Gpu> Gpu::create(wl_display* display, wl_surface* surface,
                                 const VkAllocationCallbacks* device_alloc) {
    std::unique_ptr<Gpu> gpu(new Gpu());
    gpu->device_alloc_ = device_alloc;
    if (!gpu->create_instance() || !gpu->create_surface(display, surface) || !gpu->pick_device() ||
        !gpu->create_device()) {
        return nullptr;
    }
    return gpu;
}

Gpu::~Gpu() {
    if (device_ != VK_NULL_HANDLE) {
        vkDestroyDevice(device_, device_alloc_);
    }
    if (surface_ != VK_NULL_HANDLE) {
        vkDestroySurfaceKHR(instance_, surface_, nullptr);
    }
    if (instance_ != VK_NULL_HANDLE) {
        vkDestroyInstance(instance_, nullptr);
    }
}

bool Gpu::create_instance() {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "syncbridge-swapchain-app";
    app.apiVersion = VK_API_VERSION_1_1;
    const char* extensions[] = {VK_KHR_SURFACE_EXTENSION_NAME,
                                VK_KHR_WAYLAND_SURFACE_EXTENSION_NAME};
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    info.enabledExtensionCount = 2;
    info.ppEnabledExtensionNames = extensions;
    return report("vkCreateInstance", vkCreateInstance(&info, nullptr, &instance_));
}

bool Gpu::create_surface(wl_display* display, wl_surface* surface) {
    VkWaylandSurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_WAYLAND_SURFACE_CREATE_INFO_KHR};
    info.display = display;
    info.surface = surface;
    return report("vkCreateWaylandSurfaceKHR",
                  vkCreateWaylandSurfaceKHR(instance_, &info, nullptr, &surface_));
}

bool Gpu::pick_device() {
    uint32_t count = 1;
    const VkResult r = vkEnumeratePhysicalDevices(instance_, &count, &physical_device_);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0) {
        std::fprintf(stderr, "swapchain-app: no physical device (%s)\n", vk_result_name(r));
        return false;
    }
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(physical_device_, &props);
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &families, nullptr);
    std::vector<VkQueueFamilyProperties> family_props(families);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_device_, &families, family_props.data());
    for (uint32_t i = 0; i < families; ++i) {
        VkBool32 present = VK_FALSE;
        if (!report(
                "vkGetPhysicalDeviceSurfaceSupportKHR",
                vkGetPhysicalDeviceSurfaceSupportKHR(physical_device_, i, surface_, &present))) {
            return false;
        }
        if ((family_props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) != 0 && present == VK_TRUE) {
            queue_family_ = i;
            std::fprintf(stderr, "swapchain-app: GPU %s, queue family %u\n", props.deviceName, i);
            return true;
        }
    }
    std::fprintf(stderr, "swapchain-app: %s has no queue family that can present to the surface\n",
                 props.deviceName);
    return false;
}

VkResult create_swapchain_device(VkPhysicalDevice physical_device, uint32_t family,
                                 const VkAllocationCallbacks* alloc, VkDevice* device) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = family;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    const char* extensions[] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME};
    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
    return vkCreateDevice(physical_device, &info, alloc, device);
}

bool Gpu::create_device() {
    if (!report("vkCreateDevice", create_swapchain_device(physical_device_, queue_family_,
                                                          device_alloc_, &device_))) {
        return false;
    }
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    return true;
}

}  // namespace sb::swapchain_app
