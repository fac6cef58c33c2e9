// The window system's own event queue on the app's connection. The app owns the wl_display and
// may dispatch its default queue on any thread at any time; every object this layer creates
// lives on a queue of its own instead, so that its events are dispatched by the layer's threads
// only, and the app's queue never sees them (nor the app's listeners ours).
#pragma once

#include <wayland-client.h>

#include <chrono>

#include "kernel/result.hpp"
#include "wsi/wayland/proxy.hpp"

namespace sb::wsi::wayland {

class PrivateQueue {
  public:
    // ENOMEM when libwayland cannot allocate the queue or the wrapper.
    static kernel::Result<PrivateQueue> create(wl_display* display);

    // The app's connection: for its fd, flushes and reads, never for new objects.
    [[nodiscard]] wl_display* display() const { return display_; }
    [[nodiscard]] wl_event_queue* queue() const { return queue_.get(); }
    // The display as seen from this queue: wl_display.get_registry and .sync on it create their
    // objects here.
    [[nodiscard]] wl_display* display_wrapper() const { return wrapper_.get(); }

    // Waits until the compositor has answered a wl_display.sync sent now, dispatching this
    // queue meanwhile on the calling thread: every event for this queue sent in reply to earlier
    // requests has been handled when it returns. Unlike wl_display_roundtrip_queue, gives up
    // after `timeout` (ETIMEDOUT), so a stuck compositor cannot hang a Vulkan call forever.
    // A dead connection gives its error (EPIPE, EPROTO...). Only while no other thread
    // dispatches this queue.
    kernel::Status roundtrip(std::chrono::milliseconds timeout);

  private:
    PrivateQueue(wl_display* display, EventQueuePtr queue, WrapperPtr<wl_display> wrapper)
        : display_(display), queue_(std::move(queue)), wrapper_(std::move(wrapper)) {}

    wl_display* display_;
    EventQueuePtr queue_;  // destroyed last: every proxy on it must be gone first
    WrapperPtr<wl_display> wrapper_;
};

}  // namespace sb::wsi::wayland
