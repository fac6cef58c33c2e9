#include "wsi/swapchain_app/window.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sb::swapchain_app {
namespace {

constexpr int kConfigureTimeoutMs = 5000;

}  // namespace

std::unique_ptr<Window> Window::open(Size fallback) {
    wl_display* display = wl_display_connect(nullptr);
    if (display == nullptr) {
        std::fprintf(stderr, "swapchain-app: cannot connect to the Wayland display '%s': %s\n",
                     std::getenv("WAYLAND_DISPLAY") ? std::getenv("WAYLAND_DISPLAY") : "wayland-0",
                     std::strerror(errno));
        return nullptr;
    }
    std::unique_ptr<Window> window(new Window(display, fallback));
    if (!window->bind_globals() || !window->create_toplevel()) {
        return nullptr;
    }
    return window;
}

Window::~Window() {
    if (toplevel_ != nullptr) {
        xdg_toplevel_destroy(toplevel_);
    }
    if (xdg_surface_ != nullptr) {
        xdg_surface_destroy(xdg_surface_);
    }
    if (surface_ != nullptr) {
        wl_surface_destroy(surface_);
    }
    if (presentation_ != nullptr) {
        wp_presentation_destroy(presentation_);
    }
    if (wm_base_ != nullptr) {
        xdg_wm_base_destroy(wm_base_);
    }
    if (compositor_ != nullptr) {
        wl_compositor_destroy(compositor_);
    }
    if (registry_ != nullptr) {
        wl_registry_destroy(registry_);
    }
    wl_display_disconnect(display_);
}

bool Window::bind_globals() {
    static constexpr wl_registry_listener kRegistry = {.global = on_global,
                                                       .global_remove = on_global_remove};
    registry_ = wl_display_get_registry(display_);
    wl_registry_add_listener(registry_, &kRegistry, this);
    // Two roundtrips: the globals, then the events of what was bound (wp_presentation.clock_id).
    if (wl_display_roundtrip(display_) < 0 || wl_display_roundtrip(display_) < 0) {
        std::fprintf(stderr, "swapchain-app: the Wayland connection failed during setup\n");
        return false;
    }
    if (compositor_ == nullptr || wm_base_ == nullptr) {
        std::fprintf(stderr, "swapchain-app: the compositor lacks wl_compositor or xdg_wm_base\n");
        return false;
    }
    if (presentation_ == nullptr) {
        std::fprintf(stderr, "swapchain-app: no wp_presentation: no latency figures\n");
    }
    return true;
}

bool Window::create_toplevel() {
    static constexpr xdg_surface_listener kXdgSurface = {.configure = on_surface_configure};
    static constexpr xdg_toplevel_listener kToplevel = {.configure = on_toplevel_configure,
                                                        .close = on_toplevel_close};
    surface_ = wl_compositor_create_surface(compositor_);
    xdg_surface_ = xdg_wm_base_get_xdg_surface(wm_base_, surface_);
    xdg_surface_add_listener(xdg_surface_, &kXdgSurface, this);
    toplevel_ = xdg_surface_get_toplevel(xdg_surface_);
    xdg_toplevel_add_listener(toplevel_, &kToplevel, this);
    xdg_toplevel_set_title(toplevel_, "syncbridge-swapchain-app");
    // The first commit, without a buffer, asks for the first configure; no buffer may be
    // attached before it is acknowledged.
    wl_surface_commit(surface_);
    if (!dispatch_until([this] { return configured_; }, kConfigureTimeoutMs) || !configured_) {
        std::fprintf(stderr, "swapchain-app: no xdg_surface.configure from the compositor\n");
        return false;
    }
    resized_ = false;  // the first size is not a resize
    return true;
}

bool Window::wait_readable(int timeout_ms) {
    if (wl_display_flush(display_) < 0 && errno != EAGAIN) {
        return false;
    }
    pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
    return poll(&pfd, 1, timeout_ms) > 0;
}

bool Window::dispatch_pending() {
    if (dead_ || wl_display_get_error(display_) != 0) {
        dead_ = true;
        return false;
    }
    // The standard prepare/read protocol: the layer's thread may be reading this connection too.
    while (wl_display_prepare_read(display_) != 0) {
        if (wl_display_dispatch_pending(display_) < 0) {
            dead_ = true;
            return false;
        }
    }
    (void)wl_display_flush(display_);  // EAGAIN: the rest goes with the next flush
    pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
    if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0) {
        if (wl_display_read_events(display_) < 0) {
            dead_ = true;
            return false;
        }
    } else {
        wl_display_cancel_read(display_);
    }
    dead_ = wl_display_dispatch_pending(display_) < 0;
    return !dead_;
}

std::optional<Size> Window::take_resize() {
    if (!resized_) {
        return std::nullopt;
    }
    resized_ = false;
    return size_;
}

void Window::on_global(void* data, wl_registry* registry, uint32_t name, const char* interface,
                       uint32_t version) {
    auto* window = static_cast<Window*>(data);
    auto bind = [&](const wl_interface* iface, uint32_t max_version) {
        return wl_registry_bind(registry, name, iface, std::min(version, max_version));
    };
    if (std::strcmp(interface, wl_compositor_interface.name) == 0) {
        window->compositor_ = static_cast<wl_compositor*>(bind(&wl_compositor_interface, 4));
    } else if (std::strcmp(interface, xdg_wm_base_interface.name) == 0) {
        static constexpr xdg_wm_base_listener kWmBase = {.ping = on_ping};
        window->wm_base_ = static_cast<xdg_wm_base*>(bind(&xdg_wm_base_interface, 2));
        xdg_wm_base_add_listener(window->wm_base_, &kWmBase, window);
    } else if (std::strcmp(interface, wp_presentation_interface.name) == 0) {
        static constexpr wp_presentation_listener kPresentation = {.clock_id = on_clock_id};
        window->presentation_ = static_cast<wp_presentation*>(bind(&wp_presentation_interface, 1));
        wp_presentation_add_listener(window->presentation_, &kPresentation, window);
    }
}

void Window::on_global_remove(void* /*data*/, wl_registry* /*registry*/, uint32_t /*name*/) {}

void Window::on_ping(void* /*data*/, xdg_wm_base* wm_base, uint32_t serial) {
    xdg_wm_base_pong(wm_base, serial);
}

void Window::on_toplevel_configure(void* data, xdg_toplevel* /*toplevel*/, int32_t width,
                                   int32_t height, wl_array* /*states*/) {
    auto* window = static_cast<Window*>(data);
    // 0 leaves the size to the client: keep the fallback.
    window->pending_size_ =
        Size{width > 0 ? static_cast<uint32_t>(width) : window->fallback_.width,
             height > 0 ? static_cast<uint32_t>(height) : window->fallback_.height};
}

void Window::on_surface_configure(void* data, xdg_surface* xdg_surface, uint32_t serial) {
    auto* window = static_cast<Window*>(data);
    // Acknowledged at once: the next commit (the layer's next present) is the answer. The app
    // recreates its swapchain at the new size before it presents again.
    xdg_surface_ack_configure(xdg_surface, serial);
    const Size next = window->pending_size_.width != 0 ? window->pending_size_ : window->size_;
    if (window->configured_ &&
        (next.width != window->size_.width || next.height != window->size_.height)) {
        window->resized_ = true;
    }
    window->size_ = next;
    window->configured_ = true;
}

void Window::on_toplevel_close(void* data, xdg_toplevel* /*toplevel*/) {
    static_cast<Window*>(data)->closed_ = true;
}

void Window::on_clock_id(void* data, wp_presentation* /*presentation*/, uint32_t clock) {
    static_cast<Window*>(data)->clock_ = static_cast<clockid_t>(clock);
}

}  // namespace sb::swapchain_app
