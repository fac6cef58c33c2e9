// The small interface between the platform-independent swapchain and each window system
// (Wayland, X11). The swapchain owns the images and their fences; the window system owns the
// connection to the consumer and moves buffers across it.
//
// What each side owns: the swapchain decides when an image may be written and read (every sync
// decision); the window system answers the surface queries that depend on the window system
// (size, present modes, formats) and paces presents by the display's own clock (Wayland frame
// callbacks, X11 Present's CompleteNotify), because only it knows that clock.
//
// Threading: a Presenter's events (release, resize) are delivered on a thread the window system
// owns, and never after the Presenter is destroyed. on_lost() is the exception: a present() that
// is first to find the connection dead reports it on the presenting thread, so the swapchain
// must not hold its own lock across present().
#pragma once

#include <sys/types.h>
#include <vulkan/vulkan.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/sync_file.hpp"

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
    // What X11's DRI3 PixmapFromBuffer(s) asks for besides the layout: the visual's depth (24
    // for XRGB, 32 for ARGB) and the bits per pixel.
    uint32_t depth = 0;
    uint32_t bpp = 0;
};

// How a consumer learns that a buffer's writes are done, and says that its reads are.
enum class ConsumerSync : uint8_t {
    // Through the dma-buf's reservation: the render's write fence goes into it before the
    // hand-over, and the consumer's reads are in it (or in a fence of its own) at release.
    implicit,
    // Through fences the protocol carries (wp_linux_drm_syncobj_v1 timeline points): the render's
    // fence goes with the present, the release carries the consumer's; the dma-buf holds nothing.
    explicit_fences,
};

// One vkQueuePresentKHR of one image, as the window system gets it. Implicit sync: the render
// is done (or its fence is in the dma-buf) when the request is made.
struct PresentRequest {
    uint32_t image = 0;
    // How the window system paces it: FIFO waits for the display's next refresh after the last
    // present (never faster, never dropping a frame), MAILBOX replaces a queued frame, IMMEDIATE
    // shows at once.
    VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR;
    // Explicit sync: the render's fence, for the consumer to wait for (null or the stub: the
    // render is done). Borrowed for the call.
    const kernel::SyncFile* render_done = nullptr;
};

// What the consumer tells the swapchain.
class ConsumerEvents {
  public:
    virtual ~ConsumerEvents() = default;
    // The consumer no longer needs buffer `image` (wl_buffer.release, PresentIdleNotify, an
    // explicit-sync release point). Implicit sync: its reads may still be pending in the
    // dma-buf's fences, and in `reads_done` when the consumer hands back a fence of its own; the
    // stub when it does not. Explicit sync: the stub; the release point's fence, the only one,
    // comes from Presenter::release_fence(). The swapchain's acquire waits on what there is.
    virtual void on_released(uint32_t image, kernel::SyncFile reads_done) = 0;
    // The surface changed size: the swapchain becomes suboptimal / out of date.
    virtual void on_resized(uint32_t width, uint32_t height) = 0;
    // The connection is gone (compositor died, protocol error): VK_ERROR_SURFACE_LOST_KHR.
    virtual void on_lost() = 0;
};

// What a window system may need to know of the app's device.
struct AppDevice {
    // The GPU's DRM render node (VK_EXT_physical_device_drm), 0 when the driver does not say:
    // where explicit sync's timelines can live when the consumer names no device.
    dev_t render_node = 0;
};

// One swapchain's link to the consumer.
class Presenter {
  public:
    virtual ~Presenter() = default;
    // Hands `request.image` to the consumer, paced as its mode asks: a FIFO present may block
    // the calling thread until the display is ready for another frame (bounded: a hidden
    // window gets no refreshes and must not freeze the app). The caller has already put the
    // render-done fence into the dma-buf (or waited for the render): the consumer may read as
    // soon as the buffer is handed over.
    virtual VkResult present(const PresentRequest& request) = 0;
    // Fixed for the presenter's life: what present() and on_released carry.
    [[nodiscard]] virtual ConsumerSync consumer_sync() const { return ConsumerSync::implicit; }
    // Explicit sync: the fence of `image`'s last release point, asked for when the image is
    // acquired rather than carried by on_released, so that no fd is held for a released image
    // (the stub once it has signalled). Any thread.
    [[nodiscard]] virtual kernel::Result<kernel::SyncFile> release_fence(uint32_t /*image*/) {
        return kernel::SyncFile{};
    }
    // Explicit sync: whether that fence has signalled. The last-resort acquire asks this of
    // every pending image every few milliseconds; a presenter that can answer without making
    // a sync_file overrides it.
    [[nodiscard]] virtual kernel::Result<bool> release_signalled(uint32_t image) {
        auto fence = release_fence(image);
        if (!fence) {
            return fence.error();
        }
        return fence->is_signalled();
    }
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
    // The path to the consumer that the last query_formats() found, in words, for the
    // swapchain's info line: e.g. "Wayland linux-dmabuf v4, feedback main device
    // /dev/dri/renderD128" (syncbridge-info's path line says the same).
    [[nodiscard]] virtual std::string consumer_path() const { return "a dma-buf consumer"; }
    // The surface's size if the window system defines it; false if the swapchain decides.
    virtual bool current_extent(VkExtent2D* extent) = 0;
    // The present modes this window system can pace, in order of preference; FIFO first.
    [[nodiscard]] virtual std::span<const VkPresentModeKHR> present_modes() const = 0;
    // Creates the consumer-side buffers for `buffers` (index = swapchain image index).
    // VK_ERROR_OUT_OF_HOST_MEMORY where the consumer refuses a buffer.
    virtual VkResult create_presenter(const std::vector<BufferDescription>& buffers,
                                      const AppDevice& device, ConsumerEvents* events,
                                      std::unique_ptr<Presenter>* presenter) = 0;

    // Whether the consumer refused the driver's own dma-bufs once (an X server imports only
    // memory of its own device): the swapchain then allocates on consumer_device() first.
    [[nodiscard]] bool prefers_layer_memory() const { return prefers_layer_memory_.load(); }
    void prefer_layer_memory() { prefers_layer_memory_ = true; }

  private:
    std::atomic<bool> prefers_layer_memory_{false};
};

}  // namespace sb::wsi
