// A VkSurfaceKHR made with vkCreateWaylandSurfaceKHR: the app's (wl_display, wl_surface). The
// app owns both and keeps them alive longer than the surface and its swapchains (the Vulkan
// rule); this object creates nothing until asked, and nothing on the app's default queue.
#pragma once

#include <wayland-client.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "wsi/wayland/explicit_sync.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

class WaylandSurface final : public Surface {
  public:
    WaylandSurface(wl_display* display, wl_surface* surface)
        : display_(display), surface_(surface) {}

    // The compositor's linux-dmabuf v3 format + modifier pairs, each once (bounded roundtrips
    // on a temporary private queue, on the calling thread). A compositor without
    // zwp_linux_dmabuf_v1 v3 gives VK_SUCCESS and an empty list (logged once): the layer cannot
    // bridge this surface and the caller decides what to do. VK_ERROR_SURFACE_LOST_KHR: the
    // connection died or the compositor did not answer in time.
    VkResult query_formats(std::vector<FormatModifier>* formats) override;

    // linux-dmabuf version 4's main device (0 before version 4, or before a query).
    dev_t consumer_device() const override { return main_device_.load(); }
    [[nodiscard]] std::string consumer_path() const override;

    // Wayland leaves the size to the swapchain (the app's extent).
    bool current_extent(VkExtent2D* /*extent*/) override { return false; }

    // FIFO is paced by frame callbacks; MAILBOX and IMMEDIATE commit at once (a compositor never
    // tears, so the two behave alike). FIFO_RELAXED would need tearing control: not offered.
    [[nodiscard]] std::span<const VkPresentModeKHR> present_modes() const override {
        return kPresentModes;
    }

    // A WaylandPresenter (wayland_presenter.hpp, for its errors and threads).
    VkResult create_presenter(const std::vector<BufferDescription>& buffers,
                              const AppDevice& device, ConsumerEvents* events,
                              std::unique_ptr<Presenter>* presenter) override;

  private:
    static constexpr VkPresentModeKHR kPresentModes[] = {
        VK_PRESENT_MODE_FIFO_KHR,
        VK_PRESENT_MODE_MAILBOX_KHR,
        VK_PRESENT_MODE_IMMEDIATE_KHR,
    };
    // Explicit or implicit sync, decided at the first swapchain and kept (explicit_sync.hpp).
    // `gpu_node`: the app's GPU, where timelines can live when the compositor names no device.
    VkResult decide_sync(dev_t gpu_node, std::shared_ptr<SyncobjSurface>* syncobj);

    wl_display* const display_;
    wl_surface* const surface_;
    std::atomic<dev_t> main_device_{0};
    std::atomic<uint32_t> dmabuf_version_{0};  // bound at the last query_formats()
    std::mutex sync_mutex_;
    bool sync_decided_ = false;
    std::shared_ptr<SyncobjSurface> syncobj_;  // null: implicit sync
};

}  // namespace sb::wsi::wayland
