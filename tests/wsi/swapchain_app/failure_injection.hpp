// --inject-failures: vkCreateDevice and vkCreateSwapchainKHR under failure, before the ordinary
// run. Whatever implements them must answer a failing allocation callback or thread start with
// an error (VK_ERROR_OUT_OF_HOST_MEMORY for memory), never a crash, and leave nothing behind: no
// fd, no DRM syncobj, no allocation through the callbacks.
#pragma once

#include <vulkan/vulkan.h>

#include "wsi/swapchain_app/gpu.hpp"
#include "wsi/swapchain_app/options.hpp"

namespace sb::swapchain_app {

// True when every check passed; prints one 'inject:' line per attempt and a summary.
bool check_injected_failures(const Gpu& gpu, const Options& options, VkExtent2D wanted);

}  // namespace sb::swapchain_app
