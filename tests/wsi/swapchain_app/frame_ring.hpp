// Frames in flight: a ring of (image count - 1) slots, each with its own command buffer, the
// fence of its last submit and the semaphore its acquire signals.
#pragma once

#include <vulkan/vulkan.h>

#include <vector>

namespace sb::swapchain_app {

struct FrameSlot {
    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandBuffer commands = VK_NULL_HANDLE;
    VkFence done = VK_NULL_HANDLE;  // created signalled
    VkSemaphore acquired = VK_NULL_HANDLE;
    VkFence acquire_done = VK_NULL_HANDLE;  // --acquire-fence: the acquire's fence, unsignalled
};

class FrameRing {
  public:
    FrameRing() = default;
    ~FrameRing() { destroy(); }
    FrameRing(const FrameRing&) = delete;
    FrameRing& operator=(const FrameRing&) = delete;

    // `slots` slots on `queue_family`; any old ones are destroyed first (the caller made sure
    // the device no longer uses them).
    VkResult create(VkDevice device, uint32_t queue_family, uint32_t slots);
    void destroy();
    [[nodiscard]] FrameSlot& slot(uint64_t frame) { return slots_[frame % slots_.size()]; }
    [[nodiscard]] size_t size() const { return slots_.size(); }

  private:
    VkResult create_slot(uint32_t queue_family, FrameSlot* slot);

    VkDevice device_ = VK_NULL_HANDLE;
    std::vector<FrameSlot> slots_;
};

}  // namespace sb::swapchain_app
