#include "wsi/wayland/event_pump.hpp"

#include <poll.h>

#include <cerrno>

#include "kernel/result.hpp"
#include "util/log.hpp"

namespace sb::wsi::wayland {

PumpOutcome pump_queue(wl_display* display, wl_event_queue* queue, int wake_fd,
                       std::chrono::milliseconds timeout) {
    // A thread may only announce itself as a reader with its queue empty: another thread's read
    // may have queued events for us since our last dispatch, and they come first.
    if (wl_display_prepare_read_queue(display, queue) != 0) {
        return wl_display_dispatch_queue_pending(display, queue) < 0 ? PumpOutcome::lost
                                                                     : PumpOutcome::progressed;
    }
    // Our requests (and the app's) go out before we sleep. A full socket is not an error: the
    // poll below then waits until it drains, and the next pass flushes again.
    bool want_out = false;
    if (wl_display_flush(display) < 0) {
        if (errno == EAGAIN) {
            want_out = true;
        } else if (errno != EPIPE) {
            wl_display_cancel_read(display);
            return PumpOutcome::lost;
        }
        // EPIPE: the compositor closed its end. Read anyway: its last message may be the
        // protocol error that says why.
    }

    pollfd fds[2] = {
        {wl_display_get_fd(display), static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0},
        {wake_fd, POLLIN, 0},
    };
    const nfds_t count = wake_fd >= 0 ? 2 : 1;
    const int ready = ::poll(fds, count, static_cast<int>(timeout.count()));
    if (ready <= 0) {
        wl_display_cancel_read(display);
        if (ready == 0) {
            return PumpOutcome::timed_out;
        }
        // A signal is no reason to stop; the caller loops against its own deadline.
        return errno == EINTR ? PumpOutcome::progressed : PumpOutcome::lost;
    }
    const short revents = fds[0].revents;
    if ((revents & POLLNVAL) != 0) {
        // The app closed the connection under a live swapchain.
        wl_display_cancel_read(display);
        return PumpOutcome::lost;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        // Reads whatever is left even on a hangup; libwayland records EOF as a fatal error.
        if (wl_display_read_events(display) < 0) {
            return PumpOutcome::lost;
        }
    } else {
        wl_display_cancel_read(display);
    }
    if (wl_display_dispatch_queue_pending(display, queue) < 0 ||
        (revents & (POLLHUP | POLLERR)) != 0) {
        return PumpOutcome::lost;
    }
    if (count == 2 && (fds[1].revents & POLLIN) != 0) {
        return PumpOutcome::woken;
    }
    return PumpOutcome::progressed;
}

void log_connection_lost(wl_display* display, const char* context) {
    const int error = wl_display_get_error(display);
    if (error == EPROTO) {
        const wl_interface* interface = nullptr;
        uint32_t id = 0;
        const uint32_t code = wl_display_get_protocol_error(display, &interface, &id);
        SB_LOG(error, "wayland: %s: the compositor raised protocol error %u on %s@%u", context,
               code, interface != nullptr ? interface->name : "(unknown)", id);
    } else if (error != 0) {
        SB_LOG(error, "wayland: %s: connection lost: %s", context,
               kernel::Error{error, "wayland connection"}.describe().c_str());
    } else {
        SB_LOG(error, "wayland: %s: the compositor hung up", context);
    }
}

}  // namespace sb::wsi::wayland
