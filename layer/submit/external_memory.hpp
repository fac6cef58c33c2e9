// Which of a device's memory objects are dma-bufs, and which buffers and images live in them:
// the resources whose ownership transfers the layer must bridge.
//
// The table owns one duplicate of each dma-buf's fd (an import's fd belongs to the driver once
// the import succeeds; an export's is taken with vkGetMemoryFdKHR) until the memory is freed.
// Records in command buffers share it, so that fd closes when the last of them goes.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "kernel/dma_buf.hpp"

namespace sb::submit {

class ExternalMemoryTable {
  public:
    void add_memory(VkDeviceMemory memory, kernel::DmaBuf buffer);
    void remove_memory(VkDeviceMemory memory);

    // Records `buffer` or `image` as living in `memory`, if that is a dma-buf; forgets it else
    // (a handle the driver reuses for a resource in ordinary memory).
    void bind_buffer(VkBuffer buffer, VkDeviceMemory memory);
    void bind_image(VkImage image, VkDeviceMemory memory);
    void forget_buffer(VkBuffer buffer);
    void forget_image(VkImage image);

    // The dma-buf behind a bound resource, or null for ordinary memory.
    [[nodiscard]] std::shared_ptr<const kernel::DmaBuf> buffer_memory(VkBuffer buffer) const;
    [[nodiscard]] std::shared_ptr<const kernel::DmaBuf> image_memory(VkImage image) const;

    // No dma-buf memory at all: barriers need no lookups.
    [[nodiscard]] bool empty() const { return memory_count_.load(std::memory_order_relaxed) == 0; }

  private:
    using Shared = std::shared_ptr<const kernel::DmaBuf>;
    using Bindings = std::unordered_map<uint64_t, VkDeviceMemory>;
    void bind(Bindings& resources, uint64_t resource, VkDeviceMemory memory);
    Shared find(const Bindings& resources, uint64_t resource) const;

    mutable std::mutex mutex_;
    std::unordered_map<VkDeviceMemory, Shared> memory_;
    // Resources bound to dma-buf memory (by handle value: buffers and images apart, as their
    // handles may coincide).
    Bindings buffers_;
    Bindings images_;
    std::atomic<size_t> memory_count_{0};
};

}  // namespace sb::submit
