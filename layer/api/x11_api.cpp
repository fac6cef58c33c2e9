// VK_KHR_xcb_surface: the window-system half of an X11 surface. The surface queries and
// swapchains are platform-free (surface_api.cpp, swapchain_api.cpp); this file only makes the X11
// side of a VkSurfaceKHR and answers the XCB presentation-support query. Built with
// SYNCBRIDGE_WSI_X11.
#include <new>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"
#include "wsi/x11/x11_surface.hpp"

namespace sb::api {

VKAPI_ATTR VkResult VKAPI_CALL CreateXcbSurfaceKHR(VkInstance instance,
                                                   const VkXcbSurfaceCreateInfoKHR* info,
                                                   const VkAllocationCallbacks* alloc,
                                                   VkSurfaceKHR* surface) {
    InstanceData* inst = instance_data(instance);
    // The driver makes its surface too: pass-through devices and X servers without DRI3 use it,
    // and the loader's handle is the one the app holds.
    const VkResult result = inst->next.CreateXcbSurfaceKHR(instance, info, alloc, surface);
    if (result != VK_SUCCESS) {
        return result;
    }
    std::unique_ptr<wsi::Surface> window_system(
        new (std::nothrow) wsi::x11::X11Surface(info->connection, info->window));
    return adopt_surface(*inst, instance, std::move(window_system), alloc, surface);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXcbPresentationSupportKHR(
    VkPhysicalDevice pd, uint32_t family, xcb_connection_t* connection, xcb_visualid_t visual) {
    InstanceData* inst = instance_data(pd);
    if (inst->physical_device_info(pd).choice.strategy != bridge::Strategy::passthrough &&
        wsi::x11::server_takes_dma_bufs(connection)) {
        // Any queue can render what the layer hands over: the server reads dma-bufs.
        return VK_TRUE;
    }
    // No DRI3: the driver's own WSI presents, so its answer holds.
    return inst->next.GetPhysicalDeviceXcbPresentationSupportKHR(pd, family, connection, visual);
}

}  // namespace sb::api
