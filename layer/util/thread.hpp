// The layer's threads (the Wayland event thread, the X11 presenter, the hand-over thread, the
// export probe's exporter) all start here, so that each is started the same way:
//  - with every signal blocked, as Mesa's WSI threads are: the new thread inherits the mask, and
//    the app's asynchronous signals must never be handled on a thread it does not know about;
//  - named before its body runs and before start_thread returns;
//  - without throwing: std::thread reports a failed pthread_create as std::system_error, which
//    must not cross the Vulkan ABI. Failure is an errno the caller turns into a VkResult.
// SYNCBRIDGE_TEST_FAIL_THREAD_START=N makes the Nth start made while it is set fail (EAGAIN).
#pragma once

#include <pthread.h>

#include <cerrno>
#include <new>
#include <system_error>
#include <thread>
#include <utility>

namespace sb::util {

// Blocks every signal in the calling thread for its lifetime, then restores the mask.
class AllSignalsBlocked {
  public:
    AllSignalsBlocked();
    ~AllSignalsBlocked();
    AllSignalsBlocked(const AllSignalsBlocked&) = delete;
    AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

  private:
    sigset_t previous_{};
};

// Whether this start is the one SYNCBRIDGE_TEST_FAIL_THREAD_START asks to fail. Counts the
// starts made while the switch is set.
bool thread_start_fails_for_test();
// Forgets the starts counted so far (unit tests, which set the switch more than once).
void reset_thread_start_count_for_test();

// Starts `body` on a new thread named `name` (at most 15 characters, a static string) with all
// signals blocked. Returns 0 with the thread in *out, or the errno of the failure.
template <typename Body>
[[nodiscard]] int start_thread(const char* name, Body&& body, std::thread* out) noexcept {
    if (thread_start_fails_for_test()) {
        return EAGAIN;
    }
    const AllSignalsBlocked blocked;
    try {
        *out = std::thread([name, body = std::forward<Body>(body)]() mutable {
            (void)pthread_setname_np(pthread_self(), name);
            body();
        });
        // Again from here: the name is there when this returns, whichever runs first.
        (void)pthread_setname_np(out->native_handle(), name);
    } catch (const std::system_error& e) {
        return e.code().value() != 0 ? e.code().value() : EAGAIN;
    } catch (const std::bad_alloc&) {
        return ENOMEM;
    }
    return 0;
}

}  // namespace sb::util
