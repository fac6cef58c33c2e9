#include "wayland/test_app.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace sb::test::wayland {

std::unique_ptr<TestApp> TestApp::connect_fd(int fd) {
    wl_display* display = wl_display_connect_to_fd(fd);
    if (display == nullptr) {
        return nullptr;
    }
    std::unique_ptr<TestApp> app(new TestApp(display));
    return app->set_up() ? std::move(app) : nullptr;
}

std::unique_ptr<TestApp> TestApp::connect_name(const char* name) {
    wl_display* display = wl_display_connect(name);
    if (display == nullptr) {
        return nullptr;
    }
    std::unique_ptr<TestApp> app(new TestApp(display));
    return app->set_up() ? std::move(app) : nullptr;
}

bool TestApp::set_up() {
    static constexpr wl_registry_listener kRegistry = {.global = on_global,
                                                       .global_remove = on_global_remove};
    registry_ = wl_display_get_registry(display_);
    wl_registry_add_listener(registry_, &kRegistry, this);
    if (wl_display_roundtrip(display_) < 0 || compositor_ == nullptr) {
        return false;
    }
    static constexpr wl_surface_listener kSurface = {.enter = on_enter, .leave = on_leave};
    surface_ = wl_compositor_create_surface(compositor_);
    wl_surface_add_listener(surface_, &kSurface, this);
    const bool ok = wl_display_roundtrip(display_) >= 0;
    set_up_done_ = true;
    return ok;
}

TestApp::~TestApp() {
    stop_dispatching();
    if (surface_ != nullptr) {
        wl_surface_destroy(surface_);
    }
    if (compositor_ != nullptr) {
        wl_compositor_destroy(compositor_);
    }
    if (registry_ != nullptr) {
        wl_registry_destroy(registry_);
    }
    wl_display_disconnect(display_);
}

uint32_t TestApp::surface_version() const {
    return wl_proxy_get_version(reinterpret_cast<wl_proxy*>(surface_));
}

void TestApp::on_global(void* data, wl_registry* registry, uint32_t name, const char* interface,
                        uint32_t version) {
    auto* app = static_cast<TestApp*>(data);
    if (app->set_up_done_) {
        ++app->app_listener_calls_;
        return;
    }
    if (std::strcmp(interface, wl_compositor_interface.name) == 0) {
        app->compositor_ = static_cast<wl_compositor*>(
            wl_registry_bind(registry, name, &wl_compositor_interface, std::min(version, 4u)));
    }
}

void TestApp::on_global_remove(void* data, wl_registry* /*registry*/, uint32_t /*name*/) {
    ++static_cast<TestApp*>(data)->app_listener_calls_;
}

void TestApp::on_enter(void* data, wl_surface* /*surface*/, wl_output* /*output*/) {
    ++static_cast<TestApp*>(data)->app_listener_calls_;
}

void TestApp::on_leave(void* data, wl_surface* /*surface*/, wl_output* /*output*/) {
    ++static_cast<TestApp*>(data)->app_listener_calls_;
}

void TestApp::start_dispatching() {
    stop_ = false;
    dispatcher_ = std::thread([this] {
        dispatcher_id_ = pthread_self();
        (void)pthread_setname_np(pthread_self(), "app-events");
        dispatch_loop();
    });
    while (dispatcher_id_.load() == pthread_t{}) {
        std::this_thread::yield();
    }
}

void TestApp::stop_dispatching() {
    stop_ = true;
    if (dispatcher_.joinable()) {
        dispatcher_.join();
    }
}

bool TestApp::is_dispatch_thread() const {
    return dispatcher_id_.load() != pthread_t{} &&
           pthread_equal(dispatcher_id_.load(), pthread_self());
}

void TestApp::dispatch_loop() {
    while (!stop_) {
        while (wl_display_prepare_read(display_) != 0) {
            if (wl_display_dispatch_pending(display_) < 0) {
                return;
            }
        }
        (void)wl_display_flush(display_);
        pollfd pfd{wl_display_get_fd(display_), POLLIN, 0};
        if (::poll(&pfd, 1, 20) > 0) {
            if (wl_display_read_events(display_) < 0) {
                return;
            }
        } else {
            wl_display_cancel_read(display_);
        }
        if (wl_display_dispatch_pending(display_) < 0) {
            return;
        }
    }
}

std::vector<RecordingEvents::Delivery> RecordingEvents::deliveries() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
}

size_t RecordingEvents::count(Kind kind) const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(deliveries_.begin(), deliveries_.end(),
                                             [&](const Delivery& d) { return d.kind == kind; }));
}

std::vector<uint32_t> RecordingEvents::released() const {
    std::lock_guard lock(mutex_);
    std::vector<uint32_t> images;
    for (const Delivery& d : deliveries_) {
        if (d.kind == Kind::released) {
            images.push_back(d.image);
        }
    }
    return images;
}

bool RecordingEvents::wait_until(const std::function<bool(const RecordingEvents&)>& done,
                                 std::chrono::nanoseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        lock.unlock();
        const bool held = done(*this);
        lock.lock();
        if (held) {
            return true;
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
            lock.unlock();
            return done(*this);
        }
    }
}

void RecordingEvents::record(Kind kind, uint32_t image) {
    char name[32] = {};
    (void)pthread_getname_np(pthread_self(), name, sizeof(name));
    {
        std::lock_guard lock(mutex_);
        deliveries_.push_back(Delivery{kind, image, name, pthread_self()});
    }
    changed_.notify_all();
}

kernel::UniqueFd fake_dma_buf(size_t size) {
    kernel::UniqueFd fd(::memfd_create("fake-dma-buf", MFD_CLOEXEC));
    if (fd && ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
        fd.reset();
    }
    return fd;
}

int count_fds_to(const std::string& target) {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        const auto link = std::filesystem::read_symlink(entry.path(), ec);
        if (!ec && link.native().rfind(target, 0) == 0) {
            ++count;
        }
    }
    return count;
}

}  // namespace sb::test::wayland
