#include "wsi/x11/x11_presenter.hpp"

#include <drm_fourcc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xcb/dri3.h>
#include <xcb/present.h>
#include <xcb/xcbext.h>

#include <algorithm>
#include <new>

#include "util/log.hpp"
#include "util/thread.hpp"
#include "wsi/consumer_errors.hpp"
#include "wsi/x11/xcb_util.hpp"

namespace sb::wsi::x11 {
namespace {

// How long the event thread sleeps between looks at its queue when nothing wakes it: Present's
// events may be read off the socket by the app's thread, which queues them for us without
// waking our poll. Bounds how late a CompleteNotify is seen.
constexpr int kEventPollMs = 2;

// Asks the server to take `buffer` as pixmap `pixmap` (the fd is duplicated: xcb closes what it
// sends). DRI3 1.2 with the buffer's modifier where the server lists modifiers, else 1.0's
// PixmapFromBuffer, which has no offset and assumes the implicit modifier.
kernel::Result<xcb_void_cookie_t> request_pixmap(xcb_connection_t* connection, xcb_window_t window,
                                                 xcb_pixmap_t pixmap, bool explicit_modifiers,
                                                 const BufferDescription& buffer) {
    auto fd = kernel::UniqueFd::duplicate(buffer.dma_buf_fd);
    if (!fd) {
        return fd.error();
    }
    const auto width = static_cast<uint16_t>(buffer.width);
    const auto height = static_cast<uint16_t>(buffer.height);
    const auto depth = static_cast<uint8_t>(buffer.depth);
    const auto bpp = static_cast<uint8_t>(buffer.bpp);
    if (explicit_modifiers && buffer.modifier != DRM_FORMAT_MOD_INVALID) {
        int32_t fds[1] = {fd->release()};
        return xcb_dri3_pixmap_from_buffers_checked(connection, pixmap, window, 1, width, height,
                                                    buffer.stride, buffer.offset, 0, 0, 0, 0, 0, 0,
                                                    depth, bpp, buffer.modifier, fds);
    }
    if (buffer.offset != 0) {
        return kernel::Error{EINVAL, "DRI3 PixmapFromBuffer: a buffer at an offset"};
    }
    const uint32_t size = buffer.stride * buffer.height;
    return xcb_dri3_pixmap_from_buffer_checked(connection, pixmap, window, size, width, height,
                                               static_cast<uint16_t>(buffer.stride), depth, bpp,
                                               fd->release());
}

}  // namespace

VkResult X11Presenter::create(xcb_connection_t* connection, xcb_window_t window,
                              bool explicit_modifiers,
                              const std::vector<BufferDescription>& buffers, ConsumerEvents* events,
                              std::unique_ptr<Presenter>* out) {
    std::unique_ptr<X11Presenter> presenter(new (std::nothrow)
                                                X11Presenter(connection, window, events));
    if (!presenter) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    presenter->wake_ = kernel::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!presenter->wake_) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (VkResult r = presenter->create_pixmaps(explicit_modifiers, buffers); r != VK_SUCCESS) {
        return r;  // the destructor frees the pixmaps made so far
    }
    if (VkResult r = presenter->select_events(); r != VK_SUCCESS) {
        return r;
    }
    X11Presenter* self = presenter.get();
    if (const int failed = util::start_thread(
            "sb-x11", [self] { self->run(); }, &presenter->thread_);
        failed != 0) {
        const kernel::Error error{failed, "pthread_create (sb-x11)"};
        SB_LOG(error, "x11: cannot start the presenter's thread: %s", error.describe().c_str());
        return vk_result_for_consumer_error(error);
    }
    *out = std::move(presenter);
    return VK_SUCCESS;
}

VkResult X11Presenter::create_pixmaps(bool explicit_modifiers,
                                      const std::vector<BufferDescription>& buffers) {
    std::vector<xcb_void_cookie_t> cookies;
    for (const BufferDescription& buffer : buffers) {
        const xcb_pixmap_t pixmap = xcb_generate_id(connection_);
        auto cookie = request_pixmap(connection_, window_, pixmap, explicit_modifiers, buffer);
        if (!cookie) {
            SB_LOG(error, "x11: cannot hand the X server a swapchain buffer: %s",
                   cookie.error().describe().c_str());
            return vk_result_for_consumer_error(cookie.error());
        }
        pixmaps_.push_back(pixmap);
        cookies.push_back(*cookie);
    }
    if (auto synced = sync_with_server(connection_, kConsumerReplyTimeout); !synced) {
        SB_LOG(error, "x11: making the swapchain's pixmaps: %s", synced.error().describe().c_str());
        return vk_result_for_consumer_error(synced.error());
    }
    for (xcb_void_cookie_t cookie : cookies) {
        if (auto error = take_error(connection_, cookie)) {
            return result_for_x_error(connection_, error.get(),
                                      "DRI3 refused a swapchain buffer (PixmapFromBuffer)");
        }
    }
    SB_LOG(debug, "x11: %zu pixmaps from the swapchain's dma-bufs (%s)", pixmaps_.size(),
           explicit_modifiers ? "DRI3 1.2, explicit modifier" : "DRI3 1.0, implicit modifier");
    return VK_SUCCESS;
}

VkResult X11Presenter::select_events() {
    event_id_ = xcb_generate_id(connection_);
    const xcb_void_cookie_t cookie = xcb_present_select_input_checked(
        connection_, event_id_, window_,
        XCB_PRESENT_EVENT_MASK_CONFIGURE_NOTIFY | XCB_PRESENT_EVENT_MASK_COMPLETE_NOTIFY |
            XCB_PRESENT_EVENT_MASK_IDLE_NOTIFY);
    // Registered before the server can send anything for it: none of it reaches the app.
    special_ = xcb_register_for_special_xge(connection_, &xcb_present_id, event_id_, nullptr);
    if (special_ == nullptr) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (auto synced = sync_with_server(connection_, kConsumerReplyTimeout); !synced) {
        return vk_result_for_consumer_error(synced.error());
    }
    if (auto error = take_error(connection_, cookie)) {
        event_id_ = 0;
        return result_for_x_error(connection_, error.get(), "Present SelectInput");
    }
    return VK_SUCCESS;
}

X11Presenter::~X11Presenter() {
    if (thread_.joinable()) {
        stopping_ = true;
        const uint64_t one = 1;
        // One write to an eventfd cannot overflow its counter, the only way it fails. `!`: with
        // _FORTIFY_SOURCE glibc marks write() warn_unused_result, which a bare (void) does not
        // silence in GCC (the Wayland event thread's wake does the same).
        (void)!::write(wake_.get(), &one, sizeof(one));
        thread_.join();
    }
    const bool alive = xcb_connection_has_error(connection_) == 0;
    if (alive) {
        // Every request checked and its answer dropped: an error (the window may be gone by
        // now) never reaches the app.
        if (event_id_ != 0) {
            xcb_discard_reply(connection_,
                              xcb_present_select_input_checked(connection_, event_id_, window_,
                                                               XCB_PRESENT_EVENT_MASK_NO_EVENT)
                                  .sequence);
        }
        for (xcb_pixmap_t pixmap : pixmaps_) {
            xcb_discard_reply(connection_, xcb_free_pixmap_checked(connection_, pixmap).sequence);
        }
        // Events already on their way for this event id must land in our queue, not the app's:
        // the queue goes only once the server has handled the deselection (bounded).
        if (special_ != nullptr) {
            (void)sync_with_server(connection_, kConsumerReplyTimeout);
        }
    }
    if (special_ != nullptr) {
        xcb_unregister_for_special_event(connection_, special_);
    }
    // Checked requests whose errors were never looked at.
    for (unsigned int sequence : unchecked_) {
        xcb_discard_reply(connection_, sequence);
    }
}

VkResult X11Presenter::present(const PresentRequest& request) {
    if (request.image >= pixmaps_.size()) {
        SB_LOG_ONCE(error, "x11: present of image %u, but the swapchain has only %zu",
                    request.image, pixmaps_.size());
        return VK_ERROR_OUT_OF_DATE_KHR;
    }
    const bool fifo = request.mode == VK_PRESENT_MODE_FIFO_KHR ||
                      request.mode == VK_PRESENT_MODE_FIFO_RELAXED_KHR;
    uint32_t serial = 0;
    {
        std::unique_lock lock(mutex_);
        if (fifo) {
            completed_.wait_for(lock, kFifoGrace,
                                [this] { return pending_fifo_serial_ == 0 || lost_.load(); });
        }
        serial = next_serial_++;
        if (next_serial_ == 0) {
            next_serial_ = 1;  // 0 means "none pending"
        }
        pending_fifo_serial_ = fifo ? serial : 0;
    }
    if (lost_.load() || xcb_connection_has_error(connection_) != 0) {
        report_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    // Target MSC 0 without Async: the next vblank, and a frame still queued for it is skipped
    // (MAILBOX); FIFO gets there only after the last one completed. Async: at once (IMMEDIATE).
    const uint32_t options = request.mode == VK_PRESENT_MODE_IMMEDIATE_KHR
                                 ? XCB_PRESENT_OPTION_ASYNC
                                 : XCB_PRESENT_OPTION_NONE;
    const xcb_void_cookie_t cookie =
        xcb_present_pixmap_checked(connection_, window_, pixmaps_[request.image], serial, 0, 0, 0,
                                   0, 0, 0, 0, options, 0, 0, 0, 0, nullptr);
    {
        std::lock_guard lock(mutex_);
        unchecked_.push_back(cookie.sequence);
    }
    if (xcb_flush(connection_) <= 0 || xcb_connection_has_error(connection_) != 0) {
        report_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    return VK_SUCCESS;
}

void X11Presenter::run() {
    const int connection_fd = xcb_get_file_descriptor(connection_);
    while (!stopping_.load()) {
        while (xcb_generic_event_t* event = xcb_poll_for_special_event(connection_, special_)) {
            handle_event(event);
            std::free(event);
        }
        if (!check_requests() || xcb_connection_has_error(connection_) != 0) {
            report_lost();
            return;
        }
        pollfd fds[2] = {{connection_fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        (void)::poll(fds, 2, kEventPollMs);
    }
}

void X11Presenter::handle_event(const xcb_generic_event_t* event) {
    const auto* generic = reinterpret_cast<const xcb_present_generic_event_t*>(event);
    switch (generic->evtype) {
        case XCB_PRESENT_EVENT_CONFIGURE_NOTIFY: {
            const auto* configure =
                reinterpret_cast<const xcb_present_configure_notify_event_t*>(event);
            events_->on_resized(configure->width, configure->height);
            break;
        }
        case XCB_PRESENT_EVENT_COMPLETE_NOTIFY: {
            const auto* complete =
                reinterpret_cast<const xcb_present_complete_notify_event_t*>(event);
            if (complete->kind != XCB_PRESENT_COMPLETE_KIND_PIXMAP) {
                break;
            }
            {
                std::lock_guard lock(mutex_);
                if (complete->serial == pending_fifo_serial_) {
                    pending_fifo_serial_ = 0;
                }
            }
            completed_.notify_all();
            break;
        }
        case XCB_PRESENT_EVENT_IDLE_NOTIFY: {
            // No idle fence (xshmfence or an XSync fence as PresentPixmap's idle_fence): a
            // server that reads with its GPU leaves those reads in the dma-buf's fences, where
            // acquire already waits for them, and a CPU-side fence per image would only add a
            // shared-memory fd and a wait the GPU can do instead.
            const auto* idle = reinterpret_cast<const xcb_present_idle_notify_event_t*>(event);
            const auto found = std::find(pixmaps_.begin(), pixmaps_.end(), idle->pixmap);
            if (found != pixmaps_.end()) {
                // Implicit sync: the server's reads are in the dma-buf's fences.
                events_->on_released(static_cast<uint32_t>(found - pixmaps_.begin()),
                                     kernel::SyncFile{});
            }
            break;
        }
        default:
            break;
    }
}

// The errors of PresentPixmap requests whose answers have arrived (never blocks). False once one
// failed: the app's window destroyed shows here as BadWindow, and the surface is lost.
bool X11Presenter::check_requests() {
    std::lock_guard lock(mutex_);
    while (!unchecked_.empty()) {
        void* reply = nullptr;
        xcb_generic_error_t* error = nullptr;
        if (xcb_poll_for_reply(connection_, unchecked_.front(), &reply, &error) == 0) {
            return true;  // not answered yet, nor the ones after it
        }
        unchecked_.pop_front();
        std::free(reply);
        const Reply<xcb_generic_error_t> owned(error);
        if (error != nullptr) {
            (void)result_for_x_error(connection_, error, "PresentPixmap");
            return false;
        }
    }
    return true;
}

void X11Presenter::report_lost() {
    if (lost_.exchange(true)) {
        return;
    }
    {
        std::lock_guard lock(mutex_);  // a FIFO present waiting for a completion goes on
    }
    completed_.notify_all();
    SB_LOG(error, "x11: the X server or the window is gone: the surface is lost");
    events_->on_lost();
}

}  // namespace sb::wsi::x11
