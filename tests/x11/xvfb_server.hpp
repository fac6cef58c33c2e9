// An Xvfb of the test's own on a display number it picks itself (-displayfd), and a window on it:
// an X server with no DRI3, as a forwarded display or a headless CI machine has.
#pragma once

#include <sys/types.h>
#include <xcb/xcb.h>

#include <chrono>
#include <memory>
#include <string>

namespace sb::test::x11 {

class XvfbServer {
  public:
    // Null (with `error` said) when Xvfb is missing or does not come up within `timeout`.
    static std::unique_ptr<XvfbServer> start(std::chrono::milliseconds timeout, std::string* error);
    ~XvfbServer();  // SIGTERM, then SIGKILL after 2 s; always reaped
    XvfbServer(const XvfbServer&) = delete;
    XvfbServer& operator=(const XvfbServer&) = delete;

    [[nodiscard]] const std::string& display() const { return display_; }
    void kill();    // SIGKILL and reap: the server dies mid-session
    void stop();    // SIGSTOP: the server hangs, its socket open
    void resume();  // SIGCONT

  private:
    XvfbServer(pid_t pid, std::string display) : pid_(pid), display_(std::move(display)) {}
    pid_t pid_;
    std::string display_;
};

// An app's connection and one mapped window of `width` x `height` on the screen's root visual.
// open_xlib(): the connection is an Xlib Display's (xlib_window.cpp), as an Xlib app has it, and
// the app's surfaces are made with vkCreateXlibSurfaceKHR.
struct AppWindow {
    xcb_connection_t* connection = nullptr;
    xcb_window_t window = 0;
    void* xlib_display = nullptr;  // Display*, when opened with open_xlib()
    static std::unique_ptr<AppWindow> open(const std::string& display, uint16_t width,
                                           uint16_t height);
    static std::unique_ptr<AppWindow> open_xlib(const std::string& display, uint16_t width,
                                                uint16_t height);
    ~AppWindow();
    AppWindow() = default;
    AppWindow(const AppWindow&) = delete;
    AppWindow& operator=(const AppWindow&) = delete;
};

// xlib_window.cpp (the only file of the tests that sees Xlib.h): an Xlib Display and its xcb
// connection.
void* open_xlib_display(const std::string& display, xcb_connection_t** connection);
void close_xlib_display(void* display);

}  // namespace sb::test::x11
