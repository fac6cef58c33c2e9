// What the test compositor saw: counters, and one record per checked frame. Written on the
// compositor's thread, read from any thread (tests, the executable's summary).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "compositor/frame_image.hpp"

namespace sb::compositor {

struct Counters {
    uint64_t commits = 0;                // wl_surface.commit requests, with or without a buffer
    uint64_t frames_checked = 0;         // commits with a new buffer whose content was read
    uint64_t stale = 0;                  // a whole but old frame: never written (black), older
                                         // than expected, not newer than the last one, or the
                                         // content the buffer had when last read
    uint64_t torn = 0;                   // not one solid colour
    uint64_t skipped = 0;                // newer than expected (frames in between never came)
    uint64_t overwrites = 0;             // the buffer changed while the compositor's read fence was
                                         // pending (write-after-read)
    uint64_t fence_waits = 0;            // commits whose buffer still had write fences pending, so
                                         // that the compositor waited (implicit sync honoured)
    uint64_t wait_timeouts = 0;          // write fences still pending after wait_timeout_ms
    uint64_t read_errors = 0;            // a read (DMA_BUF_IOCTL_SYNC) or signalling failed
    uint64_t read_fences_signalled = 0;  // composites finished (hold over, checked, signalled)
    uint64_t read_fences_refused = 0;    // no composite: vgem refused the read fence (EBUSY:
                                         // a write fence was still pending, as it is when the
                                         // compositor does not honour implicit sync)
    uint64_t releases_sent = 0;          // wl_buffer.release events
    uint64_t releases_reordered = 0;     // releases of a frame read before one already released
                                         // (ReleasePolicy::random with jittered holds)
    // wl_shm buffers shown: the baseline of the frame-pacing benchmark (a driver's own WSI
    // without dma-bufs). Shared memory has no fences and nothing here checks its content.
    uint64_t shm_frames = 0;
    uint64_t feedback_presented = 0;
    uint64_t feedback_discarded = 0;
    uint64_t frame_callbacks_done = 0;
    uint64_t configures_sent = 0;
    uint64_t buffers_created = 0;
    uint64_t buffers_rejected = 0;  // linux-dmabuf imports refused (failed or protocol error)
    uint64_t clients_connected = 0;
    uint64_t clients_vanished = 0;  // connections the compositor cut (misbehaviour "vanish")
    uint64_t explicit_frames = 0;   // frames read on explicit-sync surfaces (syncobj.hpp)
    uint64_t protocol_errors = 0;   // explicit sync's protocol errors posted (syncobj.hpp)
    bool display_gone = false;      // the display was destroyed (vanish display, or shutdown)

    // stale + torn + overwrites: what a correct client/driver pair never causes.
    [[nodiscard]] uint64_t sync_errors() const { return stale + torn + overwrites; }
};

// One checked frame: what the compositor read from the buffer a commit carried.
struct CommitRecord {
    uint64_t commit = 0;   // Counters::commits when it was committed (1-based)
    uint32_t surface = 0;  // the compositor's id of the wl_surface (1-based, in creation order)
    uint32_t buffer = 0;   // the compositor's id of the wl_buffer (1-based)
    uint64_t surface_frame = 0;              // the n-th checked frame on this surface (1-based)
    uint32_t first_pixel = 0;                // as read, a little-endian 32-bit word
    std::optional<uint32_t> frame;           // decoded from first_pixel (frame_colour.hpp)
    std::optional<uint32_t> previous_frame;  // the surface's last good frame before this one
    std::optional<uint32_t> expected_frame;  // what this commit had to show, where known
    bool uniform = false;
    uint64_t hash = 0;  // of the visible pixels
    bool stale = false;
    bool torn = false;
    bool skipped = false;
    bool overwritten = false;  // set later, when the read fence signals
    bool waited = false;       // the buffer had pending write fences at commit
    bool wait_timed_out = false;
    bool read_error = false;
    std::chrono::nanoseconds commit_to_read{0};
};

std::string describe(const CommitRecord& record);

// "commits=… frames_checked=… stale=… torn=… overwrites=… releases=… feedback=…".
std::string summary_line(const Counters& counters);

class Stats {
  public:
    [[nodiscard]] Counters counters() const;
    [[nodiscard]] std::vector<CommitRecord> commits() const;

    // Applies `change` under the lock and wakes wait_until.
    void update(const std::function<void(Counters&)>& change);
    // Adds a record and counts it; returns its index for mark_overwritten.
    size_t add_record(const CommitRecord& record);
    void mark_overwritten(size_t index);

    // The frame kept for a person to look at (Options::capture); replaces any earlier one.
    void keep_image(FrameImage image);
    [[nodiscard]] std::optional<FrameImage> kept_image() const;

    // Blocks until `done(counters)` holds or `timeout` passes; returns whether it held.
    bool wait_until(const std::function<bool(const Counters&)>& done,
                    std::chrono::nanoseconds timeout) const;

  private:
    // A long-running compositor keeps the first records only.
    static constexpr size_t kMaxRecords = 100'000;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    Counters counters_;
    std::vector<CommitRecord> records_;
    std::optional<FrameImage> image_;
};

}  // namespace sb::compositor
