#include "x11/x_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/composite.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
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

std::unique_ptr<XServer> XServer::start_xvfb(std::chrono::milliseconds timeout,
                                             std::string* error) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
        environment.emplace_back(*e);
    }
    auto server = spawn({"Xvfb", "-nolisten", "tcp", "-noreset", "-screen", "0", "640x480x24"},
                        environment, timeout, error);
    if (!server && error->find("cannot run") == 0) {
        *error += " (package xvfb)";
    }
    return server;
}

std::unique_ptr<XServer> XServer::start_xwayland(const std::string& wayland_display,
                                                 std::chrono::milliseconds timeout,
                                                 std::string* error) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (entry.rfind("WAYLAND_DISPLAY=", 0) != 0 && entry.rfind("WAYLAND_SOCKET=", 0) != 0) {
            environment.emplace_back(entry);
        }
    }
    environment.push_back("WAYLAND_DISPLAY=" + wayland_display);
    environment.emplace_back("force_gl_renderer=kms_swrast (syncbridge test)");
    auto server = spawn({"Xwayland", "-rootless", "-nolisten", "tcp", "-noreset"}, environment,
                        timeout, error);
    if (!server) {
        if (error->find("cannot run") == 0) {
            *error += " (package xwayland)";
        }
        return nullptr;
    }
    if (!server->redirect_top_level_windows(error)) {
        return nullptr;
    }
    return server;
}

bool XServer::redirect_top_level_windows(std::string* error) {
    window_manager_ = xcb_connect(display_.c_str(), nullptr);
    if (xcb_connection_has_error(window_manager_) != 0) {
        *error = "cannot connect to " + display_;
        return false;
    }
    xcb_composite_query_version_reply_t* version = xcb_composite_query_version_reply(
        window_manager_, xcb_composite_query_version(window_manager_, 0, 4), nullptr);
    if (version == nullptr) {
        *error = display_ + " has no Composite extension";
        return false;
    }
    std::free(version);
    const xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(window_manager_)).data;
    xcb_generic_error_t* failed = xcb_request_check(
        window_manager_, xcb_composite_redirect_subwindows_checked(window_manager_, screen->root,
                                                                   XCB_COMPOSITE_REDIRECT_MANUAL));
    if (failed != nullptr) {
        *error = "CompositeRedirectSubwindows(root, Manual) failed: X error " +
                 std::to_string(failed->error_code);
        std::free(failed);
        return false;
    }
    return true;
}

std::unique_ptr<XServer> XServer::spawn(std::vector<std::string> args,
                                        const std::vector<std::string>& environment,
                                        std::chrono::milliseconds timeout, std::string* error) {
    // The server puts its socket there; the test VM's /tmp is a fresh tmpfs.
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
    // Fd 3 in the child, without close-on-exec: where the server writes its display number.
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 3);
    args.insert(args.begin() + 1, {"-displayfd", "3"});
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_copy = environment;
    std::vector<char*> envp;
    envp.reserve(env_copy.size() + 1);
    for (std::string& e : env_copy) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (spawned != 0) {
        *error = "cannot run " + args[0] + ": " + std::strerror(spawned);
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
            *error = args[0] + " did not say its display number in time";
            return nullptr;
        }
        number.push_back(c);
    }
    number.pop_back();
    return std::unique_ptr<XServer>(new XServer(pid, ":" + number));
}

XServer::~XServer() {
    if (window_manager_ != nullptr) {
        xcb_disconnect(window_manager_);
    }
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

void XServer::kill() {
    ::kill(pid_, SIGKILL);
    (void)reap(pid_, std::chrono::seconds(2));
    pid_ = -1;
}

void XServer::stop() {
    ::kill(pid_, SIGSTOP);
}
void XServer::resume() {
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
