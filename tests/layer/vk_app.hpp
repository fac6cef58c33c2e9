// A minimal Vulkan app for the layer tests, through the real loader.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <string>
#include <vector>

namespace sb::test {

inline constexpr const char* kSyncbridge = "VK_LAYER_SYNCBRIDGE_wsi";
inline constexpr const char* kValidation = "VK_LAYER_KHRONOS_validation";
inline constexpr const char* kGpusim = "VK_LAYER_SYNCBRIDGE_gpusim";

// Validation errors and warnings seen by the messenger.
struct Messages {
    std::atomic<int> count{0};
    std::string first;
};

struct Instance {
    VkInstance handle = VK_NULL_HANDLE;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    Instance() = default;
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
    ~Instance();
};

// `layers` in order, the first closest to the app. With `messages`, a debug-utils messenger
// collects warnings and errors for the instance's whole life.
VkResult create_instance(Instance& out, const std::vector<const char*>& layers,
                         Messages* messages = nullptr,
                         const VkAllocationCallbacks* alloc = nullptr);
VkResult create_device(VkPhysicalDevice gpu, const std::vector<const char*>& extensions,
                       VkDevice* device);
std::vector<std::string> device_extensions(VkPhysicalDevice gpu);
bool layer_available(const char* name);
// A host-visible, coherent buffer with its memory bound: where a test reads GPU results.
struct HostBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
};
// False (with a gtest failure) when it cannot be made.
bool create_host_buffer(VkPhysicalDevice gpu, VkDevice device, VkDeviceSize size,
                        VkBufferUsageFlags usage, HostBuffer* out);
void destroy_host_buffer(VkDevice device, HostBuffer& buffer);
// The first 4 bytes at `offset`.
uint32_t read_host_buffer(VkDevice device, const HostBuffer& buffer, VkDeviceSize offset);
// Submits `commands` alone to `queue` and waits for it, 5 s at most.
VkResult submit_and_wait(VkDevice device, VkQueue queue, VkCommandBuffer commands);

// Creates a device, fills a buffer with `value` on the GPU, reads it back, destroys everything.
uint32_t clear_and_read_back(VkPhysicalDevice gpu, uint32_t value);

}  // namespace sb::test
