#include "wsi/wayland/wayland_presenter.hpp"

#include <cerrno>
#include <chrono>
#include <cstdint>

#include "util/log.hpp"
#include "wsi/wayland/dmabuf_buffers.hpp"
#include "wsi/wayland/dmabuf_global.hpp"
#include "wsi/wayland/errors.hpp"
#include "wsi/wayland/event_pump.hpp"

namespace sb::wsi::wayland {
namespace {

VkResult creation_failed(wl_display* display, const kernel::Error& error) {
    if (wl_display_get_error(display) != 0) {
        log_connection_lost(display, "creating the swapchain's wl_buffers");
    } else {
        SB_LOG(error, "wayland: cannot create the swapchain's wl_buffers: %s",
               error.describe().c_str());
    }
    return vk_result_for(display, error);
}

}  // namespace

VkResult WaylandPresenter::create(wl_display* display, wl_surface* surface,
                                  const std::vector<BufferDescription>& buffers,
                                  ConsumerEvents* events, std::shared_ptr<SyncobjSurface> syncobj,
                                  std::unique_ptr<Presenter>* out) {
    const FlushOnReturn flush(display);
    auto queue = PrivateQueue::create(display);
    if (!queue) {
        return creation_failed(display, queue.error());
    }
    auto global = bind_dmabuf(*queue, kRoundtripTimeout);
    if (!global) {
        return creation_failed(display, global.error());
    }
    if (!global->dmabuf) {
        SB_LOG(error,
               "wayland: the compositor offers no zwp_linux_dmabuf_v1 version >= %u (it has %u): "
               "cannot hand it dma-bufs",
               kLinuxDmabufVersion, global->advertised_version);
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    // Requests on the app's wl_surface go through a wrapper, so that the frame callbacks they
    // create land on our queue.
    auto wrapped_surface = wrap_on_queue(surface, queue->queue());
    if (!wrapped_surface) {
        return creation_failed(display, kernel::Error{ENOMEM, "wl_proxy_create_wrapper"});
    }
    auto made = create_dmabuf_buffers(*queue, global->dmabuf.get(), buffers, kRoundtripTimeout);
    if (!made) {
        return creation_failed(display, made.error());
    }

    std::unique_ptr<WaylandPresenter> presenter(new (std::nothrow) WaylandPresenter(
        std::move(*queue), std::move(global->dmabuf), std::move(wrapped_surface), events));
    if (!presenter) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    static constexpr wl_buffer_listener kBufferListener = {.release = on_buffer_release};
    presenter->slots_.resize(made->size());
    for (size_t i = 0; i < made->size(); ++i) {
        Slot& slot = presenter->slots_[i];
        slot.presenter = presenter.get();
        slot.index = static_cast<uint32_t>(i);
        slot.buffer = std::move((*made)[i]);
        wl_buffer_add_listener(slot.buffer.get(), &kBufferListener, &slot);
    }
    EventThread::OnWoken on_woken;
    auto poll = std::chrono::milliseconds(0);
    WaylandPresenter* self = presenter.get();
    if (syncobj) {
        auto timelines = SyncobjTimelines::create(std::move(syncobj), made->size());
        if (!timelines) {
            return creation_failed(display, timelines.error());
        }
        presenter->timelines_ = std::move(timelines).value();
        presenter->pending_release_.assign(made->size(), 0);
        presenter->released_point_.assign(made->size(), 0);
        on_woken = [self] { self->check_releases(); };
        if (!presenter->timelines_->kernel_notifies()) {
            // Before Linux 6.6 nothing can wake the thread for a point: it looks this often.
            poll = std::chrono::milliseconds(1);
            SB_LOG_ONCE(info,
                        "wayland: no DRM_IOCTL_SYNCOBJ_EVENTFD in this kernel: release points "
                        "are polled every millisecond");
        }
    }
    // Last: from here on the queue is the thread's to dispatch.
    auto thread = EventThread::start(
        display, presenter->queue_.queue(), [self] { self->report_lost(); }, on_woken, poll);
    if (!thread) {
        return creation_failed(display, thread.error());
    }
    presenter->thread_ = std::move(*thread);
    *out = std::move(presenter);
    return VK_SUCCESS;
}

WaylandPresenter::~WaylandPresenter() {
    // The thread first: once it is joined no listener can run, so nothing below races an event
    // and no event reaches the swapchain after this returns.
    thread_.reset();
    slots_.clear();
    timelines_.reset();
    {
        std::lock_guard lock(frame_mutex_);
        if (frame_callback_ != nullptr) {
            wl_callback_destroy(frame_callback_);
            frame_callback_ = nullptr;
        }
    }
    surface_.reset();
    dmabuf_.reset();
    // The destroy requests go out now rather than at the app's next flush. Never blocks: on a
    // full socket they wait for that flush.
    (void)wl_display_flush(queue_.display());
    // queue_ goes last, with the members: every proxy on it is gone by now.
}

VkResult WaylandPresenter::present(const PresentRequest& request) {
    const uint32_t image = request.image;
    if (image >= slots_.size()) {
        SB_LOG_ONCE(error, "wayland: present of image %u, but the swapchain has only %zu", image,
                    slots_.size());
        return VK_ERROR_OUT_OF_DATE_KHR;
    }
    wl_display* display = queue_.display();
    const bool fifo = request.mode == VK_PRESENT_MODE_FIFO_KHR ||
                      request.mode == VK_PRESENT_MODE_FIFO_RELAXED_KHR;
    if (fifo) {
        wait_for_frame_callback();
    }
    if (lost_.load() || wl_display_get_error(display) != 0) {
        report_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    if (timelines_) {
        if (VkResult r = set_sync_points(request); r != VK_SUCCESS) {
            return r;
        }
    }
    wl_surface* surface = surface_.get();
    wl_surface_attach(surface, slots_[image].buffer.get(), 0, 0);
    damage_whole_buffer();
    if (fifo) {
        request_frame_callback();
    }
    wl_surface_commit(surface);
    if (wl_display_flush(display) < 0 && errno == EAGAIN) {
        // The compositor is not reading fast enough. Waiting here could block the app for as
        // long as the compositor likes: the event thread flushes when the socket drains.
        thread_->wake();
    }
    if (wl_display_get_error(display) != 0) {
        report_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    return VK_SUCCESS;
}

// Explicit sync: the points for the commit that follows, and the watch on its release point.
VkResult WaylandPresenter::set_sync_points(const PresentRequest& request) {
    auto release = timelines_->set_points(request.image, request.render_done);
    if (!release) {
        SB_LOG_ONCE(error, "wayland: cannot set the commit's timeline points: %s",
                    release.error().describe().c_str());
        report_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    {
        std::lock_guard lock(release_mutex_);
        pending_release_[request.image] = *release;
    }
    // Before the commit, so that no release can come first; where the kernel cannot notify,
    // the event thread polls.
    (void)timelines_->notify(request.image, *release, thread_->wake_fd());
    return VK_SUCCESS;
}

void WaylandPresenter::check_releases() {
    for (uint32_t image = 0; image < pending_release_.size(); ++image) {
        uint64_t point = 0;
        {
            std::lock_guard lock(release_mutex_);
            point = pending_release_[image];
        }
        if (point == 0) {
            continue;
        }
        auto ready = timelines_->has_fence(image, point);
        if (!ready) {
            SB_LOG_ONCE(error, "wayland: cannot read a release point: %s",
                        ready.error().describe().c_str());
            report_lost();
            return;
        }
        if (!*ready) {
            continue;
        }
        {
            std::lock_guard lock(release_mutex_);
            pending_release_[image] = 0;
            released_point_[image] = point;
        }
        // The fence itself is fetched at acquire (release_fence): no fd is held meanwhile.
        events_->on_released(image, kernel::SyncFile{});
    }
}

uint64_t WaylandPresenter::released_point(uint32_t image) const {
    if (!timelines_ || image >= released_point_.size()) {
        return 0;
    }
    std::lock_guard lock(release_mutex_);
    return released_point_[image];
}

kernel::Result<bool> WaylandPresenter::release_signalled(uint32_t image) {
    const uint64_t point = released_point(image);
    return point == 0 ? kernel::Result<bool>(true) : timelines_->has_signalled(image, point);
}

kernel::Result<kernel::SyncFile> WaylandPresenter::release_fence(uint32_t image) {
    const uint64_t point = released_point(image);
    if (point == 0) {
        return kernel::SyncFile{};
    }
    auto signalled = timelines_->has_signalled(image, point);
    if (signalled && *signalled) {
        return kernel::SyncFile{};
    }
    return timelines_->fence(image, point);
}

void WaylandPresenter::wait_for_frame_callback() {
    std::unique_lock lock(frame_mutex_);
    frame_done_.wait_for(lock, kFrameCallbackGrace,
                         [this] { return frame_callback_ == nullptr || lost_.load(); });
}

void WaylandPresenter::request_frame_callback() {
    static constexpr wl_callback_listener kFrameListener = {.done = on_frame_done};
    std::lock_guard lock(frame_mutex_);
    if (frame_callback_ != nullptr) {
        // Unanswered within the grace (a hidden surface gets none): the new one supersedes it,
        // and keeping every old one would grow without bound.
        wl_callback_destroy(frame_callback_);
    }
    frame_callback_ = wl_surface_frame(surface_.get());
    if (frame_callback_ != nullptr) {
        wl_callback_add_listener(frame_callback_, &kFrameListener, this);
    } else {
        SB_LOG_ONCE(warn, "wayland: no memory for a frame callback: FIFO presents go unpaced");
    }
}

void WaylandPresenter::damage_whole_buffer() {
    // damage_buffer (buffer coordinates, wl_surface v4) is immune to the app's scale and
    // transform; an older surface only has damage, where the same "everything" works as well.
    if (wl_proxy_get_version(reinterpret_cast<wl_proxy*>(surface_.get())) >=
        WL_SURFACE_DAMAGE_BUFFER_SINCE_VERSION) {
        wl_surface_damage_buffer(surface_.get(), 0, 0, INT32_MAX, INT32_MAX);
    } else {
        wl_surface_damage(surface_.get(), 0, 0, INT32_MAX, INT32_MAX);
    }
}

void WaylandPresenter::report_lost() {
    if (lost_.exchange(true)) {
        return;
    }
    {
        // A FIFO present waiting for a frame callback that will never come goes on at once.
        std::lock_guard lock(frame_mutex_);
    }
    frame_done_.notify_all();
    log_connection_lost(queue_.display(), "presenting");
    events_->on_lost();
}

void WaylandPresenter::on_buffer_release(void* data, wl_buffer* /*buffer*/) {
    const auto* slot = static_cast<const Slot*>(data);
    if (slot->presenter->timelines_) {
        return;  // explicit sync: the release point returns the image, with its fence
    }
    // Implicit sync: the compositor's reads are in the dma-buf's fences, no fence of its own.
    slot->presenter->events_->on_released(slot->index, kernel::SyncFile{});
}

void WaylandPresenter::on_frame_done(void* data, wl_callback* callback, uint32_t /*time*/) {
    auto* self = static_cast<WaylandPresenter*>(data);
    {
        std::lock_guard lock(self->frame_mutex_);
        if (callback != self->frame_callback_) {
            // Superseded while this event was on its way: present() has destroyed it, and the
            // newer callback's answer is the one that paces.
            return;
        }
        self->frame_callback_ = nullptr;
        wl_callback_destroy(callback);
    }
    self->frame_done_.notify_all();
}

}  // namespace sb::wsi::wayland
