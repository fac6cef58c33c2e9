// The layer's surfaces and swapchains. A VkSurfaceKHR is the loader's handle: the layer keeps a
// record beside it. A bridged VkSwapchainKHR is the layer's own: its handle is the record's
// address, and the driver never sees it.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <memory>
#include <vector>

#include "api/state.hpp"
#include "dispatch/object_map.hpp"
#include "wsi/swapchain.hpp"
#include "wsi/window_system.hpp"

namespace sb::api {

struct SurfaceData {
    VkSurfaceKHR handle = VK_NULL_HANDLE;
    std::unique_ptr<wsi::Surface> window_system;
    // Whether the consumer takes dma-bufs (learnt at the first query; a compositor does not
    // lose linux-dmabuf): if not, the driver's own WSI presents to this surface.
    enum class Consumer : int { unknown, dma_buf, other };
    std::atomic<Consumer> consumer{Consumer::unknown};
};

struct SwapchainData {
    DeviceData* device = nullptr;
    std::unique_ptr<wsi::Swapchain> chain;
    // Private data set on the swapchain lives on this driver object instead (object_api.cpp):
    // the driver never sees the layer's handle, and its private-data slots keep their exact
    // semantics (reserved slots, slot destruction, VK_ERROR_OUT_OF_HOST_MEMORY).
    VkSemaphore private_data_anchor = VK_NULL_HANDLE;
};

dispatch::ObjectMap<SurfaceData>& surfaces();
dispatch::ObjectMap<SwapchainData>& swapchains();

// Non-dispatchable handles are pointers on the 64-bit platforms the layer builds for.
static_assert(sizeof(VkSurfaceKHR) == sizeof(void*));

inline SurfaceData* surface_data(VkSurfaceKHR surface) {
    return surface != VK_NULL_HANDLE ? surfaces().find(reinterpret_cast<const void*>(surface))
                                     : nullptr;
}
inline SwapchainData* swapchain_data(VkSwapchainKHR swapchain) {
    return swapchain != VK_NULL_HANDLE ? swapchains().find(reinterpret_cast<const void*>(swapchain))
                                       : nullptr;
}

// VkBindImageMemorySwapchainInfoKHR naming a layer-owned swapchain: the driver must get the
// swapchain image's memory instead, without the struct (it would read the layer's handle as its
// own swapchain). Holds the rewritten binds; used by vkBindImageMemory2 (memory_api.cpp).
class SwapchainBinds {
  public:
    // VK_SUCCESS with binds() the ones to pass down (the app's own when none needed a change),
    // VK_ERROR_OUT_OF_HOST_MEMORY, or VK_ERROR_UNKNOWN for a chain the layer cannot rewrite.
    VkResult rewrite(uint32_t count, const VkBindImageMemoryInfo* infos);
    [[nodiscard]] const VkBindImageMemoryInfo* binds() const { return binds_; }

  private:
    struct Rewritten {
        VkBindImageMemoryInfo info;
        VkBindImageMemoryDeviceGroupInfo device_group;
        VkBindImagePlaneMemoryInfo plane;
    };
    static bool rewrite_one(const VkBindImageMemoryInfo& in, Rewritten* out);
    std::vector<Rewritten> rewritten_;
    std::vector<VkBindImageMemoryInfo> copies_;
    const VkBindImageMemoryInfo* binds_ = nullptr;
};

// How a (physical device, surface) pair is presented to.
enum class Route {
    driver,  // pass-through device, a surface the layer does not know, or no dma-buf consumer
    layer,   // the layer's swapchain and fence bridge
    lost,    // the consumer is gone: VK_ERROR_SURFACE_LOST_KHR
};

// Decides the route, asking the consumer for its formats when needed (`formats`, if given,
// receives them when the route is `layer`).
Route route_for(InstanceData& instance, VkPhysicalDevice pd, VkSurfaceKHR surface,
                std::vector<wsi::FormatModifier>* formats = nullptr);

}  // namespace sb::api

namespace sb::api {

// A present mode the layer's swapchains implement on this surface.
bool supports_present_mode(const wsi::Surface& surface, VkPresentModeKHR mode);

// Keeps `window_system` beside the loader's `surface` (made by the driver, which pass-through
// devices and consumers without dma-bufs present to). On failure (`window_system` null: out of
// memory) the driver's surface is destroyed and VK_ERROR_OUT_OF_HOST_MEMORY returned.
VkResult adopt_surface(InstanceData& inst, VkInstance instance,
                       std::unique_ptr<wsi::Surface> window_system,
                       const VkAllocationCallbacks* alloc, VkSurfaceKHR* surface);

}  // namespace sb::api
