// A small Vulkan app for gpusim's tests: an instance with gpusim enabled (optionally with the
// validation layer below it, checking what gpusim asks of lavapipe), one device, one queue, and
// helpers for the few objects the tests need. Failures throw (tests may; layers never do).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb::gpusim::test {

// Makes the test binary find gpusim's build-tree manifest (VK_ADD_LAYER_PATH), unless the
// environment already says where.
void use_build_tree_manifest(const char* manifest_dir);

struct Settings {
    uint32_t latency_ms = 8;
    uint32_t jitter_ms = 0;
    bool sync_fd = true;
    bool dma_buf = true;
    bool validation_below = false;  // VK_LAYER_KHRONOS_validation between gpusim and lavapipe
    std::vector<const char*> layers_above;  // between the app and gpusim (syncbridge), in order
    // VK_LAYER_KHRONOS_validation right above gpusim, below layers_above: it checks what they
    // ask of the driver.
    bool validation_above_gpusim = false;
    uint32_t api_version = VK_API_VERSION_1_3;
    std::vector<const char*> device_extensions;  // enabled when the device lists them
    // false: no gpusim, the loader's driver right below layers_above (a real dma-buf driver,
    // lavapipe 25 from the backports prefix).
    bool gpusim = true;
};

void check(VkResult r, const char* what);

// A device with everything a dma-buf, SYNC_FD driver offers enabled (as syncbridge's kernel
// import strategy uses it), and the given simulated GPU time.
Settings dma_buf_device(uint32_t latency_ms, uint32_t jitter_ms = 0);

class Vk {
  public:
    explicit Vk(const Settings& settings);
    ~Vk();
    Vk(const Vk&) = delete;
    Vk& operator=(const Vk&) = delete;

    bool has_device_extension(const char* name) const;
    bool enabled(const char* name) const;
    template <typename Fn>
    Fn device_proc(const char* name) const {
        auto fn = reinterpret_cast<Fn>(vkGetDeviceProcAddr(device, name));
        if (fn == nullptr) {
            throw std::runtime_error(std::string("no ") + name);
        }
        return fn;
    }

    uint32_t memory_type(uint32_t bits, VkMemoryPropertyFlags flags) const;
    VkCommandBuffer begin_commands();
    // Ends `cb` and submits it; the returned semaphore-free submit signals `fence`.
    void submit(VkCommandBuffer cb, VkFence fence, const std::vector<VkSemaphore>& waits = {},
                const std::vector<VkSemaphore>& signals = {});
    VkFence create_fence(bool export_sync_fd = false, bool signalled = false);
    VkSemaphore create_semaphore(bool export_sync_fd = false);

    // Validation messages (errors and warnings) seen so far, when validation_below.
    int validation_messages() const { return messages_.load(); }
    const std::string& first_validation_message() const { return first_message_; }

    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t queue_family = 0;
    VkCommandPool pool = VK_NULL_HANDLE;

  private:
    static VKAPI_ATTR VkBool32 VKAPI_CALL
    on_message(VkDebugUtilsMessageSeverityFlagBitsEXT, VkDebugUtilsMessageTypeFlagsEXT,
               const VkDebugUtilsMessengerCallbackDataEXT* data, void* user);

    std::vector<std::string> device_extensions_;
    std::vector<std::string> enabled_;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    std::atomic<int> messages_{0};
    std::string first_message_;
};

// A buffer with its own memory. With `dma_buf`, the memory is exportable as a dma-buf.
struct Buffer {
    Buffer(Vk& vk, VkDeviceSize size, bool dma_buf);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    Vk& vk;
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize size = 0;
};

// A 2D RGBA8 image. With `dma_buf`: DRM_FORMAT_MODIFIER tiling (LINEAR) in dedicated dma-buf
// memory; else LINEAR in host-visible memory.
struct Image {
    Image(Vk& vk, uint32_t width, uint32_t height, bool dma_buf);
    ~Image();
    Image(const Image&) = delete;
    Image& operator=(const Image&) = delete;

    Vk& vk;
    VkImage image = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint32_t width = 0;
    uint32_t height = 0;
    VkSubresourceLayout layout{};  // lavapipe's, through gpusim (MEMORY_PLANE_0 for dma-buf)
    VkDeviceSize size = 0;
};

// Records a transition to TRANSFER_DST and a clear of the whole image to `rgba`.
void record_clear(VkCommandBuffer cb, const Image& image, const float rgba[4]);

}  // namespace sb::gpusim::test
