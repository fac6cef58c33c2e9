// VK_KHR_wayland_surface: the window-system half of a Wayland surface. The surface queries and
// swapchains are platform-free (surface_api.cpp, swapchain_api.cpp); this file only makes the
// Wayland side of a VkSurfaceKHR and answers the Wayland presentation-support query.
#include <new>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"
#include "wsi/wayland/wayland_surface.hpp"

namespace sb::api {

VKAPI_ATTR VkResult VKAPI_CALL CreateWaylandSurfaceKHR(VkInstance instance,
                                                       const VkWaylandSurfaceCreateInfoKHR* info,
                                                       const VkAllocationCallbacks* alloc,
                                                       VkSurfaceKHR* surface) {
    InstanceData* inst = instance_data(instance);
    // The driver makes its surface too: pass-through devices and dma-buf-less compositors use
    // it, and the loader's handle is the one the app holds.
    const VkResult result = inst->next.CreateWaylandSurfaceKHR(instance, info, alloc, surface);
    if (result != VK_SUCCESS) {
        return result;
    }
    std::unique_ptr<wsi::Surface> window_system(
        new (std::nothrow) wsi::wayland::WaylandSurface(info->display, info->surface));
    return adopt_surface(*inst, instance, std::move(window_system), alloc, surface);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceWaylandPresentationSupportKHR(VkPhysicalDevice pd,
                                                                              uint32_t family,
                                                                              wl_display* display) {
    InstanceData* inst = instance_data(pd);
    if (inst->physical_device_info(pd).choice.strategy != bridge::Strategy::passthrough) {
        // Any queue can render what the layer hands over: the compositor reads dma-bufs.
        return VK_TRUE;
    }
    return inst->next.GetPhysicalDeviceWaylandPresentationSupportKHR(pd, family, display);
}

}  // namespace sb::api
