// What the Xlib entry points (xlib_api.cpp) need of the rest of the layer. That file cannot
// include the dispatch tables: Xlib.h defines macros (Status, None, Bool) that break ordinary
// C++ names, so it sees only these few functions, declared on plain Vulkan and xcb types.
#pragma once

#include <vulkan/vulkan.h>
#include <xcb/xcb.h>

namespace sb::api {

// The next layer's vkCreateXlibSurfaceKHR and vkGetPhysicalDeviceXlibPresentationSupportKHR,
// as looked up at vkCreateInstance (null where it has none).
PFN_vkVoidFunction next_create_xlib_surface(VkInstance instance);
PFN_vkVoidFunction next_xlib_presentation_support(VkPhysicalDevice pd);

// Whether the layer bridges `pd` and the X server behind `connection` takes dma-bufs: then the
// layer presents for any queue.
bool presents_to_x11(VkPhysicalDevice pd, xcb_connection_t* connection);

// Keeps the X11 side of a surface the driver has made (the same as vkCreateXcbSurfaceKHR's).
VkResult adopt_x11_surface(VkInstance instance, xcb_connection_t* connection, xcb_window_t window,
                           const VkAllocationCallbacks* alloc, VkSurfaceKHR* surface);

// The Xlib entry points, for the loader interface's table.
PFN_vkVoidFunction xlib_create_surface_entry();
PFN_vkVoidFunction xlib_presentation_support_entry();

}  // namespace sb::api
