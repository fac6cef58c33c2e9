// The presenter's thread ("sb-wayland"): reads the connection and dispatches the private queue,
// so that releases and frame callbacks reach the swapchain whether or not the app ever
// dispatches its own queue, and on a thread that is never the app's.
#pragma once

#include <wayland-client.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "kernel/result.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::wsi::wayland {

class EventThread {
  public:
    // Called once, on the thread, when the connection dies; the thread then exits.
    using OnLost = std::function<void()>;

    // Starts dispatching `queue` now: its listeners must be in place before this is called.
    static kernel::Result<std::unique_ptr<EventThread>> start(wl_display* display,
                                                              wl_event_queue* queue,
                                                              OnLost on_lost);
    // Stops and joins: no listener of the queue runs on this thread once it returns.
    ~EventThread();
    EventThread(const EventThread&) = delete;
    EventThread& operator=(const EventThread&) = delete;

    // Makes the thread run a pass now (it flushes at every pass): for a flush that met a full
    // socket on another thread. Any thread; never blocks.
    void wake();

  private:
    EventThread(wl_display* display, wl_event_queue* queue, OnLost on_lost, kernel::UniqueFd wake)
        : display_(display), queue_(queue), on_lost_(std::move(on_lost)), wake_(std::move(wake)) {}
    void run();

    wl_display* const display_;
    wl_event_queue* const queue_;
    const OnLost on_lost_;
    kernel::UniqueFd wake_;  // eventfd: wake() and the destructor's stop
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace sb::wsi::wayland
