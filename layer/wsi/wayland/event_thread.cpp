#include "wsi/wayland/event_thread.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "util/thread.hpp"
#include "wsi/wayland/event_pump.hpp"

namespace sb::wsi::wayland {
namespace {

// The wake eventfd ends every wait at once; the bound is for the other readers of the app's
// connection: one that announced itself and then calls wl_display_read_events without polling
// waits for every announced reader, this thread included, to read or cancel.
constexpr auto kPollTimeout = std::chrono::milliseconds(250);

}  // namespace

kernel::Result<std::unique_ptr<EventThread>> EventThread::start(wl_display* display,
                                                                wl_event_queue* queue,
                                                                OnLost on_lost, OnWoken on_woken,
                                                                std::chrono::milliseconds poll) {
    kernel::UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) {
        return kernel::last_error("eventfd");
    }
    std::unique_ptr<EventThread> thread(new (std::nothrow) EventThread(
        display, queue, std::move(on_lost), std::move(on_woken), poll, std::move(wake)));
    if (!thread) {
        return kernel::Error{ENOMEM, "EventThread"};
    }
    // Signals blocked, failure an errno (util/thread.hpp).
    EventThread* self = thread.get();
    if (const int failed = util::start_thread(
            "sb-wayland", [self] { self->run(); }, &thread->thread_);
        failed != 0) {
        return kernel::Error{failed, "pthread_create (sb-wayland)"};
    }
    return thread;
}

EventThread::~EventThread() {
    stopping_.store(true);
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void EventThread::wake() {
    const uint64_t one = 1;
    // EAGAIN (the counter is full) means a wake-up is pending anyway.
    (void)!::write(wake_.get(), &one, sizeof(one));
}

void EventThread::run() {
    const auto timeout = poll_.count() > 0 ? std::min(poll_, kPollTimeout) : kPollTimeout;
    while (!stopping_.load()) {
        switch (pump_queue(display_, queue_, wake_.get(), timeout)) {
            case PumpOutcome::woken: {
                uint64_t count = 0;
                (void)!::read(wake_.get(), &count, sizeof(count));
                if (on_woken_ && !stopping_.load()) {
                    on_woken_();
                }
                break;
            }
            case PumpOutcome::lost:
                // After a stop request the loss is the destructor's business, not news.
                if (!stopping_.load()) {
                    on_lost_();
                }
                return;
            case PumpOutcome::timed_out:
            case PumpOutcome::progressed:
                // Polling: a pass that something else ended is as good a time to look as any.
                if (on_woken_ && poll_.count() > 0) {
                    on_woken_();
                }
                break;
        }
    }
}

}  // namespace sb::wsi::wayland
