// The app's Wayland side: its connection, an xdg_toplevel, and wp_presentation when offered.
// Everything here lives on the connection's default queue and is dispatched by the app's thread
// between frames, without blocking; the layer reads the same connection on a thread of its own.
#pragma once

#include <wayland-client.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace sb::swapchain_app {

struct Size {
    uint32_t width = 0;
    uint32_t height = 0;
};

class Window {
  public:
    // wl_display_connect(NULL) ($WAYLAND_DISPLAY), globals, a toplevel, its first configure.
    // Null (with a message on stderr) on failure.
    static std::unique_ptr<Window> open(Size fallback);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    [[nodiscard]] wl_display* display() const { return display_; }
    [[nodiscard]] wl_surface* surface() const { return surface_; }
    [[nodiscard]] wp_presentation* presentation() const { return presentation_; }
    [[nodiscard]] clockid_t presentation_clock() const { return clock_; }
    // The size the compositor configured, or the fallback where it left the size open.
    [[nodiscard]] Size size() const { return size_; }
    [[nodiscard]] bool closed() const { return closed_; }

    // Dispatches what the default queue has or the socket holds now; never blocks. False once
    // the connection is dead (then it stays false).
    bool dispatch_pending();
    // Dispatches until `done` or `timeout_ms` passed; false if the connection died.
    template <typename Done>
    bool dispatch_until(Done done, int timeout_ms);
    // A configure with a size other than the current one since the last call.
    std::optional<Size> take_resize();

  private:
    explicit Window(wl_display* display, Size fallback)
        : display_(display), fallback_(fallback), size_(fallback) {}
    bool bind_globals();
    bool create_toplevel();
    bool wait_readable(int timeout_ms);

    static void on_global(void* data, wl_registry* registry, uint32_t name, const char* interface,
                          uint32_t version);
    static void on_global_remove(void* data, wl_registry* registry, uint32_t name);
    static void on_ping(void* data, xdg_wm_base* wm_base, uint32_t serial);
    static void on_surface_configure(void* data, xdg_surface* xdg_surface, uint32_t serial);
    static void on_toplevel_configure(void* data, xdg_toplevel* toplevel, int32_t width,
                                      int32_t height, wl_array* states);
    static void on_toplevel_close(void* data, xdg_toplevel* toplevel);
    static void on_clock_id(void* data, wp_presentation* presentation, uint32_t clock);

    wl_display* display_;
    Size fallback_;
    Size size_;
    Size pending_size_;  // from xdg_toplevel.configure, applied at xdg_surface.configure
    bool configured_ = false;
    bool resized_ = false;
    bool closed_ = false;
    bool dead_ = false;
    clockid_t clock_ = CLOCK_MONOTONIC;
    wl_registry* registry_ = nullptr;
    wl_compositor* compositor_ = nullptr;
    xdg_wm_base* wm_base_ = nullptr;
    wp_presentation* presentation_ = nullptr;
    wl_surface* surface_ = nullptr;
    xdg_surface* xdg_surface_ = nullptr;
    xdg_toplevel* toplevel_ = nullptr;
};

template <typename Done>
bool Window::dispatch_until(Done done, int timeout_ms) {
    constexpr int kSliceMs = 5;
    for (int waited = 0; !done(); waited += kSliceMs) {
        if (!dispatch_pending()) {
            return false;
        }
        if (done() || waited >= timeout_ms) {
            break;
        }
        (void)wait_readable(kSliceMs);
    }
    return true;
}

}  // namespace sb::swapchain_app
