// How this window system's errors (errno values, kernel::Error) become VkResults.
#pragma once

#include <vulkan/vulkan.h>
#include <wayland-client.h>

#include <cerrno>
#include <chrono>

#include "kernel/result.hpp"

namespace sb::wsi::wayland {

// How long a Vulkan call waits for the compositor to answer one roundtrip. A compositor that
// stays silent longer is treated as gone rather than allowed to hang the app.
inline constexpr auto kRoundtripTimeout = std::chrono::seconds(5);

// A dead connection is always a lost surface. Otherwise: out of memory for what ran out of
// resources (ENOMEM from libwayland; EAGAIN, EMFILE, ENFILE from the thread or its eventfd) and
// for EINVAL (the compositor refused a buffer but kept the connection); an initialization
// failure for ERANGE (a size beyond the protocol); a lost surface for the rest (ETIMEDOUT: the
// compositor did not answer; EPIPE, EPROTO).
inline VkResult vk_result_for(wl_display* display, const kernel::Error& error) {
    if (wl_display_get_error(display) != 0) {
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    switch (error.errnum) {
        case ENOMEM:
        case EAGAIN:
        case EMFILE:
        case ENFILE:
        case EINVAL:
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        case ERANGE:
            return VK_ERROR_INITIALIZATION_FAILED;
        default:
            return VK_ERROR_SURFACE_LOST_KHR;
    }
}

}  // namespace sb::wsi::wayland
