// The app's Vulkan objects that live as long as the window: instance, surface, device, queue.
#pragma once

#include <vulkan/vulkan.h>
#include <wayland-client.h>

#include <memory>

namespace sb::swapchain_app {

// A VkResult as its name ("VK_ERROR_SURFACE_LOST_KHR"), or its number.
const char* vk_result_name(VkResult result);

class Gpu {
  public:
    // Instance (VK_KHR_surface + VK_KHR_wayland_surface), VkSurfaceKHR over `surface`, the first
    // physical device, a queue family with graphics and present support, a device with
    // VK_KHR_swapchain. Null (with a message on stderr) on failure. `device_alloc` (it must
    // outlive the Gpu) goes to vkCreateDevice and vkDestroyDevice.
    static std::unique_ptr<Gpu> create(wl_display* display, wl_surface* surface,
                                       const VkAllocationCallbacks* device_alloc = nullptr);
    ~Gpu();
    Gpu(const Gpu&) = delete;
    Gpu& operator=(const Gpu&) = delete;

    [[nodiscard]] VkPhysicalDevice physical_device() const { return physical_device_; }
    [[nodiscard]] VkSurfaceKHR surface() const { return surface_; }
    [[nodiscard]] VkDevice device() const { return device_; }
    [[nodiscard]] VkQueue queue() const { return queue_; }
    [[nodiscard]] uint32_t queue_family() const { return queue_family_; }

  private:
    Gpu() = default;
    bool create_instance();
    bool create_surface(wl_display* display, wl_surface* surface);
    bool pick_device();
    bool create_device();

    VkInstance instance_ = VK_NULL_HANDLE;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    const VkAllocationCallbacks* device_alloc_ = nullptr;
};

// A device as the app makes it (one queue of `family`, VK_KHR_swapchain), with `alloc`.
VkResult create_swapchain_device(VkPhysicalDevice physical_device, uint32_t family,
                                 const VkAllocationCallbacks* alloc, VkDevice* device);

}  // namespace sb::swapchain_app
