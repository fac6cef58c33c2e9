// A minimal Wayland client for the test compositor's own tests, written straight against
// libwayland-client and linux-dmabuf (no Vulkan): vgem dumb buffers exported as dma-bufs,
// filled through mmap with frame colours (frame_colour.hpp), attached and committed.
// Single-threaded: every call runs on the test's thread, and only dispatch_until reads events.
#pragma once

#include <wayland-client.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compositor/frame_colour.hpp"
#include "kernel/dma_buf.hpp"
#include "support/vgem.hpp"

struct xdg_wm_base;
struct xdg_surface;
struct xdg_toplevel;
struct zwp_linux_dmabuf_v1;
struct wp_presentation;
struct wp_presentation_feedback;

namespace sb::compositor::testing {

// One client buffer: a vgem dumb buffer, its dma-buf and mapping, and the wl_buffer.
struct ClientBuffer {
    uint32_t handle = 0;  // on the client's vgem fd, for write fences
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    uint32_t format = 0;
    kernel::DmaBuf dma_buf;
    kernel::DmaBufMapping map;
    wl_buffer* buffer = nullptr;
    uint32_t releases = 0;  // wl_buffer.release events received
    bool failed = false;    // `failed` for a create (not create_immed)
};

struct Configure {
    int32_t width = 0;
    int32_t height = 0;
    uint32_t serial = 0;
};

class TestClient {
  public:
    // Connects to `socket` (under $XDG_RUNTIME_DIR) and binds the globals; nullptr and `error`
    // when that fails.
    static std::unique_ptr<TestClient> connect(const std::string& socket, std::string* error);
    ~TestClient();
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    // Reads and dispatches events until `done()` holds, the timeout passes (false) or the
    // connection fails (false; see connection_error()).
    bool dispatch_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
    // A round trip (wl_display.sync) with a deadline.
    bool roundtrip(std::chrono::milliseconds timeout);
    // 0 while the connection is alive; else the errno libwayland reports (EPROTO for a
    // protocol error, EPIPE / ECONNRESET for a connection the compositor closed).
    [[nodiscard]] int connection_error() const;
    // For EPROTO: the interface name and code of the protocol error.
    [[nodiscard]] std::pair<std::string, uint32_t> protocol_error() const;

    // The globals the registry announced: interface name -> version.
    [[nodiscard]] const std::map<std::string, uint32_t>& globals() const { return globals_; }
    // linux-dmabuf `modifier` events: (fourcc, modifier).
    [[nodiscard]] const std::vector<std::pair<uint32_t, uint64_t>>& modifiers() const {
        return modifiers_;
    }
    [[nodiscard]] const std::vector<uint32_t>& formats() const { return formats_; }

    // wl_surface + xdg_surface + xdg_toplevel, the initial commit, and the initial configure
    // (acked). Returns false when no configure arrives in time.
    bool create_toplevel(std::chrono::milliseconds timeout);
    // Configures received so far (each acked as it arrived).
    [[nodiscard]] const std::vector<Configure>& configures() const { return configures_; }

    // A vgem dumb buffer as a linux-dmabuf wl_buffer (LINEAR). `immediate`: create_immed;
    // otherwise create, waiting for created/failed. nullptr if vgem fails.
    ClientBuffer* create_buffer(test::Vgem& vgem, uint32_t width, uint32_t height, uint32_t format,
                                bool immediate = true);

    // Writes frame `frame`'s colour into every visible pixel: `fill` inside
    // DMA_BUF_IOCTL_SYNC(write) (which waits for every fence: only call it when the buffer is
    // idle), `fill_raw` through the mapping without any bracket (a GPU that ignores fences).
    static kernel::Status fill(ClientBuffer& buffer, uint32_t frame);
    static void fill_raw(ClientBuffer& buffer, uint32_t frame);
    // fill_raw for rows [first_row, first_row + rows) only: half a frame, for tearing.
    static void fill_raw_rows(ClientBuffer& buffer, uint32_t frame, uint32_t first_row,
                              uint32_t rows);

    struct PresentOptions {
        bool frame_callback = true;
        bool feedback = true;
    };
    // attach + damage_buffer (+ frame callback, + presentation feedback) + commit, flushed.
    void present(ClientBuffer& buffer, PresentOptions options);
    void present(ClientBuffer& buffer) { present(buffer, PresentOptions{}); }
    // A commit without a new buffer (with a frame callback).
    void commit_only();

    [[nodiscard]] uint64_t frames_done() const { return frames_done_; }
    [[nodiscard]] uint64_t presented() const { return presented_; }
    [[nodiscard]] uint64_t discarded() const { return discarded_; }
    [[nodiscard]] uint32_t clock_id() const { return clock_id_; }
    // CLOCK_MONOTONIC nanoseconds of each `presented` event.
    [[nodiscard]] const std::vector<uint64_t>& presentation_times() const {
        return presentation_times_;
    }
    // wl_buffer.release events over every buffer.
    [[nodiscard]] uint64_t releases() const;

    [[nodiscard]] wl_display* display() const { return display_; }
    // The toplevel's wl_surface (create_toplevel), or null.
    [[nodiscard]] wl_surface* surface() const { return surface_; }
    [[nodiscard]] zwp_linux_dmabuf_v1* dmabuf() const { return dmabuf_; }

  private:
    TestClient() = default;

    wl_display* display_ = nullptr;
    wl_registry* registry_ = nullptr;
    wl_compositor* compositor_ = nullptr;
    xdg_wm_base* wm_base_ = nullptr;
    zwp_linux_dmabuf_v1* dmabuf_ = nullptr;
    wp_presentation* presentation_ = nullptr;

    wl_surface* surface_ = nullptr;
    xdg_surface* xdg_surface_ = nullptr;
    xdg_toplevel* toplevel_ = nullptr;
    Configure pending_configure_;
    std::vector<Configure> configures_;

    std::map<std::string, uint32_t> globals_;
    std::vector<uint32_t> formats_;
    std::vector<std::pair<uint32_t, uint64_t>> modifiers_;
    uint32_t clock_id_ = UINT32_MAX;

    std::vector<std::unique_ptr<ClientBuffer>> buffers_;
    std::set<wl_callback*> callbacks_;
    std::set<struct wp_presentation_feedback*> feedbacks_;
    uint64_t frames_done_ = 0;
    uint64_t presented_ = 0;
    uint64_t discarded_ = 0;
    std::vector<uint64_t> presentation_times_;

    friend struct ClientListeners;
};

}  // namespace sb::compositor::testing
