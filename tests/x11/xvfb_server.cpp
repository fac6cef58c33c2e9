#include "x11/xvfb_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "kernel/unique_fd.hpp"

namespace sb::test::x11 {
namespace {

// Reaps `pid` within `timeout`; false if it is still running.
bool reap(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const pid_t r = ::waitpid(pid, nullptr, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

std::unique_ptr<XvfbServer> XvfbServer::start(std::chrono::milliseconds timeout,
                                              std::string* error) {
    // Xvfb puts its socket there; the test VM's /tmp is a fresh tmpfs.
    (void)::mkdir("/tmp/.X11-unix", 01777);
    (void)::chmod("/tmp/.X11-unix", 01777);
    int ends[2] = {-1, -1};
    if (::pipe2(ends, O_CLOEXEC) != 0) {
        *error = std::string("pipe2: ") + std::strerror(errno);
        return nullptr;
    }
    const kernel::UniqueFd read_end(ends[0]);
    kernel::UniqueFd write_end(ends[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // Fd 3 in the child, without close-on-exec: where Xvfb writes its display number.
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 3);
    std::vector<std::string> args = {"Xvfb",     "-displayfd", "3", "-nolisten", "tcp",
                                     "-noreset", "-screen",    "0", "640x480x24"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, "Xvfb", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (spawned != 0) {
        *error = std::string("cannot run Xvfb (package xvfb): ") + std::strerror(spawned);
        return nullptr;
    }
    std::string number;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (number.empty() || number.back() != '\n') {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd fd{read_end.get(), POLLIN, 0};
        char c = 0;
        if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0 ||
            ::read(read_end.get(), &c, 1) != 1) {
            ::kill(pid, SIGKILL);
            (void)reap(pid, std::chrono::seconds(2));
            *error = "Xvfb did not say its display number in time";
            return nullptr;
        }
        number.push_back(c);
    }
    number.pop_back();
    return std::unique_ptr<XvfbServer>(new XvfbServer(pid, ":" + number));
}

XvfbServer::~XvfbServer() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    if (!reap(pid_, std::chrono::seconds(2))) {
        ::kill(pid_, SIGKILL);
        (void)reap(pid_, std::chrono::seconds(2));
    }
}

void XvfbServer::kill() {
    ::kill(pid_, SIGKILL);
    (void)reap(pid_, std::chrono::seconds(2));
    pid_ = -1;
}

void XvfbServer::stop() {
    ::kill(pid_, SIGSTOP);
}
void XvfbServer::resume() {
    ::kill(pid_, SIGCONT);
}

namespace {

// One mapped window on the screen's root visual; a round-trip, so it exists on return.
void create_window(AppWindow& app, uint16_t width, uint16_t height) {
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(app.connection)).data;
    app.window = xcb_generate_id(app.connection);
    xcb_create_window(app.connection, XCB_COPY_FROM_PARENT, app.window, screen->root, 0, 0, width,
                      height, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, 0, nullptr);
    xcb_map_window(app.connection, app.window);
    std::free(
        xcb_get_input_focus_reply(app.connection, xcb_get_input_focus(app.connection), nullptr));
}

}  // namespace

std::unique_ptr<AppWindow> AppWindow::open(const std::string& display, uint16_t width,
                                           uint16_t height) {
    auto app = std::make_unique<AppWindow>();
    app->connection = xcb_connect(display.c_str(), nullptr);
    if (xcb_connection_has_error(app->connection) != 0) {
        return nullptr;
    }
    create_window(*app, width, height);
    return app;
}

std::unique_ptr<AppWindow> AppWindow::open_xlib(const std::string& display, uint16_t width,
                                                uint16_t height) {
    auto app = std::make_unique<AppWindow>();
    app->xlib_display = open_xlib_display(display, &app->connection);
    if (app->xlib_display == nullptr) {
        return nullptr;
    }
    create_window(*app, width, height);
    return app;
}

AppWindow::~AppWindow() {
    if (xlib_display != nullptr) {
        close_xlib_display(xlib_display);  // its xcb connection goes with it
    } else if (connection != nullptr) {
        xcb_disconnect(connection);
    }
}

}  // namespace sb::test::x11
