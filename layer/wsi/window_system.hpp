// The small interface between the platform-independent swapchain and each window system
// (Wayland, X11). The swapchain owns the images and their fences; the window system owns the
// connection to the consumer and moves buffers across it.
//
// Threading: a Presenter's events (release, frame done, resize) are delivered on a thread the
// window system owns, and never after the Presenter is destroyed. on_lost() is the exception: a
// present() that is first to find the connection dead reports it on the presenting thread, so
// the swapchain must not hold its own lock across present().
#pragma once

#include <sys/types.h>
#include <vulkan/vulkan.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace sb::wsi {

// A DRM format (fourcc) with one modifier the consumer can read it with.
struct FormatModifier {
    uint32_t drm_format = 0;
    uint64_t modifier = 0;
};

// One swapchain image as the consumer sees it: a single-plane dma-buf.
struct BufferDescription {
    int dma_buf_fd = -1;  // borrowed: the window system duplicates what it needs to keep
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t drm_format = 0;
    uint64_t modifier = 0;
    uint32_t offset = 0;
    uint32_t stride = 0;
};

// What the consumer tells the swapchain.
class ConsumerEvents {
  public:
    virtual ~ConsumerEvents() = default;
    // The consumer no longer needs buffer `image` (wl_buffer.release, PresentIdleNotify). Its
    // reads may still be pending in the dma-buf's fences: the swapchain's acquire waits on them.
    virtual void on_released(uint32_t image) = 0;
    // A good time to present the next frame (frame callback, PresentCompleteNotify): FIFO pacing.
    virtual void on_frame_done() = 0;
    // The surface changed size: the swapchain becomes suboptimal / out of date.
    virtual void on_resized(uint32_t width, uint32_t height) = 0;
    // The connection is gone (compositor died, protocol error): VK_ERROR_SURFACE_LOST_KHR.
    virtual void on_lost() = 0;
};

// One swapchain's link to the consumer.
class Presenter {
  public:
    virtual ~Presenter() = default;
    // Hands buffer `image` to the consumer now. The caller has already put the render-done fence
    // into the dma-buf (or waited for the render): the consumer may read as soon as this returns.
    // `wait_for_frame` asks for an on_frame_done event for this commit.
    virtual VkResult present(uint32_t image, bool wait_for_frame) = 0;
};

// One VkSurfaceKHR's window-system side.
class Surface {
  public:
    virtual ~Surface() = default;
    // The formats and modifiers the consumer accepts (linux-dmabuf, DRI3).
    virtual VkResult query_formats(std::vector<FormatModifier>* formats) = 0;
    // The device the consumer reads with (a DRM node's dev_t), as the last query_formats()
    // learnt it; 0 when the window system does not say (linux-dmabuf before version 4).
    virtual dev_t consumer_device() const { return 0; }
    // The surface's size if the window system defines it; false if the swapchain decides.
    virtual bool current_extent(VkExtent2D* extent) = 0;
    // Creates the consumer-side buffers for `buffers` (index = swapchain image index).
    virtual VkResult create_presenter(const std::vector<BufferDescription>& buffers,
                                      ConsumerEvents* events,
                                      std::unique_ptr<Presenter>* presenter) = 0;
};

}  // namespace sb::wsi
