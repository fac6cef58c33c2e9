#include "wsi/wayland/event_thread.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

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
    // The thread inherits the creator's signal mask: block everything there, so that the app's
    // asynchronous signals are never handled on a thread it does not know about.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int started = 0;
    try {
        EventThread* self = thread.get();
        thread->thread_ = std::thread([self] { self->run(); });
    } catch (const std::system_error& e) {
        started = e.code().value();
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (started != 0) {
        return kernel::Error{started, "std::thread (sb-wayland)"};
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
    // Named from inside: the name is there before the first listener can run.
    (void)pthread_setname_np(pthread_self(), "sb-wayland");
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
