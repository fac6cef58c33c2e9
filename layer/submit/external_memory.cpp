#include "submit/external_memory.hpp"

namespace sb::submit {

void ExternalMemoryTable::add_memory(VkDeviceMemory memory, kernel::DmaBuf buffer) {
    auto shared = std::make_shared<const kernel::DmaBuf>(std::move(buffer));
    std::lock_guard lock(mutex_);
    memory_[memory] = std::move(shared);
    memory_count_.store(memory_.size(), std::memory_order_relaxed);
}

void ExternalMemoryTable::remove_memory(VkDeviceMemory memory) {
    std::lock_guard lock(mutex_);
    memory_.erase(memory);
    memory_count_.store(memory_.size(), std::memory_order_relaxed);
}

void ExternalMemoryTable::bind(Bindings& resources, uint64_t resource, VkDeviceMemory memory) {
    std::lock_guard lock(mutex_);
    if (memory_.count(memory) == 0) {
        resources.erase(resource);
        return;
    }
    resources[resource] = memory;
}

// A resource whose memory was freed is unusable (Vulkan forbids it); it finds nothing here.
ExternalMemoryTable::Shared ExternalMemoryTable::find(const Bindings& resources,
                                                      uint64_t resource) const {
    std::lock_guard lock(mutex_);
    auto bound = resources.find(resource);
    if (bound == resources.end()) {
        return nullptr;
    }
    auto memory = memory_.find(bound->second);
    return memory != memory_.end() ? memory->second : nullptr;
}

void ExternalMemoryTable::bind_buffer(VkBuffer buffer, VkDeviceMemory memory) {
    bind(buffers_, reinterpret_cast<uint64_t>(buffer), memory);
}

void ExternalMemoryTable::bind_image(VkImage image, VkDeviceMemory memory) {
    bind(images_, reinterpret_cast<uint64_t>(image), memory);
}

void ExternalMemoryTable::forget_buffer(VkBuffer buffer) {
    std::lock_guard lock(mutex_);
    buffers_.erase(reinterpret_cast<uint64_t>(buffer));
}

void ExternalMemoryTable::forget_image(VkImage image) {
    std::lock_guard lock(mutex_);
    images_.erase(reinterpret_cast<uint64_t>(image));
}

std::shared_ptr<const kernel::DmaBuf> ExternalMemoryTable::buffer_memory(VkBuffer buffer) const {
    return empty() ? nullptr : find(buffers_, reinterpret_cast<uint64_t>(buffer));
}

std::shared_ptr<const kernel::DmaBuf> ExternalMemoryTable::image_memory(VkImage image) const {
    return empty() ? nullptr : find(images_, reinterpret_cast<uint64_t>(image));
}

}  // namespace sb::submit
