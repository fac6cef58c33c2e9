// The presenter's thread ("sb-wayland"): reads the connection and dispatches the private queue,
// so that releases and frame callbacks reach the swapchain whether or not the app ever
// dispatches its own queue, and on a thread that is never the app's.
#pragma once

#include <wayland-client.h>

#include <atomic>
#include <chrono>
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
    // Called on the thread after each wake-up (wake(), or anything else that wrote to
    // wake_fd(): the kernel, for a syncobj point) and, with a `poll` interval, at least that often.
    using OnWoken = std::function<void()>;

    // Starts dispatching `queue` now: its listeners must be in place before this is called.
    static kernel::Result<std::unique_ptr<EventThread>> start(
        wl_display* display, wl_event_queue* queue, OnLost on_lost, OnWoken on_woken = {},
        std::chrono::milliseconds poll = std::chrono::milliseconds(0));
    // Stops and joins: no listener of the queue runs on this thread once it returns.
    ~EventThread();
    EventThread(const EventThread&) = delete;
    EventThread& operator=(const EventThread&) = delete;

    // Makes the thread run a pass now (it flushes at every pass): for a flush that met a full
    // socket on another thread. Any thread; never blocks.
    void wake();
    // The eventfd that wakes the thread, for the kernel to write to (DRM_IOCTL_SYNCOBJ_EVENTFD).
    [[nodiscard]] int wake_fd() const { return wake_.get(); }

  private:
    EventThread(wl_display* display, wl_event_queue* queue, OnLost on_lost, OnWoken on_woken,
                std::chrono::milliseconds poll, kernel::UniqueFd wake)
        : display_(display),
          queue_(queue),
          on_lost_(std::move(on_lost)),
          on_woken_(std::move(on_woken)),
          poll_(poll),
          wake_(std::move(wake)) {}
    void run();

    wl_display* const display_;
    wl_event_queue* const queue_;
    const OnLost on_lost_;
    const OnWoken on_woken_;
    const std::chrono::milliseconds poll_;  // 0: only on wake-ups
    kernel::UniqueFd wake_;                 // eventfd: wake() and the destructor's stop
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace sb::wsi::wayland
