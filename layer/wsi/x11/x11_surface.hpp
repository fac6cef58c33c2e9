// A VkSurfaceKHR made with vkCreateXcbSurfaceKHR: the app's (xcb_connection_t, xcb_window_t).
// The app owns both and keeps them alive longer than the surface and its swapchains (the Vulkan
// rule). The layer presents to it only where the X server takes dma-bufs (DRI3) and presents
// pixmaps (Present); everywhere else (Xvfb, a forwarded display) query_formats() gives an empty
// list and the driver's own WSI presents, as it would without the layer.
//
// Threads: the queries may come from any thread (xcb is thread-safe); nothing here reads or
// takes the app's events: every request is checked and its error consumed by the layer.
#pragma once

#include <xcb/xcb.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "kernel/result.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::x11 {

class X11Surface final : public Surface {
  public:
    X11Surface(xcb_connection_t* connection, xcb_window_t window)
        : connection_(connection), window_(window) {}

    // The server's DRI3 and Present versions, the window's depth, the device DRI3Open names,
    // and the modifiers DRI3 1.2 lists for the window (DRM_FORMAT_MOD_INVALID, the implicit
    // modifier, before 1.2): one fourcc per depth, since a Present pixmap has the window's
    // depth (24: XRGB8888; 32: ARGB8888). Not cached: a few round-trips, and asking again is
    // how a caller sees a changed window. VK_ERROR_SURFACE_LOST_KHR: the connection is gone or
    // the window is.
    VkResult query_formats(std::vector<FormatModifier>* formats) override;

    // The device DRI3Open named at the last query (its dev_t), 0 before.
    dev_t consumer_device() const override { return server_device_.load(); }
    [[nodiscard]] std::string consumer_path() const override;

    // The window's size, as X11 defines it (the swapchain must match it).
    bool current_extent(VkExtent2D* extent) override;

    // FIFO: PresentPixmap at the next MSC after the last one completed; MAILBOX: at the next
    // MSC, replacing one still queued for it; IMMEDIATE: PresentOptionAsync (may tear).
    [[nodiscard]] std::span<const VkPresentModeKHR> present_modes() const override {
        return kPresentModes;
    }

    // An X11Presenter (x11_presenter.hpp): one pixmap per image.
    VkResult create_presenter(const std::vector<BufferDescription>& buffers,
                              const AppDevice& device, ConsumerEvents* events,
                              std::unique_ptr<Presenter>* presenter) override;

  private:
    static constexpr VkPresentModeKHR kPresentModes[] = {
        VK_PRESENT_MODE_FIFO_KHR,
        VK_PRESENT_MODE_MAILBOX_KHR,
        VK_PRESENT_MODE_IMMEDIATE_KHR,
    };
    xcb_connection_t* const connection_;
    const xcb_window_t window_;
    std::atomic<dev_t> server_device_{0};
    // DRI3 1.2 (PixmapFromBuffers with a modifier) at the last query.
    std::atomic<bool> explicit_modifiers_{false};
};

// Whether the X server behind `connection` has DRI3 and Present at all (no round-trip for
// extensions xcb already knows): vkGetPhysicalDeviceXcbPresentationSupportKHR's answer for a
// device the layer bridges.
bool server_takes_dma_bufs(xcb_connection_t* connection);

// What the X server behind `connection` offers the layer, asked as query_formats() asks it, for
// `window` (syncbridge-info: the root window). A few round-trips, each bounded.
struct ServerSupport {
    uint32_t dri3_major = 0;  // 0.0: no DRI3
    uint32_t dri3_minor = 0;
    uint32_t present_major = 0;  // 0.0: no Present
    uint32_t present_minor = 0;
    dev_t device = 0;  // the node DRI3Open names; 0: none (no GPU behind the server)
    // The layer presents here: DRI3 1.x and Present 1.x with a device.
    [[nodiscard]] bool takes_dma_bufs() const {
        return dri3_major == 1 && present_major == 1 && device != 0;
    }
};
kernel::Result<ServerSupport> query_server_support(xcb_connection_t* connection,
                                                   xcb_window_t window);

// The layer's path to an X server with DRI3 1.`dri3_minor` and `device`, in words: the
// swapchain's info line and syncbridge-info's.
std::string describe_x11_path(uint32_t dri3_minor, dev_t device);

}  // namespace sb::wsi::x11
