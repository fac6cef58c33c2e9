// The tests' Xlib side: the only file of theirs that sees Xlib.h (its macros, Status and None
// among them, break ordinary C++ names elsewhere).
#include <X11/Xlib-xcb.h>
#define VK_USE_PLATFORM_XLIB_KHR
#include <vulkan/vulkan.h>

#include "x11/x_server.hpp"
#include "x11/xcb_app.hpp"

namespace sb::test::x11 {

void* open_xlib_display(const std::string& display, xcb_connection_t** connection) {
    Display* dpy = XOpenDisplay(display.c_str());
    if (dpy == nullptr) {
        return nullptr;
    }
    *connection = XGetXCBConnection(dpy);
    return dpy;
}

void close_xlib_display(void* display) {
    XCloseDisplay(static_cast<Display*>(display));
}

VkResult create_xlib_surface(VkInstance instance, const AppWindow& window, VkSurfaceKHR* surface) {
    VkXlibSurfaceCreateInfoKHR info{VK_STRUCTURE_TYPE_XLIB_SURFACE_CREATE_INFO_KHR};
    info.dpy = static_cast<Display*>(window.xlib_display);
    info.window = window.window;
    return vkCreateXlibSurfaceKHR(instance, &info, nullptr, surface);
}

VkBool32 xlib_presentation_support(VkPhysicalDevice gpu, const AppWindow& window,
                                   xcb_visualid_t visual) {
    return vkGetPhysicalDeviceXlibPresentationSupportKHR(
        gpu, 0, static_cast<Display*>(window.xlib_display), visual);
}

}  // namespace sb::test::x11
