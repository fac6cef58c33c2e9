// VK_KHR_xlib_surface: an Xlib Display is an xcb connection underneath (XGetXCBConnection), so an
// Xlib surface is the layer's X11 surface on that connection. This file sees Xlib.h, whose macros
// (Status, None, Bool) break ordinary C++ names: it includes nothing of the layer but
// x11_surfaces.hpp. Built with SYNCBRIDGE_WSI_X11.
#include <X11/Xlib-xcb.h>
#define VK_USE_PLATFORM_XLIB_KHR
#include <vulkan/vulkan.h>

#include "api/x11_surfaces.hpp"
#include "util/abi_guard.hpp"

namespace sb::api {
namespace {

VKAPI_ATTR VkResult VKAPI_CALL CreateXlibSurfaceKHR(VkInstance instance,
                                                    const VkXlibSurfaceCreateInfoKHR* info,
                                                    const VkAllocationCallbacks* alloc,
                                                    VkSurfaceKHR* surface) {
    // Asked for only where the next layer has the command (the loader interface's rule).
    auto next = reinterpret_cast<PFN_vkCreateXlibSurfaceKHR>(next_create_xlib_surface(instance));
    const VkResult result = next(instance, info, alloc, surface);
    if (result != VK_SUCCESS) {
        return result;
    }
    return adopt_x11_surface(instance, XGetXCBConnection(info->dpy),
                             static_cast<xcb_window_t>(info->window), alloc, surface);
}

VKAPI_ATTR VkBool32 VKAPI_CALL GetPhysicalDeviceXlibPresentationSupportKHR(VkPhysicalDevice pd,
                                                                           uint32_t family,
                                                                           Display* display,
                                                                           VisualID visual) {
    if (presents_to_x11(pd, XGetXCBConnection(display))) {
        return VK_TRUE;
    }
    auto next = reinterpret_cast<PFN_vkGetPhysicalDeviceXlibPresentationSupportKHR>(
        next_xlib_presentation_support(pd));
    return next(pd, family, display, visual);
}

}  // namespace

PFN_vkVoidFunction xlib_create_surface_entry() {
    return reinterpret_cast<PFN_vkVoidFunction>(
        &util::AbiGuard<"vkCreateXlibSurfaceKHR", &CreateXlibSurfaceKHR>::call);
}

PFN_vkVoidFunction xlib_presentation_support_entry() {
    return reinterpret_cast<PFN_vkVoidFunction>(
        &util::AbiGuard<"vkGetPhysicalDeviceXlibPresentationSupportKHR",
                        &GetPhysicalDeviceXlibPresentationSupportKHR>::call);
}

}  // namespace sb::api
