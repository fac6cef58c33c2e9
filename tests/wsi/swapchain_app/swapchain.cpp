#include "wsi/swapchain_app/swapchain.hpp"

#include <algorithm>
#include <cstdio>

namespace sb::swapchain_app {
namespace {

// The frame colour is exact only in an 8-bit UNORM format with 4-byte pixels.
bool is_32bit_unorm(VkFormat format) {
    return format == VK_FORMAT_B8G8R8A8_UNORM || format == VK_FORMAT_R8G8B8A8_UNORM ||
           format == VK_FORMAT_A8B8G8R8_UNORM_PACK32;
}

// B8G8R8A8_UNORM where offered, else the first 32-bit UNORM format the surface lists.
VkResult choose_format(const Gpu& gpu, VkSurfaceFormatKHR* chosen) {
    uint32_t count = 0;
    VkResult r =
        vkGetPhysicalDeviceSurfaceFormatsKHR(gpu.physical_device(), gpu.surface(), &count, nullptr);
    if (r != VK_SUCCESS) {
        return r;
    }
    std::vector<VkSurfaceFormatKHR> formats(count);
    r = vkGetPhysicalDeviceSurfaceFormatsKHR(gpu.physical_device(), gpu.surface(), &count,
                                             formats.data());
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        return r;
    }
    formats.resize(count);
    auto it = std::find_if(formats.begin(), formats.end(), [](const VkSurfaceFormatKHR& f) {
        return f.format == VK_FORMAT_B8G8R8A8_UNORM;
    });
    if (it == formats.end()) {
        it = std::find_if(formats.begin(), formats.end(),
                          [](const VkSurfaceFormatKHR& f) { return is_32bit_unorm(f.format); });
    }
    if (it == formats.end()) {
        std::fprintf(stderr,
                     "swapchain-app: the surface offers no 32-bit UNORM format (%u formats)\n",
                     count);
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    *chosen = *it;
    return VK_SUCCESS;
}

VkResult check_present_mode(const Gpu& gpu, VkPresentModeKHR wanted) {
    uint32_t count = 0;
    VkResult r = vkGetPhysicalDeviceSurfacePresentModesKHR(gpu.physical_device(), gpu.surface(),
                                                           &count, nullptr);
    if (r != VK_SUCCESS) {
        return r;
    }
    std::vector<VkPresentModeKHR> modes(count);
    r = vkGetPhysicalDeviceSurfacePresentModesKHR(gpu.physical_device(), gpu.surface(), &count,
                                                  modes.data());
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        return r;
    }
    if (std::find(modes.begin(), modes.begin() + count, wanted) == modes.begin() + count) {
        std::fprintf(stderr, "swapchain-app: the surface does not offer present mode %s\n",
                     present_mode_name(wanted));
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    return VK_SUCCESS;
}

// The surface's size, or `wanted` clamped to its limits where it leaves the size open (Wayland).
VkExtent2D choose_extent(const VkSurfaceCapabilitiesKHR& caps, VkExtent2D wanted) {
    if (caps.currentExtent.width != UINT32_MAX) {
        return caps.currentExtent;
    }
    return VkExtent2D{
        std::clamp(wanted.width, caps.minImageExtent.width, caps.maxImageExtent.width),
        std::clamp(wanted.height, caps.minImageExtent.height, caps.maxImageExtent.height)};
}

uint32_t choose_image_count(const VkSurfaceCapabilitiesKHR& caps, uint32_t wanted) {
    uint32_t count = wanted != 0 ? wanted : caps.minImageCount + 1;
    count = std::max(count, caps.minImageCount);
    if (caps.maxImageCount != 0) {
        count = std::min(count, caps.maxImageCount);
    }
    return count;
}

VkCompositeAlphaFlagBitsKHR choose_alpha(VkCompositeAlphaFlagsKHR supported) {
    for (auto bit :
         {VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR, VK_COMPOSITE_ALPHA_INHERIT_BIT_KHR,
          VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR, VK_COMPOSITE_ALPHA_POST_MULTIPLIED_BIT_KHR}) {
        if ((supported & bit) != 0) {
            return bit;
        }
    }
    return VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
}

VkResult get_images(VkDevice device, SwapchainState* state) {
    uint32_t count = 0;
    VkResult r = vkGetSwapchainImagesKHR(device, state->handle, &count, nullptr);
    if (r != VK_SUCCESS) {
        return r;
    }
    state->images.resize(count);
    r = vkGetSwapchainImagesKHR(device, state->handle, &count, state->images.data());
    if (r != VK_SUCCESS) {
        return r;
    }
    const VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    state->render_done.assign(count, VK_NULL_HANDLE);
    for (VkSemaphore& semaphore : state->render_done) {
        if (r = vkCreateSemaphore(device, &info, nullptr, &semaphore); r != VK_SUCCESS) {
            return r;
        }
    }
    return VK_SUCCESS;
}

}  // namespace

VkResult create_swapchain(const Gpu& gpu, const Options& options, VkExtent2D wanted,
                          VkSwapchainKHR old, SwapchainState* out,
                          const VkAllocationCallbacks* alloc) {
    VkSurfaceCapabilitiesKHR caps;
    VkResult r =
        vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu.physical_device(), gpu.surface(), &caps);
    if (r != VK_SUCCESS) {
        return r;
    }
    if ((caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT) == 0) {
        std::fprintf(stderr, "swapchain-app: the surface does not support TRANSFER_DST images\n");
        return VK_ERROR_FEATURE_NOT_PRESENT;
    }
    VkSurfaceFormatKHR format;
    if (r = choose_format(gpu, &format); r != VK_SUCCESS) {
        return r;
    }
    if (r = check_present_mode(gpu, options.present_mode); r != VK_SUCCESS) {
        return r;
    }
    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = gpu.surface();
    info.minImageCount = choose_image_count(caps, options.image_count);
    info.imageFormat = format.format;
    info.imageColorSpace = format.colorSpace;
    info.imageExtent = choose_extent(caps, wanted);
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.preTransform = caps.currentTransform;
    info.compositeAlpha = choose_alpha(caps.supportedCompositeAlpha);
    info.presentMode = options.present_mode;
    info.clipped = VK_TRUE;
    info.oldSwapchain = old;
    *out = SwapchainState{};
    out->format = format.format;
    out->extent = info.imageExtent;
    if (r = vkCreateSwapchainKHR(gpu.device(), &info, alloc, &out->handle); r != VK_SUCCESS) {
        return r;
    }
    return get_images(gpu.device(), out);
}

void destroy_swapchain(VkDevice device, SwapchainState* state, const VkAllocationCallbacks* alloc) {
    for (VkSemaphore semaphore : state->render_done) {
        vkDestroySemaphore(device, semaphore, nullptr);
    }
    if (state->handle != VK_NULL_HANDLE) {
        vkDestroySwapchainKHR(device, state->handle, alloc);
    }
    *state = SwapchainState{};
}

}  // namespace sb::swapchain_app
