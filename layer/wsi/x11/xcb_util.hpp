// Small helpers for talking to an X server over the app's xcb connection: owned replies, and
// how an X error or a dead connection becomes a VkResult.
#pragma once

#include <vulkan/vulkan.h>
#include <xcb/xcb.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "kernel/result.hpp"

namespace sb::wsi::x11 {

// xcb hands out replies and errors allocated with malloc: freed with free().
struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
template <typename T>
using Reply = std::unique_ptr<T, FreeDeleter>;

// Waits, at most `timeout`, until the server has handled every request sent so far (a
// GetInputFocus round-trip, read without blocking): the replies and errors of those requests
// are then at hand, and a hung server cannot hang a Vulkan call. ETIMEDOUT: no answer in time;
// EPIPE: the connection is gone.
kernel::Status sync_with_server(xcb_connection_t* connection, std::chrono::nanoseconds timeout);

// The error of a checked request (null: none). Blocks only if the request is still unanswered:
// call sync_with_server first.
Reply<xcb_generic_error_t> take_error(xcb_connection_t* connection, xcb_void_cookie_t cookie);

// For a request the layer made and checked: a dead connection is a lost surface (the server
// went away), an error the server sent is logged once with `what` and becomes
// VK_ERROR_SURFACE_LOST_KHR for BadWindow/BadDrawable (the app's window is gone),
// VK_ERROR_OUT_OF_HOST_MEMORY for BadAlloc and the server refusing a buffer (BadMatch,
// BadValue, BadLength: the buffer's layout), else VK_ERROR_SURFACE_LOST_KHR.
VkResult result_for_x_error(xcb_connection_t* connection, const xcb_generic_error_t* error,
                            const char* what);

}  // namespace sb::wsi::x11
