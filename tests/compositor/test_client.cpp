#include "compositor/test_client.hpp"

#include <drm_fourcc.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace sb::compositor::testing {

using Clock = std::chrono::steady_clock;

struct ClientListeners {
    static void global(void* data, wl_registry* registry, uint32_t name, const char* interface,
                       uint32_t version) {
        auto* self = static_cast<TestClient*>(data);
        self->globals_[interface] = version;
        const std::string_view iface = interface;
        if (iface == wl_compositor_interface.name) {
            self->compositor_ = static_cast<wl_compositor*>(
                wl_registry_bind(registry, name, &wl_compositor_interface, std::min(version, 4u)));
        } else if (iface == xdg_wm_base_interface.name) {
            self->wm_base_ = static_cast<xdg_wm_base*>(
                wl_registry_bind(registry, name, &xdg_wm_base_interface, 1));
            xdg_wm_base_add_listener(self->wm_base_, &kWmBase, self);
        } else if (iface == zwp_linux_dmabuf_v1_interface.name) {
            self->dmabuf_ = static_cast<zwp_linux_dmabuf_v1*>(wl_registry_bind(
                registry, name, &zwp_linux_dmabuf_v1_interface, std::min(version, 3u)));
            zwp_linux_dmabuf_v1_add_listener(self->dmabuf_, &kDmabuf, self);
        } else if (iface == wp_presentation_interface.name) {
            self->presentation_ = static_cast<wp_presentation*>(
                wl_registry_bind(registry, name, &wp_presentation_interface, 1));
            wp_presentation_add_listener(self->presentation_, &kPresentation, self);
        }
    }
    static void global_remove(void* /*data*/, wl_registry* /*registry*/, uint32_t /*name*/) {}

    static void ping(void* /*data*/, xdg_wm_base* wm_base, uint32_t serial) {
        xdg_wm_base_pong(wm_base, serial);
    }

    static void format(void* data, zwp_linux_dmabuf_v1* /*dmabuf*/, uint32_t fourcc) {
        static_cast<TestClient*>(data)->formats_.push_back(fourcc);
    }
    static void modifier(void* data, zwp_linux_dmabuf_v1* /*dmabuf*/, uint32_t fourcc, uint32_t hi,
                         uint32_t lo) {
        static_cast<TestClient*>(data)->modifiers_.emplace_back(
            fourcc, (static_cast<uint64_t>(hi) << 32) | lo);
    }

    static void clock_id(void* data, wp_presentation* /*presentation*/, uint32_t clock) {
        static_cast<TestClient*>(data)->clock_id_ = clock;
    }

    static void toplevel_configure(void* data, xdg_toplevel* /*toplevel*/, int32_t width,
                                   int32_t height, wl_array* /*states*/) {
        auto* self = static_cast<TestClient*>(data);
        self->pending_configure_.width = width;
        self->pending_configure_.height = height;
    }
    static void toplevel_close(void* /*data*/, xdg_toplevel* /*toplevel*/) {}
    static void surface_configure(void* data, xdg_surface* surface, uint32_t serial) {
        auto* self = static_cast<TestClient*>(data);
        self->pending_configure_.serial = serial;
        self->configures_.push_back(self->pending_configure_);
        xdg_surface_ack_configure(surface, serial);
    }

    static void frame_done(void* data, wl_callback* callback, uint32_t /*time*/) {
        auto* self = static_cast<TestClient*>(data);
        self->frames_done_++;
        self->callbacks_.erase(callback);
        wl_callback_destroy(callback);
    }

    static void release(void* data, wl_buffer* /*buffer*/) {
        auto* buffer = static_cast<ClientBuffer*>(data);
        buffer->releases++;
    }

    static void sync_output(void* /*data*/, struct wp_presentation_feedback* /*feedback*/,
                            wl_output* /*output*/) {}
    static void presented(void* data, struct wp_presentation_feedback* feedback, uint32_t sec_hi,
                          uint32_t sec_lo, uint32_t nsec, uint32_t /*refresh*/, uint32_t /*seq_hi*/,
                          uint32_t /*seq_lo*/, uint32_t /*flags*/) {
        auto* self = static_cast<TestClient*>(data);
        self->presented_++;
        const uint64_t sec = (static_cast<uint64_t>(sec_hi) << 32) | sec_lo;
        self->presentation_times_.push_back(sec * 1'000'000'000 + nsec);
        self->feedbacks_.erase(feedback);
        wp_presentation_feedback_destroy(feedback);
    }
    static void discarded(void* data, struct wp_presentation_feedback* feedback) {
        auto* self = static_cast<TestClient*>(data);
        self->discarded_++;
        self->feedbacks_.erase(feedback);
        wp_presentation_feedback_destroy(feedback);
    }

    static void created(void* data, zwp_linux_buffer_params_v1* /*params*/, wl_buffer* buffer) {
        static_cast<ClientBuffer*>(data)->buffer = buffer;
    }
    static void failed(void* data, zwp_linux_buffer_params_v1* /*params*/) {
        static_cast<ClientBuffer*>(data)->failed = true;
    }

    static constexpr wl_registry_listener kRegistry = {global, global_remove};
    static constexpr xdg_wm_base_listener kWmBase = {ping};
    static constexpr zwp_linux_dmabuf_v1_listener kDmabuf = {format, modifier};
    static constexpr wp_presentation_listener kPresentation = {clock_id};
    static constexpr xdg_toplevel_listener kToplevel = {toplevel_configure, toplevel_close};
    static constexpr xdg_surface_listener kXdgSurface = {surface_configure};
    static constexpr wl_callback_listener kFrame = {frame_done};
    static constexpr wl_buffer_listener kBuffer = {release};
    static constexpr wp_presentation_feedback_listener kFeedback = {sync_output, presented,
                                                                    discarded};
    static constexpr zwp_linux_buffer_params_v1_listener kParams = {created, failed};
};

std::unique_ptr<TestClient> TestClient::connect(const std::string& socket, std::string* error) {
    std::unique_ptr<TestClient> client(new TestClient());
    client->display_ = wl_display_connect(socket.c_str());
    if (client->display_ == nullptr) {
        *error = "wl_display_connect(" + socket + "): " + std::strerror(errno);
        return nullptr;
    }
    client->registry_ = wl_display_get_registry(client->display_);
    wl_registry_add_listener(client->registry_, &ClientListeners::kRegistry, client.get());
    // One round trip for the globals, one for the events their binding caused.
    using namespace std::chrono_literals;
    if (!client->roundtrip(2s) || !client->roundtrip(2s)) {
        *error = "no registry round trip";
        return nullptr;
    }
    return client;
}

TestClient::~TestClient() {
    for (wl_callback* callback : callbacks_) {
        wl_callback_destroy(callback);
    }
    for (struct wp_presentation_feedback* feedback : feedbacks_) {
        wp_presentation_feedback_destroy(feedback);
    }
    for (auto& buffer : buffers_) {
        if (buffer->buffer != nullptr) {
            wl_buffer_destroy(buffer->buffer);
        }
    }
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
    if (dmabuf_ != nullptr) {
        zwp_linux_dmabuf_v1_destroy(dmabuf_);
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
    if (display_ != nullptr) {
        wl_display_disconnect(display_);
    }
}

bool TestClient::dispatch_until(const std::function<bool()>& done,
                                std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (wl_display_dispatch_pending(display_) < 0) {
            return false;
        }
        if (done()) {
            return true;
        }
        if (wl_display_prepare_read(display_) != 0) {
            continue;  // events arrived in between: dispatch them first
        }
        // A full socket (EAGAIN) is flushed on the next round. EPIPE: the compositor closed
        // the connection; reading on gets what it sent before, then the error (as libwayland
        // intends). Anything else ends here.
        if (wl_display_flush(display_) < 0 && errno != EAGAIN && errno != EPIPE) {
            wl_display_cancel_read(display_);
            return false;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            wl_display_cancel_read(display_);
            return false;
        }
        pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
        const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (n <= 0) {
            wl_display_cancel_read(display_);
            if (n < 0 && errno != EINTR) {
                return false;
            }
            continue;
        }
        if (wl_display_read_events(display_) < 0) {
            return false;
        }
    }
}

bool TestClient::roundtrip(std::chrono::milliseconds timeout) {
    bool done = false;
    wl_callback* sync = wl_display_sync(display_);
    static constexpr wl_callback_listener kSync = {
        [](void* data, wl_callback* /*callback*/, uint32_t /*serial*/) {
            *static_cast<bool*>(data) = true;
        }};
    wl_callback_add_listener(sync, &kSync, &done);
    const bool ok = dispatch_until([&] { return done; }, timeout);
    wl_callback_destroy(sync);
    return ok;
}

uint64_t TestClient::releases() const {
    uint64_t total = 0;
    for (const auto& buffer : buffers_) {
        total += buffer->releases;
    }
    return total;
}

int TestClient::connection_error() const {
    return wl_display_get_error(display_);
}

std::pair<std::string, uint32_t> TestClient::protocol_error() const {
    const wl_interface* interface = nullptr;
    uint32_t id = 0;
    const uint32_t code = wl_display_get_protocol_error(display_, &interface, &id);
    return {interface != nullptr ? interface->name : "", code};
}

bool TestClient::create_toplevel(std::chrono::milliseconds timeout) {
    if (compositor_ == nullptr || wm_base_ == nullptr) {
        return false;
    }
    surface_ = wl_compositor_create_surface(compositor_);
    xdg_surface_ = xdg_wm_base_get_xdg_surface(wm_base_, surface_);
    xdg_surface_add_listener(xdg_surface_, &ClientListeners::kXdgSurface, this);
    toplevel_ = xdg_surface_get_toplevel(xdg_surface_);
    xdg_toplevel_add_listener(toplevel_, &ClientListeners::kToplevel, this);
    wl_surface_commit(surface_);
    return dispatch_until([&] { return !configures_.empty(); }, timeout);
}

ClientBuffer* TestClient::create_buffer(test::Vgem& vgem, uint32_t width, uint32_t height,
                                        uint32_t format, bool immediate) {
    auto bo = vgem.create_dumb(width, height);
    if (!bo) {
        return nullptr;
    }
    auto dma_buf = vgem.export_dma_buf(bo->handle);
    if (!dma_buf) {
        return nullptr;
    }
    auto map = dma_buf->map(bo->size, kernel::Access::read_write);
    if (!map) {
        return nullptr;
    }
    auto buffer = std::make_unique<ClientBuffer>();
    buffer->handle = bo->handle;
    buffer->width = width;
    buffer->height = height;
    buffer->stride = bo->pitch;
    buffer->format = format;
    buffer->dma_buf = std::move(dma_buf).value();
    buffer->map = std::move(map).value();

    zwp_linux_buffer_params_v1* params = zwp_linux_dmabuf_v1_create_params(dmabuf_);
    zwp_linux_buffer_params_v1_add(params, buffer->dma_buf.fd(), 0, 0, buffer->stride,
                                   static_cast<uint32_t>(DRM_FORMAT_MOD_LINEAR >> 32),
                                   static_cast<uint32_t>(DRM_FORMAT_MOD_LINEAR & 0xFFFF'FFFFu));
    if (immediate) {
        buffer->buffer = zwp_linux_buffer_params_v1_create_immed(
            params, static_cast<int32_t>(width), static_cast<int32_t>(height), format, 0);
    } else {
        zwp_linux_buffer_params_v1_add_listener(params, &ClientListeners::kParams, buffer.get());
        zwp_linux_buffer_params_v1_create(params, static_cast<int32_t>(width),
                                          static_cast<int32_t>(height), format, 0);
        using namespace std::chrono_literals;
        ClientBuffer* raw = buffer.get();
        (void)dispatch_until([&] { return raw->buffer != nullptr || raw->failed; }, 2s);
    }
    zwp_linux_buffer_params_v1_destroy(params);
    if (buffer->buffer != nullptr) {
        wl_buffer_add_listener(buffer->buffer, &ClientListeners::kBuffer, buffer.get());
    }
    buffers_.push_back(std::move(buffer));
    return buffers_.back().get();
}

void TestClient::fill_raw(ClientBuffer& buffer, uint32_t frame) {
    fill_raw_rows(buffer, frame, 0, buffer.height);
}

void TestClient::fill_raw_rows(ClientBuffer& buffer, uint32_t frame, uint32_t first_row,
                               uint32_t rows) {
    const PixelOrder order =
        buffer.format == DRM_FORMAT_ABGR8888 || buffer.format == DRM_FORMAT_XBGR8888
            ? PixelOrder::abgr
            : PixelOrder::argb;
    const uint32_t pixel = frame_pixel(frame, order);
    auto* base = static_cast<uint8_t*>(buffer.map.data());
    for (uint32_t y = first_row; y < std::min(first_row + rows, buffer.height); ++y) {
        uint8_t* row = base + static_cast<size_t>(buffer.stride) * y;
        for (uint32_t x = 0; x < buffer.width; ++x) {
            std::memcpy(row + static_cast<size_t>(x) * 4, &pixel, 4);
        }
    }
}

kernel::Status TestClient::fill(ClientBuffer& buffer, uint32_t frame) {
    if (auto st = buffer.dma_buf.begin_cpu_access(kernel::Access::write); !st) {
        return st;
    }
    fill_raw(buffer, frame);
    return buffer.dma_buf.end_cpu_access(kernel::Access::write);
}

void TestClient::present(ClientBuffer& buffer, PresentOptions options) {
    wl_surface_attach(surface_, buffer.buffer, 0, 0);
    wl_surface_damage_buffer(surface_, 0, 0, INT32_MAX, INT32_MAX);
    if (options.frame_callback) {
        wl_callback* callback = wl_surface_frame(surface_);
        wl_callback_add_listener(callback, &ClientListeners::kFrame, this);
        callbacks_.insert(callback);
    }
    if (options.feedback && presentation_ != nullptr) {
        struct wp_presentation_feedback* feedback =
            wp_presentation_feedback(presentation_, surface_);
        wp_presentation_feedback_add_listener(feedback, &ClientListeners::kFeedback, this);
        feedbacks_.insert(feedback);
    }
    wl_surface_commit(surface_);
    (void)wl_display_flush(display_);
}

void TestClient::commit_only() {
    wl_callback* callback = wl_surface_frame(surface_);
    wl_callback_add_listener(callback, &ClientListeners::kFrame, this);
    callbacks_.insert(callback);
    wl_surface_commit(surface_);
    (void)wl_display_flush(display_);
}

}  // namespace sb::compositor::testing
