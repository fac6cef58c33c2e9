// The layer's per-instance and per-device state, found from any dispatchable handle.
#pragma once

#include <vulkan/vulkan.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/strategy.hpp"
#include "dispatch/dispatch_table.hpp"
#include "dispatch/object_map.hpp"
#include "submit/device_transfers.hpp"
#include "util/host_alloc.hpp"

namespace sb::api {

struct PhysicalDeviceInfo {
    bridge::DeviceCapabilities caps;
    bridge::StrategyChoice choice;
};

struct InstanceData {
    VkInstance handle = VK_NULL_HANDLE;
    dispatch::InstanceTable next;
    // VK_KHR_xlib_surface's commands of the next layer (xlib_api.cpp), which the generated tables
    // leave out.
    PFN_vkVoidFunction next_create_xlib_surface = nullptr;
    PFN_vkVoidFunction next_xlib_presentation_support = nullptr;
    util::SavedAllocator alloc;
    // VkApplicationInfo::apiVersion (1.0 when absent): a device's commands and extensions are
    // core only up to the lower of this and the device's version.
    uint32_t app_api_version = VK_API_VERSION_1_0;

    // Capabilities and strategy per physical device, probed at first use.
    const PhysicalDeviceInfo& physical_device_info(VkPhysicalDevice pd);

  private:
    std::mutex mutex_;
    std::unordered_map<VkPhysicalDevice, PhysicalDeviceInfo> physical_devices_;
};

struct DeviceData {
    VkDevice handle = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    InstanceData* instance = nullptr;
    dispatch::DeviceTable next;
    PFN_vkGetDeviceProcAddr next_get_device_proc_addr = nullptr;
    util::SavedAllocator alloc;
    bridge::Strategy strategy = bridge::Strategy::passthrough;
    uint32_t api_version = 0;  // the version the app can use: min(app's, device's)
    // Extensions the layer enabled on the driver behind the app's back: their commands stay
    // invisible to the app (vkGetDeviceProcAddr answers as without the layer).
    std::vector<std::string> enabled_by_layer;
    std::vector<std::string> enabled_by_app;

    // What the layer's swapchains need (bridging devices only).
    VkPhysicalDeviceMemoryProperties memory_properties{};
    // The GPU's DRM render node (VK_EXT_physical_device_drm), 0 when the driver does not say.
    dev_t render_node = 0;
    bool drm_format_modifier = false;  // VK_EXT_image_drm_format_modifier is enabled
    bool layer_allocates = false;      // the driver imports dma-bufs but cannot export them
    // The wait strategy's acquire signals go to this queue (the first one the app created).
    VkQueue internal_queue = VK_NULL_HANDLE;
    uint32_t internal_queue_family = 0;
    // The app and the layer both submit to internal_queue (wait strategy): queue_api.cpp's
    // intercepts and the swapchain's acquire signal hold this around every use.
    std::mutex internal_queue_mutex;
    // The driver's SYNC_FD export waits for the GPU (bridge/export_probe.hpp): presents export
    // on the layer's thread.
    bool export_blocks = false;
    // Wait strategy, but SYNC_FD semaphore import and the kernel's ioctls are there.
    bool acquire_imports_reads = false;
    // SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1: the sync tests' control (wsi::DeviceContext).
    bool disable_fence_transfer_for_tests = false;
    // Foreign queue-family transfers at submit (layer/submit): kernel import strategy only, null
    // for every other device. Destroyed before the device.
    std::unique_ptr<submit::DeviceTransfers> transfers;
};

dispatch::ObjectMap<InstanceData>& instances();
dispatch::ObjectMap<DeviceData>& devices();

inline InstanceData* instance_data(const void* handle) {
    return instances().find(dispatch::dispatch_key(handle));
}
inline DeviceData* device_data(const void* handle) {
    return devices().find(dispatch::dispatch_key(handle));
}

// The strategy mode requested through SYNCBRIDGE_MODE, with a log line for nonsense.
bridge::Mode requested_mode();

}  // namespace sb::api
