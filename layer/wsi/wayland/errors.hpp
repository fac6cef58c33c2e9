// How this window system's errors (errno values, kernel::Error) become VkResults.
#pragma once

#include <vulkan/vulkan.h>
#include <wayland-client.h>

#include "kernel/result.hpp"
#include "wsi/consumer_errors.hpp"

namespace sb::wsi::wayland {

// How long a Vulkan call waits for the compositor to answer one roundtrip.
inline constexpr auto kRoundtripTimeout = kConsumerReplyTimeout;

// A dead connection (a protocol error included) is always a lost surface; otherwise the
// consumer errors' common mapping.
inline VkResult vk_result_for(wl_display* display, const kernel::Error& error) {
    if (wl_display_get_error(display) != 0) {
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    return vk_result_for_consumer_error(error);
}

}  // namespace sb::wsi::wayland
