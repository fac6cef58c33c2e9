#include "wsi/x11/xcb_util.hpp"

#include <poll.h>
#include <xcb/xcbext.h>

#include <algorithm>
#include <cerrno>

#include "util/log.hpp"

namespace sb::wsi::x11 {
namespace {

// The core protocol's error codes (X.h), which xcb.h does not name.
constexpr uint8_t kBadValue = 2;
constexpr uint8_t kBadWindow = 3;
constexpr uint8_t kBadMatch = 8;
constexpr uint8_t kBadDrawable = 9;
constexpr uint8_t kBadAlloc = 11;
constexpr uint8_t kBadLength = 16;

}  // namespace

kernel::Status sync_with_server(xcb_connection_t* connection, std::chrono::nanoseconds timeout) {
    // How often to look again when another thread (the app's) read the answer off the socket:
    // xcb then queues it for us without waking our poll.
    constexpr auto kLookAgain = std::chrono::milliseconds(2);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const xcb_get_input_focus_cookie_t cookie = xcb_get_input_focus(connection);
    if (xcb_flush(connection) <= 0) {
        return kernel::Error{EPIPE, "xcb_flush"};
    }
    for (;;) {
        void* reply = nullptr;
        xcb_generic_error_t* error = nullptr;
        // Reads the socket itself when no other thread is reading it.
        const int done = xcb_poll_for_reply(connection, cookie.sequence, &reply, &error);
        std::free(reply);
        std::free(error);
        if (done != 0) {
            return {};
        }
        if (xcb_connection_has_error(connection) != 0) {
            return kernel::Error{EPIPE, "the X connection"};
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            xcb_discard_reply(connection, cookie.sequence);  // a late answer is dropped
            return kernel::Error{ETIMEDOUT, "waiting for the X server"};
        }
        pollfd fd{xcb_get_file_descriptor(connection), POLLIN, 0};
        const auto wait = std::min<std::chrono::nanoseconds>(deadline - now, kLookAgain);
        (void)::poll(&fd, 1,
                     static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
    }
}

Reply<xcb_generic_error_t> take_error(xcb_connection_t* connection, xcb_void_cookie_t cookie) {
    return Reply<xcb_generic_error_t>(xcb_request_check(connection, cookie));
}

VkResult result_for_x_error(xcb_connection_t* connection, const xcb_generic_error_t* error,
                            const char* what) {
    if (xcb_connection_has_error(connection) != 0) {
        SB_LOG(error, "x11: the connection to the X server is gone (%s)", what);
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    if (error == nullptr) {
        return VK_SUCCESS;
    }
    SB_LOG(error, "x11: %s: X error %u (major %u, minor %u)", what, error->error_code,
           error->major_code, error->minor_code);
    switch (error->error_code) {
        case kBadWindow:
        case kBadDrawable:
            return VK_ERROR_SURFACE_LOST_KHR;
        case kBadAlloc:
        case kBadMatch:
        case kBadValue:
        case kBadLength:
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        default:
            return VK_ERROR_SURFACE_LOST_KHR;
    }
}

}  // namespace sb::wsi::x11
