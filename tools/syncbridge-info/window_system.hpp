// The window-system side of the desktop syncbridge-info runs in: what the compositor behind
// WAYLAND_DISPLAY and the X server behind DISPLAY offer the layer, asked through the layer's own
// code, each question bounded (a compositor or X server that does not answer costs seconds, not
// a hang). libwayland and xcb read WAYLAND_DISPLAY and DISPLAY themselves.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bridge/capabilities.hpp"
#include "bridge/strategy.hpp"

namespace sb::info {

struct TrancheReport {
    dev_t target_device = 0;
    bool scanout = false;     // flags: the tranche is for direct scanout
    size_t format_count = 0;  // format + modifier pairs
    bool argb8888_linear = false;
    bool xrgb8888_linear = false;
};

struct WaylandReport {
    bool connected = false;
    std::string socket;              // the socket connected to, or what was tried
    std::string error;               // why there is no report (not connected, no answer)
    uint32_t dmabuf_advertised = 0;  // zwp_linux_dmabuf_v1's version, 0: none
    uint32_t dmabuf_bound = 0;       // as the layer binds it, 0: unusable
    dev_t main_device = 0;           // feedback (version 4+), 0: not said
    std::vector<TrancheReport> tranches;
    size_t format_count = 0;  // all pairs, once each
    bool argb8888_linear = false;
    bool xrgb8888_linear = false;
    uint32_t syncobj_manager = 0;  // wp_linux_drm_syncobj_manager_v1's version, 0: none
};

struct X11Report {
    bool supported = false;  // built with SYNCBRIDGE_WSI_X11
    bool connected = false;
    std::string socket;
    std::string error;
    uint32_t dri3_major = 0;
    uint32_t dri3_minor = 0;
    uint32_t present_major = 0;
    uint32_t present_minor = 0;
    dev_t dri3_device = 0;
    bool takes_dma_bufs = false;
};

WaylandReport probe_wayland();
X11Report probe_x11();

// The path a swapchain of an app started here would take on one GPU, as the layer decides it.
struct PathReport {
    bool layer_presents = false;  // false: the driver's own WSI presents
    std::string summary;          // e.g. "import strategy, Wayland linux-dmabuf v4 (...)"
    std::string because;
};

PathReport wayland_path(const WaylandReport& wayland, const bridge::StrategyChoice& strategy,
                        const bridge::AllocatorChoice& allocator);
PathReport x11_path(const X11Report& x11, const bridge::StrategyChoice& strategy,
                    const bridge::AllocatorChoice& allocator);

}  // namespace sb::info
