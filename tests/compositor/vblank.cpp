#include "compositor/vblank.hpp"

#include <algorithm>
#include <vector>

#include "compositor/server.hpp"
#include "compositor/surface.hpp"

namespace sb::compositor {
namespace {

int64_t to_ns(const timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

timespec monotonic_now() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now;
}

}  // namespace

Vblank* Vblank::create(Server& server) {
    auto* vblank = new Vblank(server, nullptr);
    vblank->timer_ = wl_event_loop_add_timer(server.loop, &Vblank::on_tick, vblank);
    if (vblank->timer_ == nullptr) {
        delete vblank;
        return nullptr;
    }
    return vblank;
}

Vblank::~Vblank() {
    if (timer_ != nullptr) {
        wl_event_source_remove(timer_);
    }
}

void Vblank::schedule() {
    if (armed_) {
        return;
    }
    const int64_t period = static_cast<int64_t>(server_.options.refresh_ms) * 1'000'000;
    const int64_t since_last = to_ns(monotonic_now()) - to_ns(last_);
    // The next tick on the grid of the last one, at least 1 ms away (the timer's resolution).
    const int64_t wait_ns = since_last >= period ? 0 : period - since_last;
    const int wait_ms = static_cast<int>(std::max<int64_t>(1, (wait_ns + 999'999) / 1'000'000));
    wl_event_source_timer_update(timer_, wait_ms);
    armed_ = true;
}

int Vblank::on_tick(void* data) {
    auto* self = static_cast<Vblank*>(data);
    self->armed_ = false;
    self->last_ = monotonic_now();
    self->sequence_++;
    // A surface's events cannot destroy surfaces, but copy anyway: the list is not ours.
    const std::vector<Surface*> surfaces = self->server_.surfaces;
    bool again = false;
    for (Surface* surface : surfaces) {
        surface->on_vblank(self->last_, self->sequence_);
        again = again || surface->wants_vblank();
    }
    if (again) {
        self->schedule();
    }
    return 0;
}

}  // namespace sb::compositor
