// The app's side of the Wayland tests: a connection of its own with wl_compositor and a
// wl_surface on the default queue, as an app that hands them to vkCreateWaylandSurfaceKHR has
// them; optionally a thread of the app's that dispatches the default queue meanwhile, as many
// toolkits do. And what the window system reports back (RecordingEvents).
#pragma once

#include <pthread.h>
#include <wayland-client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernel/unique_fd.hpp"
#include "support/fd_count.hpp"
#include "wsi/window_system.hpp"

namespace sb::test::wayland {

class TestApp {
  public:
    // wl_display_connect_to_fd(fd) (which takes the fd), or wl_display_connect(name). Null on
    // failure, or when the compositor has no wl_compositor.
    static std::unique_ptr<TestApp> connect_fd(int fd);
    static std::unique_ptr<TestApp> connect_name(const char* name);
    ~TestApp();
    TestApp(const TestApp&) = delete;
    TestApp& operator=(const TestApp&) = delete;

    [[nodiscard]] wl_display* display() const { return display_; }
    [[nodiscard]] wl_surface* surface() const { return surface_; }
    [[nodiscard]] uint32_t surface_version() const;

    // The app's own thread, dispatching the default queue with the standard prepare/read
    // protocol until stop_dispatching() (or the connection dies).
    void start_dispatching();
    void stop_dispatching();
    [[nodiscard]] bool is_dispatch_thread() const;
    // Events the app's own listeners received after setup (wl_registry.global, wl_surface.enter,
    // ...): none of the window system's may ever be among them.
    [[nodiscard]] uint64_t app_listener_calls() const { return app_listener_calls_.load(); }

  private:
    explicit TestApp(wl_display* display) : display_(display) {}
    bool set_up();
    void dispatch_loop();

    static void on_global(void* data, wl_registry* registry, uint32_t name, const char* interface,
                          uint32_t version);
    static void on_global_remove(void* data, wl_registry* registry, uint32_t name);
    static void on_enter(void* data, wl_surface* surface, wl_output* output);
    static void on_leave(void* data, wl_surface* surface, wl_output* output);

    wl_display* display_;
    wl_registry* registry_ = nullptr;
    wl_compositor* compositor_ = nullptr;
    wl_surface* surface_ = nullptr;
    bool set_up_done_ = false;
    std::atomic<uint64_t> app_listener_calls_{0};

    std::atomic<bool> stop_{false};
    std::thread dispatcher_;
    std::atomic<pthread_t> dispatcher_id_{};
};

// Records every ConsumerEvents call with the name of the thread it came on.
class RecordingEvents final : public wsi::ConsumerEvents {
  public:
    enum class Kind { released, resized, lost };
    struct Delivery {
        Kind kind;
        uint32_t image;
        std::string thread;
        pthread_t thread_id;
    };

    void on_released(uint32_t image, kernel::SyncFile /*reads_done*/) override {
        record(Kind::released, image);
    }
    void on_resized(uint32_t /*width*/, uint32_t /*height*/) override { record(Kind::resized, 0); }
    void on_lost() override { record(Kind::lost, 0); }

    [[nodiscard]] std::vector<Delivery> deliveries() const;
    [[nodiscard]] size_t count(Kind kind) const;
    // The images released so far, in order.
    [[nodiscard]] std::vector<uint32_t> released() const;
    bool wait_until(const std::function<bool(const RecordingEvents&)>& done,
                    std::chrono::nanoseconds timeout) const;

  private:
    void record(Kind kind, uint32_t image);

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<Delivery> deliveries_;
};

// A stand-in for a dma-buf where there is no DRM: a memfd (the compositor under test only
// passes the fd around).
kernel::UniqueFd fake_dma_buf(size_t size);

using sb::test::settled_thread_count;
using sb::test::thread_count;

// The fds of this process whose /proc/self/fd link starts with `target`, e.g.
// "anon_inode:[eventfd]".
int count_fds_to(const std::string& target);

}  // namespace sb::test::wayland
