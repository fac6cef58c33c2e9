// The test compositor: a real Wayland compositor (libwayland-server) on a thread of its own, for
// tests that need a consumer which relies on implicit sync and checks every frame it gets.
//
//   auto compositor = must(Compositor::start(options));   // listening once this returns
//   ... a client connects to compositor->socket_name() and presents frames ...
//   compositor->wait_until([](const Counters& c) { return c.frames_checked >= 10; }, 2s);
//   EXPECT_EQ(compositor->counters().sync_errors(), 0u);
//
// Globals: wl_compositor v4, xdg_wm_base v2 (toplevels), zwp_linux_dmabuf_v1 v3 and
// wp_presentation v1. What it checks and how is described in options.hpp, stats.hpp,
// surface.hpp and composite.hpp; frame_colour.hpp is the clients' side of the content check.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compositor/frame_image.hpp"
#include "compositor/options.hpp"
#include "compositor/stats.hpp"
#include "kernel/result.hpp"

namespace sb::compositor {

class Compositor {
  public:
    // Creates the display and its socket under $XDG_RUNTIME_DIR, then starts the event-loop
    // thread. Fails without vgem when options.hold_ms > 0 (read fences need it).
    static kernel::Result<std::unique_ptr<Compositor>> start(const Options& options);

    // Stops the thread, destroys every client, signals every read fence, destroys the display,
    // and prints the summary line on stderr.
    ~Compositor();
    Compositor(const Compositor&) = delete;
    Compositor& operator=(const Compositor&) = delete;

    [[nodiscard]] const std::string& socket_name() const;
    [[nodiscard]] const Options& options() const;

    [[nodiscard]] Counters counters() const;
    [[nodiscard]] std::vector<CommitRecord> commits() const;
    // Blocks until `done(counters)` holds or `timeout` passes; returns whether it held.
    bool wait_until(const std::function<bool(const Counters&)>& done,
                    std::chrono::nanoseconds timeout) const;
    [[nodiscard]] std::string summary() const;
    // The frame Options::capture kept (nullopt: capture off, or no frame read yet).
    [[nodiscard]] std::optional<FrameImage> captured_frame() const;

    // Sends every toplevel a configure with the new size (on the compositor's thread, soon).
    void resize(int32_t width, int32_t height);
    // Destroys the display and joins the thread, as the "vanish display" misbehaviour does
    // (without it, clients see their connection die). The counters stay readable. Idempotent;
    // the destructor calls it. Not from the compositor's own thread.
    void stop();
    // False once the display is gone (stop(), or vanish display).
    [[nodiscard]] bool running() const;

  private:
    struct Impl;
    explicit Compositor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sb::compositor
