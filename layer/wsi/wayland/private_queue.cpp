#include "wsi/wayland/private_queue.hpp"

#include <cerrno>

#include "wsi/wayland/event_pump.hpp"

namespace sb::wsi::wayland {

kernel::Result<PrivateQueue> PrivateQueue::create(wl_display* display) {
    EventQueuePtr queue(wl_display_create_queue(display));
    if (!queue) {
        return kernel::Error{ENOMEM, "wl_display_create_queue"};
    }
    auto wrapper = wrap_on_queue(display, queue.get());
    if (!wrapper) {
        return kernel::Error{ENOMEM, "wl_proxy_create_wrapper(wl_display)"};
    }
    return PrivateQueue(display, std::move(queue), std::move(wrapper));
}

kernel::Status PrivateQueue::roundtrip(std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    bool answered = false;
    CallbackPtr sync(wl_display_sync(wrapper_.get()));
    if (!sync) {
        return kernel::Error{ENOMEM, "wl_display_sync"};
    }
    static constexpr wl_callback_listener kListener = {
        .done = [](void* data, wl_callback* /*callback*/,
                   uint32_t /*serial*/) { *static_cast<bool*>(data) = true; },
    };
    wl_callback_add_listener(sync.get(), &kListener, &answered);

    const auto deadline = Clock::now() + timeout;
    while (!answered) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return kernel::Error{ETIMEDOUT, "wl_display_sync (the compositor did not answer)"};
        }
        if (pump_queue(display_, queue_.get(), -1, left) == PumpOutcome::lost) {
            const int error = wl_display_get_error(display_);
            return kernel::Error{error != 0 ? error : EPIPE, "wayland connection"};
        }
    }
    return {};
}

}  // namespace sb::wsi::wayland
