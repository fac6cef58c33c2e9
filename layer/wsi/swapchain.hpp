// The platform-independent swapchain: dma-buf images, their ownership, and the bridge's fence
// transfers at acquire and present. The window system behind it (Wayland, X11) only moves
// buffers; every sync decision is made here, once, for both.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "bridge/hand_over_thread.hpp"
#include "bridge/strategy.hpp"
#include "dispatch/dispatch_table.hpp"
#include "kernel/sync_file.hpp"
#include "util/host_alloc.hpp"
#include "wsi/dma_buf_image.hpp"
#include "wsi/image_ownership.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi {

// What the swapchain needs of the device it belongs to.
struct DeviceContext {
    const dispatch::DeviceTable* next = nullptr;
    VkDevice device = VK_NULL_HANDLE;
    VkPhysicalDeviceMemoryProperties memory_properties{};
    bridge::Strategy strategy = bridge::Strategy::kernel_import;
    bool drm_format_modifier = true;
    // The driver imports dma-bufs but cannot export them: the layer allocates the images' memory.
    bool layer_allocates = false;
    // A queue the layer may submit to for the wait strategy's acquire signal (see acquire()).
    VkQueue internal_queue = VK_NULL_HANDLE;
    // Held around every submit to internal_queue: the app submits to the same queue, and
    // Vulkan queues are externally synchronised (the layer's queue intercepts take it too).
    std::mutex* internal_queue_mutex = nullptr;
    // Import strategy on a driver whose SYNC_FD export waits for the GPU: the render is waited
    // for on the hand-over thread, as in the wait strategy, instead of exported at present.
    bool export_blocks = false;
    // Wait strategy on a driver that can import SYNC_FD semaphores (only export is missing) and a
    // kernel with the dma-buf sync-file ioctls: acquire hands the consumer's reads to the GPU
    // (an imported semaphore the layer's signal submit waits on) instead of waiting for them
    // on the app's thread.
    bool acquire_imports_reads = false;
    // The controls of the sync tests: no fence goes into or comes out of the dma-bufs (import
    // strategy), so the tests can show the corruption the bridge prevents. Never in production.
    bool disable_fence_transfer_for_tests = false;
    // The GPU's DRM render node (VK_EXT_physical_device_drm), 0: the driver does not say.
    dev_t render_node = 0;
};

// A fence the layer submitted after the app's render (wait strategy), destroyed with its last
// reference: the hand-over threads of every swapchain in one vkQueuePresentKHR wait on it.
class RenderFence {
  public:
    static VkResult submit(const dispatch::DeviceTable& next, VkDevice device, VkQueue queue,
                           const VkSemaphore* waits, uint32_t wait_count,
                           std::shared_ptr<RenderFence>* out);
    ~RenderFence();
    RenderFence(const RenderFence&) = delete;
    RenderFence& operator=(const RenderFence&) = delete;

    kernel::Result<kernel::WaitOutcome> wait(std::chrono::nanoseconds timeout) const;

  private:
    RenderFence(const dispatch::DeviceTable& next, VkDevice device, VkFence fence)
        : next_(next), device_(device), fence_(fence) {}
    const dispatch::DeviceTable& next_;
    VkDevice device_;
    VkFence fence_;
};

// What a consumer must wait for before it reads a presented image. Made once per
// vkQueuePresentKHR, because the app's wait semaphores can be waited on once, and shared by
// every swapchain that call presents.
struct RenderDone {
    kernel::SyncFile sync_file;          // import strategy: becomes the dma-buf's write fence
    std::shared_ptr<RenderFence> fence;  // wait strategy: waited for on the hand-over thread
};

struct SwapchainConfig {
    VkExtent2D extent{};
    VkFormat format = VK_FORMAT_B8G8R8A8_UNORM;
    uint32_t drm_format = 0;  // the fourcc the consumer gets
    // The modifier the consumer is told. The images are LINEAR; a consumer that only takes
    // implicit modifiers is told DRM_FORMAT_MOD_INVALID, which on the devices that offer it
    // means linear for these buffers.
    uint64_t consumer_modifier = 0;  // DRM_FORMAT_MOD_LINEAR
    uint32_t image_count = 3;
    VkImageUsageFlags usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t depth = 24;  // the consumer's pixel depth: 24 opaque, 32 with alpha
    // How long the wait strategy waits for one render before declaring the device lost.
    std::chrono::nanoseconds render_timeout = std::chrono::seconds(5);
};

class Swapchain final : public ConsumerEvents {
  public:
    static VkResult create(const DeviceContext& device, Surface& surface,
                           const SwapchainConfig& config, const VkAllocationCallbacks* alloc,
                           std::unique_ptr<Swapchain>* out);
    ~Swapchain() override;
    Swapchain(const Swapchain&) = delete;
    Swapchain& operator=(const Swapchain&) = delete;

    VkResult get_images(uint32_t* count, VkImage* images) const;

    // vkAcquireNextImageKHR: VK_SUCCESS / VK_SUBOPTIMAL_KHR with an image whose consumer reads
    // are the payload of `semaphore` and/or `fence`; VK_NOT_READY (timeout 0) or VK_TIMEOUT when
    // none is free in time; VK_ERROR_OUT_OF_DATE_KHR once retired or resized;
    // VK_ERROR_SURFACE_LOST_KHR once the consumer is gone.
    VkResult acquire(uint64_t timeout_ns, VkSemaphore semaphore, VkFence fence, uint32_t* index);

    // vkQueuePresentKHR for one image: the render-done fence goes into the dma-buf (import
    // strategy) or is waited for on the hand-over thread (wait strategy), then the consumer gets
    // the buffer. The app's thread never waits for the GPU here.
    VkResult present(VkQueue queue, uint32_t index, const VkSemaphore* waits, uint32_t wait_count);

    // The two halves of present(), for a vkQueuePresentKHR with several swapchains: the render
    // fence is made once (with this swapchain's strategy and carrier), then each swapchain
    // presents its image behind it.
    VkResult prepare_render_done(VkQueue queue, const VkSemaphore* waits, uint32_t wait_count,
                                 RenderDone* done);
    VkResult present(uint32_t index, const RenderDone& done);

    // vkGetSwapchainStatusKHR: VK_SUCCESS, VK_SUBOPTIMAL_KHR, or the error acquire would give.
    [[nodiscard]] VkResult status() const { return status_result(VK_SUCCESS); }

    // oldSwapchain: no more acquires; images the consumer holds are released to nobody.
    void retire();

    // VkImageSwapchainCreateInfoKHR: an image the app can bind to any of this swapchain's
    // images' memory (image_memory, for VkBindImageMemorySwapchainInfoKHR).
    VkResult create_alias_image(const VkAllocationCallbacks* alloc, VkImage* image) const;
    [[nodiscard]] VkDeviceMemory image_memory(uint32_t index) const {
        return index < images_.size() ? images_[index].memory : VK_NULL_HANDLE;
    }

    // Whether the images' memory is the layer's (on the consumer's device when known) rather
    // than the driver's own export.
    [[nodiscard]] bool layer_memory() const { return image_info_.layer_allocates; }
    // Whether the consumer syncs through fences its protocol carries (Wayland's syncobj
    // timelines), not through the dma-bufs.
    [[nodiscard]] bool explicit_sync() const { return explicit_sync_; }

    [[nodiscard]] const ImageOwnership& ownership() const { return ownership_; }
    [[nodiscard]] const DmaBufImage& image(uint32_t index) const { return images_[index]; }

    // ConsumerEvents, called on the window system's thread.
    void on_released(uint32_t image, kernel::SyncFile reads_done) override;
    void on_resized(uint32_t width, uint32_t height) override;
    void on_lost() override;

  private:
    Swapchain(const DeviceContext& device, const SwapchainConfig& config,
              const VkAllocationCallbacks* alloc);
    VkResult create_images(std::vector<BufferDescription>* buffers);
    void destroy_images();
    VkResult connect_consumer(Surface& surface, std::vector<BufferDescription>& buffers);
    VkResult wait_for_acquirable(uint64_t timeout_ns, uint32_t* index);
    [[nodiscard]] bool waits_for_reads_on_cpu() const;
    [[nodiscard]] int32_t find_acquirable() const;
    VkResult signal_acquired(uint32_t index, VkSemaphore semaphore, VkFence fence);
    VkResult submit_acquire_signal(VkSemaphore wait, VkSemaphore semaphore, VkFence fence);
    VkResult wait_for_unimported_reads(uint32_t index);
    VkResult signal_released(uint32_t index, VkSemaphore semaphore, VkFence fence);
    VkResult signal_after_reads(uint32_t index, kernel::SyncFile reads, VkSemaphore semaphore,
                                VkFence fence);
    // The fallback where a fence transfer of an acquire failed: the consumer's reads of the image
    // are waited for on the app's thread (bounded by the render timeout), then `semaphore` and
    // `fence` are signalled by an empty submit. SURFACE_LOST if the reads never finish.
    VkResult signal_after_waiting_here(uint32_t index, VkSemaphore semaphore, VkFence fence);
    VkResult after_reads_waited_here(const kernel::Result<kernel::WaitOutcome>& waited,
                                     VkSemaphore semaphore, VkFence fence);
    // The fallback where the render-done could not leave the carrier as a sync_file: a batch
    // that waits on the carrier, waited for here.
    VkResult wait_for_carrier_here(VkQueue queue);
    // The fallback where the render-done could not join the dma-buf: waited for here.
    VkResult wait_for_render_done_here(const RenderDone& done);
    // `render_done`: explicit sync only, the render's fence for the consumer (null: done).
    VkResult hand_over(uint32_t index, const kernel::SyncFile* render_done = nullptr);
    [[nodiscard]] bool release_fence_ready(uint32_t index) const;
    // Under mutex_: whether image `index` has no unimported release fence still pending, and
    // whether any image has one (then acquire polls, as nothing notifies its signal).
    [[nodiscard]] bool unimported_reads_done(uint32_t index) const;
    [[nodiscard]] bool unimported_reads_pending() const;
    VkResult status_result(VkResult success) const;
    VkResult present_result();
    // Presents go through the hand-over thread (wait strategy, or an export that blocks).
    [[nodiscard]] bool presents_on_thread() const;
    void wait_for_layer_submits();
    static void wait_for_unused_render_done(const RenderDone& done);

    DeviceContext device_;
    SwapchainConfig config_;
    // A copy: the app's VkAllocationCallbacks may be a temporary of the create call.
    util::SavedAllocator alloc_;
    DmaBufImageInfo image_info_;  // how every image (and alias) is created
    std::vector<DmaBufImage> images_;
    ImageOwnership ownership_;
    std::unique_ptr<Presenter> presenter_;
    // The presenter's consumer_sync() (fixed for its life), kept here because on_released asks
    // on the presenter's event thread, and that thread runs until the presenter's destructor
    // stops it, after ~Swapchain's presenter_.reset() has already cleared the pointer: reading
    // presenter_ there was a data race (ThreadSanitizer, kernel.wsi-app-tsan). Set before the
    // first present, so before any release can arrive.
    bool explicit_sync_ = false;
    std::unique_ptr<bridge::HandOverThread> hand_over_thread_;  // wait strategy only
    VkSemaphore render_done_carrier_ = VK_NULL_HANDLE;          // import strategy only
    // acquire_imports_reads: one per image, so an import never meets a pending wait (the last
    // acquire's signal submit of an image completed before the app could present it again).
    std::vector<VkSemaphore> reads_carriers_;

    std::mutex mutex_;
    std::condition_variable changed_;
    // Per image: a consumer's release fence that could not join the dma-buf's fences (implicit
    // sync only: explicit sync's comes from Presenter::release_fence at acquire).
    std::vector<kernel::SyncFile> unimported_reads_;
    std::atomic<bool> retired_{false};
    std::atomic<bool> lost_{false};
    std::atomic<bool> suboptimal_{false};
    std::atomic<bool> out_of_date_{false};  // a present said SUBOPTIMAL after a resize
};

}  // namespace sb::wsi
