// Reading the app's Wayland connection for one private queue, from any thread, without taking
// anything from the app: libwayland lets several threads read one connection as long as each
// follows its prepare / read-or-cancel protocol, and sorts what is read into each proxy's
// queue. The app may be doing the same for its default queue on its own thread meanwhile.
#pragma once

#include <wayland-client.h>

#include <chrono>

namespace sb::wsi::wayland {

enum class PumpOutcome {
    progressed,  // events were read and/or dispatched (perhaps none of them for us)
    timed_out,   // nothing arrived within the timeout
    woken,       // `wake_fd` became readable (the caller drains it)
    lost,        // the connection is dead: a fatal or protocol error, or the compositor hung up
};

// One pass: dispatches `queue`'s pending events, announces this thread as a reader, flushes
// (a full socket makes the poll wait for POLLOUT too), polls the connection and `wake_fd`
// (-1: none) for at most `timeout`, reads or cancels, and dispatches what arrived. Listeners
// run on the calling thread, inside this call.
PumpOutcome pump_queue(wl_display* display, wl_event_queue* queue, int wake_fd,
                       std::chrono::milliseconds timeout);

// Logs why the connection died: the protocol error (interface, object, code) when there is
// one, else the errno libwayland recorded, else a hangup.
void log_connection_lost(wl_display* display, const char* context);

}  // namespace sb::wsi::wayland
