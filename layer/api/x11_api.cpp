// VK_KHR_xcb_surface: the window-system half of an X11 surface (VK_KHR_xlib_surface's entry
// points, in xlib_api.cpp, come here with the Display's xcb connection). The surface queries and
// swapchains are platform-free (surface_api.cpp, swapchain_api.cpp); this file only makes the X11
// side of a VkSurfaceKHR and answers the XCB presentation-support query. Built with
// SYNCBRIDGE_WSI_X11.
#include <new>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"
#include "api/x11_surfaces.hpp"
#include "wsi/x11/x11_surface.hpp"

namespace sb::api {

PFN_vkVoidFunction next_create_xlib_surface(VkInstance instance) {
    return instance_data(instance)->next_create_xlib_surface;
}

PFN_vkVoidFunction next_xlib_presentation_support(VkPhysicalDevice pd) {
    return instance_data(pd)->next_xlib_presentation_support;
}

bool presents_to_x11(VkPhysicalDevice pd, xcb_connection_t* connection) {
    InstanceData* inst = instance_data(pd);
    return inst->physical_device_info(pd).choice.strategy != bridge::Strategy::passthrough &&
           wsi::x11::server_takes_dma_bufs(connection);
}

VkResult adopt_x11_surface(VkInstance instance, xcb_connection_t* connection, xcb_window_t window,
                           const VkAllocationCallbacks* alloc, VkSurfaceKHR* surface) {
    std::unique_ptr<wsi::Surface> window_system(new (std::nothrow)
                                                    wsi::x11::X11Surface(connection, window));
    return adopt_surface(*instance_data(instance), instance, std::move(window_system), alloc,
                         surface);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateXcbSurfaceKHR(VkInstance instance,
                                                   const VkXcbSurfaceCreateInfoKHR* info,
                                                   const VkAllocationCallbacks* alloc,
                                                   VkSurfaceKHR* surface) {
    // The driver makes its surface too: pass-through devices and X servers without DRI3 use it,
    // and the loader's handle is the one the app holds.
    const VkResult result =
        instance_data(instance)->next.CreateXcbSurfaceKHR(instance, info, alloc, surface);
    if (result != VK_SUCCESS) {
        return result;
    }
    return adopt_x11_surface(instance, info->connection, info->window, alloc, surface);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXcbPresentationSupportKHR(
    VkPhysicalDevice pd, uint32_t family, xcb_connection_t* connection, xcb_visualid_t visual) {
    if (presents_to_x11(pd, connection)) {
        // Any queue can render what the layer hands over: the server reads dma-bufs.
        return VK_TRUE;
    }
    // No DRI3: the driver's own WSI presents, so its answer holds.
    return instance_data(pd)->next.GetPhysicalDeviceXcbPresentationSupportKHR(pd, family,
                                                                              connection, visual);
}

}  // namespace sb::api
