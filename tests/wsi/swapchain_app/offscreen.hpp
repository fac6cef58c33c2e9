// --render-only: images like the swapchain's (format, size, count) that are never presented, for
// the frame-pacing benchmark's physical limit of the present path: the same frames rendered and
// waited for, with nothing between the GPU and the next frame.
#pragma once

#include <vulkan/vulkan.h>

#include <vector>

namespace sb::swapchain_app {

class OffscreenImages {
  public:
    OffscreenImages() = default;
    ~OffscreenImages() { destroy(); }
    OffscreenImages(const OffscreenImages&) = delete;
    OffscreenImages& operator=(const OffscreenImages&) = delete;

    // `count` optimal-tiling TRANSFER_DST images in device-local memory (any memory type where
    // none is device-local); what was there before is destroyed first.
    VkResult create(VkPhysicalDevice physical_device, VkDevice device, VkFormat format,
                    VkExtent2D extent, uint32_t count);
    void destroy();
    [[nodiscard]] VkImage image(uint64_t frame) const { return images_[frame % images_.size()]; }

  private:
    VkResult create_one(VkPhysicalDevice physical_device, VkFormat format, VkExtent2D extent);

    VkDevice device_ = VK_NULL_HANDLE;
    std::vector<VkImage> images_;
    std::vector<VkDeviceMemory> memory_;
};

}  // namespace sb::swapchain_app
