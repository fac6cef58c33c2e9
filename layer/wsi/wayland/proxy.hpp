// One owner per libwayland-client object this window system creates, as UniqueFd is for fds:
// move-only, destroyed exactly once, in an order the owner spells out (see WaylandPresenter).
#pragma once

#include <wayland-client.h>

#include <memory>

namespace sb::wsi::wayland {

// The deleters call libwayland's destroy functions, most of them static inline in generated
// headers: a deleter type per kind of object rather than a function-pointer template argument,
// which would give the owner types internal linkage.
struct ProxyDestroyer {
    void operator()(wl_event_queue* queue) const { wl_event_queue_destroy(queue); }
    void operator()(wl_registry* registry) const { wl_registry_destroy(registry); }
    void operator()(wl_callback* callback) const { wl_callback_destroy(callback); }
    void operator()(wl_buffer* buffer) const { wl_buffer_destroy(buffer); }
};

// A proxy wrapper is no protocol object: destroying it sends nothing and leaves the wrapped
// (app-owned) proxy alone.
struct WrapperDestroyer {
    void operator()(void* wrapper) const { wl_proxy_wrapper_destroy(wrapper); }
};

using EventQueuePtr = std::unique_ptr<wl_event_queue, ProxyDestroyer>;
using RegistryPtr = std::unique_ptr<wl_registry, ProxyDestroyer>;
using CallbackPtr = std::unique_ptr<wl_callback, ProxyDestroyer>;
using BufferPtr = std::unique_ptr<wl_buffer, ProxyDestroyer>;
template <typename T>
using WrapperPtr = std::unique_ptr<T, WrapperDestroyer>;

// Flushes the connection when it goes out of scope. Objects destroyed on a function's way out
// (a failure's cleanup, a temporary registry's globals) send destroy requests; without a flush
// they would wait for the app's next one, and the compositor would hold their buffers and fds
// until then. Declared first in a function, so that it runs after every other local's
// destructor. Never blocks: on a full socket the requests wait for the next flush after all.
class FlushOnReturn {
  public:
    explicit FlushOnReturn(wl_display* display) : display_(display) {}
    ~FlushOnReturn() { (void)wl_display_flush(display_); }
    FlushOnReturn(const FlushOnReturn&) = delete;
    FlushOnReturn& operator=(const FlushOnReturn&) = delete;

  private:
    wl_display* display_;
};

// A wrapper of an app-owned proxy (its wl_display, its wl_surface) whose requests create their
// new objects on `queue` instead of the app's queue. Null when out of memory.
template <typename T>
WrapperPtr<T> wrap_on_queue(T* proxy, wl_event_queue* queue) {
    auto* wrapper = static_cast<T*>(wl_proxy_create_wrapper(proxy));
    if (wrapper != nullptr) {
        wl_proxy_set_queue(reinterpret_cast<wl_proxy*>(wrapper), queue);
    }
    return WrapperPtr<T>(wrapper);
}

}  // namespace sb::wsi::wayland
