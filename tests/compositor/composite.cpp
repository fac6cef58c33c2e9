#include "compositor/composite.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "compositor/buffer.hpp"
#include "compositor/server.hpp"

namespace sb::compositor {

namespace {

// A release point signalled at once (no hold: nothing is read any more).
void signal_release(Server& server, const TimelinePoint& release) {
    if (auto st = release.timeline->signal_point(release.point); !st) {
        std::fprintf(stderr, "[compositor] release point %llu: %s\n",
                     static_cast<unsigned long long>(release.point), st.error().describe().c_str());
        server.stats.update([](Counters& c) { c.read_errors++; });
    }
}

}  // namespace

CompositeJobs::CompositeJobs(Server& server) : server_(server), random_(server.options.seed) {}

CompositeJobs::~CompositeJobs() {
    for (const TimelinePoint& release : never_released_) {
        signal_release(server_, release);
    }
    for (const auto& job : jobs_) {
        if (job->timer != nullptr) {
            wl_event_source_remove(job->timer);
        }
        (void)server_.vgem->signal(job->fence);
    }
}

CompositeJobs::Job* CompositeJobs::start(std::shared_ptr<Buffer> buffer, uint64_t hash,
                                         TimelinePoint release) {
    if (server_.options.hold_ms == 0 || !server_.vgem) {
        if (release) {
            signal_release(server_, release);
        }
        return nullptr;
    }
    if (release) {
        return start_explicit(std::move(buffer), hash, std::move(release));
    }
    auto handle = buffer->gem_handle();
    auto fence = handle ? server_.vgem->attach_fence(*handle, kernel::Access::read)
                        : kernel::Result<uint32_t>(handle.error());
    if (!fence) {
        std::fprintf(stderr, "[compositor] buffer %u: no read fence: %s\n", buffer->id(),
                     fence.error().describe().c_str());
        server_.stats.update([](Counters& c) { c.read_fences_refused++; });
        return nullptr;
    }
    return add_job(std::move(buffer), hash, *fence, {});
}

// As a GPU compositor's: the release point gets its fence when the composite starts, the fence
// of the reads still to come, pending until the hold ends. A client that reuses the buffer on
// "the point exists" alone, without waiting for its fence, writes during the hold.
// --never-release: the point never gets a fence while the compositor runs.
CompositeJobs::Job* CompositeJobs::start_explicit(std::shared_ptr<Buffer> buffer, uint64_t hash,
                                                  TimelinePoint release) {
    if (server_.options.release_misbehaviour == ReleaseMisbehaviour::never) {
        never_released_.push_back(std::move(release));
        return nullptr;
    }
    auto pending = server_.vgem->pending_sync_file();
    if (!pending) {
        std::fprintf(stderr, "[compositor] buffer %u: no release fence: %s\n", buffer->id(),
                     pending.error().describe().c_str());
        server_.stats.update([](Counters& c) { c.read_fences_refused++; });
        signal_release(server_, release);
        return nullptr;
    }
    if (auto st = release.timeline->import_sync_file_at(release.point, pending->file); !st) {
        std::fprintf(stderr, "[compositor] buffer %u: release point: %s\n", buffer->id(),
                     st.error().describe().c_str());
        server_.stats.update([](Counters& c) { c.read_errors++; });
        (void)server_.vgem->signal(pending->fence_id);
        return nullptr;
    }
    return add_job(std::move(buffer), hash, pending->fence_id, std::move(release));
}

CompositeJobs::Job* CompositeJobs::add_job(std::shared_ptr<Buffer> buffer, uint64_t hash,
                                           uint32_t fence, TimelinePoint release) {
    auto job = std::make_unique<Job>();
    job->owner = this;
    job->buffer = std::move(buffer);
    job->fence = fence;
    job->release = std::move(release);
    job->hash = hash;
    job->record = SIZE_MAX;
    job->timer = wl_event_loop_add_timer(server_.loop, &CompositeJobs::on_hold_end, job.get());
    Job* raw = job.get();
    jobs_.push_back(std::move(job));
    if (raw->timer == nullptr || wl_event_source_timer_update(raw->timer, hold_ms()) != 0) {
        finish(raw);  // no timer: never leave a fence pending
        return nullptr;
    }
    return raw;
}

int CompositeJobs::hold_ms() {
    const uint32_t jitter = server_.options.hold_jitter_ms;
    const uint64_t extra =
        jitter == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, jitter)(random_);
    return static_cast<int>(server_.options.hold_ms + extra);
}

bool CompositeJobs::take_release(Job* job) {
    if (job == nullptr || server_.options.release_policy != ReleasePolicy::random ||
        std::bernoulli_distribution(0.5)(random_)) {
        return false;
    }
    job->release_at_end = true;
    return true;
}

void CompositeJobs::set_record(Job* job, size_t record) {
    if (job != nullptr) {
        job->record = record;
    }
}

int CompositeJobs::on_hold_end(void* data) {
    auto* job = static_cast<Job*>(data);
    job->owner->finish(job);
    return 0;
}

void CompositeJobs::finish(Job* job) {
    // The re-read never waits, not even inside DMA_BUF_IOCTL_SYNC: a write fence added during
    // the hold belongs to a writer that may itself wait for this read fence (the bridge's
    // acquire), and a check between "idle?" and the read cannot exclude one arriving. The hash
    // comparison needs only the bytes that have landed.
    auto content = job->buffer->read(/*bracketed=*/false);
    if (!content) {
        std::fprintf(stderr, "[compositor] buffer %u: re-read: %s\n", job->buffer->id(),
                     content.error().describe().c_str());
        server_.stats.update([](Counters& c) { c.read_errors++; });
    } else if (content->hash != job->hash) {
        std::fprintf(stderr,
                     "[compositor] buffer %u OVERWRITTEN while its read fence was pending "
                     "(pixel now 0x%08x)\n",
                     job->buffer->id(), content->first_pixel);
        server_.stats.mark_overwritten(job->record);
    }
    // Explicit sync: the release point's fence is this vgem fence too.
    if (auto st = server_.vgem->signal(job->fence); !st) {
        std::fprintf(stderr, "[compositor] buffer %u: %s\n", job->buffer->id(),
                     st.error().describe().c_str());
        server_.stats.update([](Counters& c) { c.read_errors++; });
    } else {
        server_.stats.update([](Counters& c) { c.read_fences_signalled++; });
    }
    if (job->release_at_end) {
        job->buffer->send_release();
    }
    if (job->timer != nullptr) {
        wl_event_source_remove(job->timer);
    }
    jobs_.erase(std::find_if(jobs_.begin(), jobs_.end(),
                             [&](const std::unique_ptr<Job>& j) { return j.get() == job; }));
}

void CompositeJobs::finish_all() {
    while (!jobs_.empty()) {
        finish(jobs_.front().get());
    }
}

}  // namespace sb::compositor
