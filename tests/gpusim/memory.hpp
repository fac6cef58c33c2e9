// dma-buf memory: a vgem buffer, mapped, whose mapping lavapipe imports as host memory
// (VK_EXT_external_memory_host). lavapipe only ever sees the mapping; the dma-buf fd and the
// mapping belong to gpusim and outlive lavapipe's VkDeviceMemory.
#pragma once

#include <vulkan/vulkan.h>

#include <memory>
#include <shared_mutex>
#include <unordered_map>

#include "kernel/dma_buf.hpp"

namespace sb::gpusim {

struct DmaBufMemory {
    kernel::DmaBuf buffer;
    // Declared after `buffer`: unmapped before the dma-buf is closed.
    kernel::DmaBufMapping mapping;
};

class MemoryTable {
  public:
    void insert(VkDeviceMemory memory, std::shared_ptr<DmaBufMemory> record);
    [[nodiscard]] std::shared_ptr<DmaBufMemory> find(VkDeviceMemory memory) const;
    std::shared_ptr<DmaBufMemory> remove(VkDeviceMemory memory);
    [[nodiscard]] size_t size() const;

  private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<VkDeviceMemory, std::shared_ptr<DmaBufMemory>> map_;
};

}  // namespace sb::gpusim
