// An X server of the test's own on a display number it picks itself (-displayfd), and a window
// on it. Xvfb: an X server with no DRI3, as a forwarded display or a headless CI machine has.
// Xwayland: DRI3 and Present through glamor, a client of a Wayland compositor (the test
// compositor with wl_drm), which then gets the X clients' presented buffers.
#pragma once

#include <sys/types.h>
#include <xcb/xcb.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sb::test::x11 {

class XServer {
  public:
    // Null (with `error` said) when the server is missing or does not come up within `timeout`.
    static std::unique_ptr<XServer> start_xvfb(std::chrono::milliseconds timeout,
                                               std::string* error);
    // Rootless, on the compositor at `wayland_display` (under $XDG_RUNTIME_DIR). Its glamor
    // refuses a GL renderer named llvmpipe; Mesa's force_gl_renderer override renames it, so that
    // glamor (and with it DRI3) runs on kms_swrast in the test VM.
    static std::unique_ptr<XServer> start_xwayland(const std::string& wayland_display,
                                                   std::chrono::milliseconds timeout,
                                                   std::string* error);
    ~XServer();  // SIGTERM, then SIGKILL after 2 s; always reaped
    XServer(const XServer&) = delete;
    XServer& operator=(const XServer&) = delete;

    [[nodiscard]] const std::string& display() const { return display_; }
    void kill();    // SIGKILL and reap: the server dies mid-session
    void stop();    // SIGSTOP: the server hangs, its socket open
    void resume();  // SIGCONT

  private:
    XServer(pid_t pid, std::string display) : pid_(pid), display_(std::move(display)) {}
    // What of a window manager Xwayland needs: its top-level windows redirected (manually), for
    // which alone it makes wl_surfaces. A desktop's compositor does it as X's window manager;
    // the tests have none. The connection keeps the redirection alive.
    bool redirect_top_level_windows(std::string* error);
    // Runs `args` (args[0] looked up in PATH, `-displayfd 3` appended) with `environment`.
    static std::unique_ptr<XServer> spawn(std::vector<std::string> args,
                                          const std::vector<std::string>& environment,
                                          std::chrono::milliseconds timeout, std::string* error);
    pid_t pid_;
    std::string display_;
    xcb_connection_t* window_manager_ = nullptr;
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
