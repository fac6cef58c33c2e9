#include "compositor/compositor.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <thread>

#include "compositor/server.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::compositor {

struct Compositor::Impl {
    explicit Impl(const Options& opts) : options(opts) {}

    // Runs `command` on the compositor's thread, soon.
    void post(std::function<void(Server&)> command) {
        {
            std::lock_guard lock(mutex);
            commands.push_back(std::move(command));
        }
        const uint64_t one = 1;
        (void)::write(wake.get(), &one, sizeof one);
    }

    static int on_wake(int fd, uint32_t /*mask*/, void* data) {
        auto* self = static_cast<Impl*>(data);
        uint64_t count = 0;
        (void)::read(fd, &count, sizeof count);
        std::vector<std::function<void(Server&)>> batch;
        {
            std::lock_guard lock(self->mutex);
            batch.swap(self->commands);
        }
        for (auto& command : batch) {
            command(*self->server);
        }
        return 0;
    }

    // The compositor's thread: the event loop, then the teardown (also after vanish display).
    void run() {
        wl_event_loop* loop = wl_display_get_event_loop(display);
        while (!server->stop_requested) {
            if (server->stalled) {
                // A hung compositor (--stall-after): only its own commands (stop) still run.
                pollfd pfd{wake.get(), POLLIN, 0};
                if (::poll(&pfd, 1, -1) > 0) {
                    on_wake(wake.get(), 0, this);
                }
                continue;
            }
            wl_display_flush_clients(display);
            // -1 is EINTR or a failed epoll; nothing is lost by going round again.
            (void)wl_event_loop_dispatch(loop, -1);
        }
        teardown();
    }

    void teardown() {
        if (server) {
            server->shutdown();
        }
        if (wake_source != nullptr) {
            wl_event_source_remove(wake_source);
            wake_source = nullptr;
        }
        server.reset();
        if (display != nullptr) {
            wl_display_destroy(display);  // closes the listening socket, removes its file
            display = nullptr;
        }
        running = false;
        stats.update([](Counters& c) { c.display_gone = true; });
    }

    const Options options;
    Stats stats;
    std::string socket;
    wl_display* display = nullptr;
    std::unique_ptr<Server> server;
    kernel::UniqueFd wake;  // eventfd: commands are waiting
    wl_event_source* wake_source = nullptr;
    std::mutex mutex;
    std::vector<std::function<void(Server&)>> commands;
    std::thread thread;
    std::atomic<bool> running{false};
};

kernel::Result<std::unique_ptr<Compositor>> Compositor::start(const Options& options) {
    auto impl = std::make_unique<Impl>(options);
    // Until the thread runs, a failure tears down here.
    struct TeardownOnFailure {
        Impl* impl;
        ~TeardownOnFailure() {
            if (impl != nullptr) {
                impl->teardown();
            }
        }
    } guard{impl.get()};

    impl->display = wl_display_create();
    if (impl->display == nullptr) {
        return kernel::Error{ENOMEM, "wl_display_create"};
    }
    if (options.socket_name.empty()) {
        const char* name = wl_display_add_socket_auto(impl->display);
        if (name == nullptr) {
            return kernel::Error{errno != 0 ? errno : ENOENT,
                                 "wl_display_add_socket_auto (is XDG_RUNTIME_DIR a directory?)"};
        }
        impl->socket = name;
    } else {
        if (wl_display_add_socket(impl->display, options.socket_name.c_str()) != 0) {
            return kernel::Error{errno != 0 ? errno : EADDRINUSE,
                                 "wl_display_add_socket (is XDG_RUNTIME_DIR a directory?)"};
        }
        impl->socket = options.socket_name;
    }
    impl->server = std::make_unique<Server>(options, impl->stats, impl->display);
    if (auto st = impl->server->init(); !st) {
        return st.error();
    }
    impl->wake = kernel::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!impl->wake) {
        return kernel::last_error("eventfd");
    }
    impl->wake_source =
        wl_event_loop_add_fd(wl_display_get_event_loop(impl->display), impl->wake.get(),
                             WL_EVENT_READABLE, &Impl::on_wake, impl.get());
    if (impl->wake_source == nullptr) {
        return kernel::last_error("wl_event_loop_add_fd(eventfd)");
    }
    impl->running = true;
    guard.impl = nullptr;
    impl->thread = std::thread([raw = impl.get()] { raw->run(); });
    return std::unique_ptr<Compositor>(new Compositor(std::move(impl)));
}

Compositor::Compositor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Compositor::~Compositor() {
    stop();
    std::fprintf(stderr, "[compositor] %s\n", summary().c_str());
}

const std::string& Compositor::socket_name() const {
    return impl_->socket;
}

const Options& Compositor::options() const {
    return impl_->options;
}

Counters Compositor::counters() const {
    return impl_->stats.counters();
}

std::vector<CommitRecord> Compositor::commits() const {
    return impl_->stats.commits();
}

bool Compositor::wait_until(const std::function<bool(const Counters&)>& done,
                            std::chrono::nanoseconds timeout) const {
    return impl_->stats.wait_until(done, timeout);
}

std::string Compositor::summary() const {
    return summary_line(counters());
}

std::optional<FrameImage> Compositor::captured_frame() const {
    return impl_->stats.kept_image();
}

void Compositor::resize(int32_t width, int32_t height) {
    impl_->post([=](Server& server) { server.resize_toplevels(width, height); });
}

void Compositor::stop() {
    if (impl_->running) {
        impl_->post([](Server& server) { server.request_stop(); });
    }
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
}

bool Compositor::running() const {
    return impl_->running;
}

}  // namespace sb::compositor
