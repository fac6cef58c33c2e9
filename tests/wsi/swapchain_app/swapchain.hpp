// The app's swapchain: surface queries, vkCreateSwapchainKHR (with oldSwapchain on recreation),
// its images, and one render-done semaphore per image.
#pragma once

#include <vulkan/vulkan.h>

#include <vector>

#include "wsi/swapchain_app/gpu.hpp"
#include "wsi/swapchain_app/options.hpp"

namespace sb::swapchain_app {

struct SwapchainState {
    VkSwapchainKHR handle = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    std::vector<VkImage> images;
    // Per image: signalled by the submit that draws it, waited for by its present. Reused only
    // when the image is acquired again, which the present's wait precedes.
    std::vector<VkSemaphore> render_done;
};

// Creates `out` for the surface at `wanted` (used where the surface leaves the size open),
// retiring `old` (which the caller destroys afterwards). VK_ERROR_FEATURE_NOT_PRESENT (with a
// message) when the surface offers no 32-bit UNORM format, the present mode or TRANSFER_DST.
// `alloc` goes to vkCreateSwapchainKHR (the allocation-failure check's callbacks).
VkResult create_swapchain(const Gpu& gpu, const Options& options, VkExtent2D wanted,
                          VkSwapchainKHR old, SwapchainState* out,
                          const VkAllocationCallbacks* alloc = nullptr);
void destroy_swapchain(VkDevice device, SwapchainState* state,
                       const VkAllocationCallbacks* alloc = nullptr);

}  // namespace sb::swapchain_app
