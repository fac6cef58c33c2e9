// One swapchain's link to an X server: its images as DRI3 pixmaps, presents as PresentPixmap on
// the app's window, paced by the server's CompleteNotify in FIFO, and the server's answers
// (IdleNotify, ConfigureNotify, a dead connection, an X error on a layer request) as
// ConsumerEvents.
//
// Threads: present() on the swapchain's threads (serialised by the caller); events on this
// presenter's "sb-x11" thread, except that a present() which finds the connection dead reports
// on_lost itself. on_lost comes once. Nothing is delivered after the destructor returns. The
// app's event queue is never touched: Present events arrive on a special-event queue of the
// layer's own (xcb_register_for_special_xge), and every request the layer makes is checked, so
// an X error it causes reaches the layer, never the app's error handling.
#pragma once

#include <xcb/xcb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/unique_fd.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::x11 {

class X11Presenter final : public Presenter {
  public:
    // Makes one pixmap per buffer (DRI3 PixmapFromBuffers with the buffer's modifier where
    // `explicit_modifiers`, else PixmapFromBuffer), selects Present's events on the window and
    // starts the event thread. VK_ERROR_OUT_OF_HOST_MEMORY: out of memory, or the server refused
    // a buffer; VK_ERROR_SURFACE_LOST_KHR: the connection or the window is gone.
    static VkResult create(xcb_connection_t* connection, xcb_window_t window,
                           bool explicit_modifiers, const std::vector<BufferDescription>& buffers,
                           ConsumerEvents* events, std::unique_ptr<Presenter>* out);
    ~X11Presenter() override;
    X11Presenter(const X11Presenter&) = delete;
    X11Presenter& operator=(const X11Presenter&) = delete;

    // FIFO waits (at most kFifoGrace: an unmapped window gets no vblanks) until the last FIFO
    // present completed, then asks for the next MSC: one frame per refresh, none dropped.
    // MAILBOX asks for the next MSC at once (the server skips a frame still queued for it);
    // IMMEDIATE adds PresentOptionAsync. Never waits for a reply.
    VkResult present(const PresentRequest& request) override;

    static constexpr auto kFifoGrace = std::chrono::milliseconds(250);

  private:
    X11Presenter(xcb_connection_t* connection, xcb_window_t window, ConsumerEvents* events)
        : connection_(connection), window_(window), events_(events) {}

    VkResult create_pixmaps(bool explicit_modifiers, const std::vector<BufferDescription>& buffers);
    VkResult select_events();
    void run();
    void handle_event(const xcb_generic_event_t* event);
    [[nodiscard]] bool check_requests();
    void report_lost();

    xcb_connection_t* const connection_;
    const xcb_window_t window_;
    ConsumerEvents* const events_;
    std::vector<xcb_pixmap_t> pixmaps_;  // index = swapchain image
    uint32_t event_id_ = 0;
    xcb_special_event_t* special_ = nullptr;

    std::mutex mutex_;
    std::condition_variable completed_;
    uint32_t next_serial_ = 1;
    uint32_t pending_fifo_serial_ = 0;  // 0: no FIFO present waits for its CompleteNotify
    // Sequence numbers of PresentPixmap requests whose errors the event thread still checks.
    std::deque<unsigned int> unchecked_;

    std::atomic<bool> lost_{false};
    std::atomic<bool> stopping_{false};
    kernel::UniqueFd wake_;  // an eventfd: the destructor wakes the thread with it
    std::thread thread_;
};

}  // namespace sb::wsi::x11
