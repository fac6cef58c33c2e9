// The composite: after reading a frame, the compositor keeps "sampling" its buffer for
// Options::hold_ms, as a GPU compositor's render job would. While it does, the buffer carries
// a pending vgem *read* fence, so an implicit-sync writer waits; the wl_buffer.release may go
// out before the fence signals, as real compositors send it.
//
// The write-after-read check: when the hold ends, just before the read fence is signalled, the
// buffer is read again; content that differs from what the frame's read saw means someone wrote
// into the buffer while the compositor was still reading it (an "overwrite").
#pragma once

#include <wayland-server-core.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "compositor/syncobj.hpp"

namespace sb::compositor {

class Buffer;
struct Server;

class CompositeJobs {
  public:
    explicit CompositeJobs(Server& server);
    // Signals every fence still pending and removes the timers, without the overwrite check
    // (Server::shutdown calls finish_all first, which does check).
    ~CompositeJobs();
    CompositeJobs(const CompositeJobs&) = delete;
    CompositeJobs& operator=(const CompositeJobs&) = delete;

    struct Job;

    // Attaches a read fence to `buffer` and signals it after hold_ms; `hash` is what the
    // frame's read saw. Returns the job (nullptr: no hold, or vgem refused the fence), whose
    // record index is set once the frame's record exists: the fence is attached before the
    // record is published, so whoever sees the record counted also sees the fence in place.
    // Explicit sync (`release` set): no read fence in the buffer; the release point is signalled
    // when the hold ends (at once without a hold).
    Job* start(std::shared_ptr<Buffer> buffer, uint64_t hash, TimelinePoint release = {});
    static void set_record(Job* job, size_t record);
    // ReleasePolicy::random: whether `job` (nullptr: none) sends its buffer's wl_buffer.release
    // when its hold ends; false leaves the release to the caller, now.
    bool take_release(Job* job);

    // Ends every pending composite now: the overwrite check, then the fence is signalled.
    void finish_all();

    [[nodiscard]] size_t pending() const { return jobs_.size(); }

    struct Job {
        CompositeJobs* owner = nullptr;
        std::shared_ptr<Buffer> buffer;
        uint32_t fence = 0;     // vgem fence id: the read fence, or the release point's fence
        TimelinePoint release;  // explicit sync
        uint64_t hash = 0;
        size_t record = 0;
        wl_event_source* timer = nullptr;
        bool release_at_end = false;  // take_release
    };

  private:
    static int on_hold_end(void* data);
    Job* start_explicit(std::shared_ptr<Buffer> buffer, uint64_t hash, TimelinePoint release);
    Job* add_job(std::shared_ptr<Buffer> buffer, uint64_t hash, uint32_t fence,
                 TimelinePoint release);
    void finish(Job* job);

    [[nodiscard]] int hold_ms();

    Server& server_;
    std::mt19937_64 random_;
    std::vector<std::unique_ptr<Job>> jobs_;
    // --never-release: points held back; signalled at teardown, so no waiter outlives us.
    std::vector<TimelinePoint> never_released_;
};

}  // namespace sb::compositor
