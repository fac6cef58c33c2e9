// The compositor's "display refresh": a timer on the event loop that ticks every refresh_ms
// while a surface waits for one (latched frame callbacks or presentation feedback), and stops
// when none does. Each tick presents what surfaces latched since the last one.
#pragma once

#include <wayland-server-core.h>

#include <cstdint>
#include <ctime>

namespace sb::compositor {

struct Server;

class Vblank {
  public:
    // Returns nullptr if the timer cannot be created.
    static Vblank* create(Server& server);
    ~Vblank();
    Vblank(const Vblank&) = delete;
    Vblank& operator=(const Vblank&) = delete;

    // Arms the timer for the next tick on the refresh grid, unless it is armed already.
    void schedule();

    [[nodiscard]] uint64_t sequence() const { return sequence_; }

  private:
    Vblank(Server& server, wl_event_source* timer) : server_(server), timer_(timer) {}
    static int on_tick(void* data);

    Server& server_;
    wl_event_source* timer_;
    bool armed_ = false;
    uint64_t sequence_ = 0;
    timespec last_{};  // CLOCK_MONOTONIC of the last tick
};

}  // namespace sb::compositor
