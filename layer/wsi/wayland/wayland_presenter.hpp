// One swapchain's link to a Wayland compositor: its images as wl_buffers, presents as
// attach + damage + commit on the app's wl_surface, paced by frame callbacks in FIFO, and the
// compositor's answers (wl_buffer.release, a dead connection) as ConsumerEvents.
//
// Threads: present() on the swapchain's threads (serialised by the caller); events on this
// presenter's "sb-wayland" thread, except that a present() which finds the connection dead
// reports on_lost itself (on its own thread) if the event thread has not yet. on_lost comes
// once. Nothing is delivered after the destructor returns. The app's default queue is never
// used: everything lives on a private queue (private_queue.hpp).
#pragma once

#include <wayland-client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "wsi/wayland/event_thread.hpp"
#include "wsi/wayland/explicit_sync.hpp"
#include "wsi/wayland/linux_dmabuf.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

class WaylandPresenter final : public Presenter {
  public:
    // Binds linux-dmabuf and makes the wl_buffers on a new private queue (bounded roundtrips on
    // the calling thread), then starts the event thread. VK_ERROR_INITIALIZATION_FAILED: the
    // compositor has no zwp_linux_dmabuf_v1 v3; VK_ERROR_OUT_OF_HOST_MEMORY: out of memory, or
    // the compositor refused a buffer (`failed`); VK_ERROR_SURFACE_LOST_KHR: the connection
    // died (a protocol error included) or the compositor did not answer in time.
    // `syncobj` (may be null): the surface's explicit sync; with it, every commit carries an
    // acquire and a release point, and the release point, not wl_buffer.release, returns an
    // image (explicit_sync.hpp).
    static VkResult create(wl_display* display, wl_surface* surface,
                           const std::vector<BufferDescription>& buffers, ConsumerEvents* events,
                           std::shared_ptr<SyncobjSurface> syncobj,
                           std::unique_ptr<Presenter>* out);
    ~WaylandPresenter() override;
    WaylandPresenter(const WaylandPresenter&) = delete;
    WaylandPresenter& operator=(const WaylandPresenter&) = delete;

    // FIFO: one commit per frame callback, as the mode requires and no more; the wait for the
    // last commit's callback is bounded by kFrameCallbackGrace (a hidden surface gets none).
    // MAILBOX and IMMEDIATE commit at once (a compositor never tears, so the two behave alike).
    // Never blocks on the compositor's socket: a full one is left to the event thread to flush.
    VkResult present(const PresentRequest& request) override;
    [[nodiscard]] ConsumerSync consumer_sync() const override {
        return timelines_ ? ConsumerSync::explicit_fences : ConsumerSync::implicit;
    }
    kernel::Result<kernel::SyncFile> release_fence(uint32_t image) override;
    // The release point's state, queried on its timeline: no sync_file.
    kernel::Result<bool> release_signalled(uint32_t image) override;

    // How long a FIFO present waits for the previous commit's frame callback.
    static constexpr auto kFrameCallbackGrace = std::chrono::milliseconds(250);

  private:
    // What a wl_buffer.release listener needs to know.
    struct Slot {
        WaylandPresenter* presenter = nullptr;
        uint32_t index = 0;
        BufferPtr buffer;
    };

    WaylandPresenter(PrivateQueue queue, DmabufPtr dmabuf, WrapperPtr<wl_surface> surface,
                     ConsumerEvents* events)
        : queue_(std::move(queue)),
          dmabuf_(std::move(dmabuf)),
          surface_(std::move(surface)),
          events_(events) {}

    void report_lost();
    void damage_whole_buffer();
    void wait_for_frame_callback();
    void request_frame_callback();
    static void on_buffer_release(void* data, wl_buffer* buffer);
    // Explicit sync, on the event thread: hands back each image whose release point has a fence.
    void check_releases();
    // `image`'s last released point (0: none yet, or implicit sync).
    [[nodiscard]] uint64_t released_point(uint32_t image) const;
    VkResult set_sync_points(const PresentRequest& request);
    static void on_frame_done(void* data, wl_callback* callback, uint32_t time);

    // Torn down in the destructor, in this order: thread_, slots_ (the wl_buffers),
    // frame_callback_, surface_ (wrapper), dmabuf_, queue_ (its display wrapper, the queue).
    PrivateQueue queue_;
    DmabufPtr dmabuf_;
    WrapperPtr<wl_surface> surface_;  // the app's wl_surface, seen from queue_
    std::vector<Slot> slots_;         // sized once: the release listeners point into it
    ConsumerEvents* const events_;

    // The newest frame callback, or null. Only the newest matters for pacing (the compositor
    // answers them in commit order), so a new request replaces an unanswered one. present()
    // sets it, the event thread clears it and wakes a present waiting for it.
    std::mutex frame_mutex_;
    std::condition_variable frame_done_;
    wl_callback* frame_callback_ = nullptr;

    // Explicit sync only: the swapchain's timelines; per image the release point it waits for
    // (0: none) and the one that released it last (0: none), under release_mutex_.
    std::unique_ptr<SyncobjTimelines> timelines_;
    mutable std::mutex release_mutex_;
    std::vector<uint64_t> pending_release_;
    std::vector<uint64_t> released_point_;

    std::atomic<bool> lost_{false};
    std::unique_ptr<EventThread> thread_;
};

}  // namespace sb::wsi::wayland
