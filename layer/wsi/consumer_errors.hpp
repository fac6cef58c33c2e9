// What every window system shares about its consumer's failures: how long a Vulkan call waits
// for one answer, and how an errno from talking to the consumer becomes a VkResult.
#pragma once

#include <vulkan/vulkan.h>

#include <cerrno>
#include <chrono>

#include "kernel/result.hpp"

namespace sb::wsi {

// How long a Vulkan call waits for the consumer (a compositor, an X server) to answer one
// request. A consumer that stays silent longer is treated as gone rather than allowed to hang
// the app.
inline constexpr auto kConsumerReplyTimeout = std::chrono::seconds(5);

// For a connection that is still alive (each window system checks its own first: a dead one is
// always a lost surface): out of memory for what ran out of resources (ENOMEM; EAGAIN, EMFILE,
// ENFILE from a thread or an eventfd) and for EINVAL (the consumer refused a buffer but kept
// the connection); an initialization failure for ERANGE (a size beyond the protocol); a lost
// surface for the rest (ETIMEDOUT: the consumer did not answer; EPIPE, EPROTO).
inline VkResult vk_result_for_consumer_error(const kernel::Error& error) {
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

}  // namespace sb::wsi
