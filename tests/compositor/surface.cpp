#include "compositor/surface.hpp"

#include <drm_fourcc.h>
#include <sys/eventfd.h>
#include <wayland-server-protocol.h>
#include <algorithm>

#include <chrono>
#include <cstdio>

#include "compositor/buffer.hpp"
#include "compositor/composite.hpp"
#include "compositor/frame_image.hpp"
#include "compositor/server.hpp"
#include "compositor/vblank.hpp"
#include "linux-drm-syncobj-v1-server-protocol.h"
#include "presentation-time-server-protocol.h"

namespace sb::compositor {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One wl_surface.commit on its way to the screen.
struct QueuedCommit {
    QueuedCommit() = default;
    ~QueuedCommit() {
        if (ready != nullptr) {
            wl_event_source_remove(ready);
        }
        if (deadline != nullptr) {
            wl_event_source_remove(deadline);
        }
    }
    QueuedCommit(const QueuedCommit&) = delete;
    QueuedCommit& operator=(const QueuedCommit&) = delete;

    uint64_t number = 0;  // Counters::commits after this commit
    Clock::time_point committed_at;
    bool attached = false;           // the commit carries an attach (of a buffer, or of NULL)
    std::shared_ptr<Buffer> buffer;  // the new buffer; null for no attach or attach(NULL)
    ResourceList frame_callbacks;
    ResourceList feedback;
    // Explicit sync: the commit's points (both set for a commit with a buffer, neither else).
    bool explicit_sync = false;
    TimelinePoint acquire;
    TimelinePoint release;
    kernel::UniqueFd acquire_eventfd;  // written by the kernel once the acquire point signals

    // Waiting for the buffer's write fences (only ever the head of the queue waits).
    bool waited = false;
    bool timed_out = false;
    wl_event_source* ready = nullptr;     // the dma-buf fd, readable once writers are done
    wl_event_source* deadline = nullptr;  // wait_timeout_ms
};

namespace {

// --- wl_region: accepted and ignored (input and opaque regions change nothing here) -------

void region_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}
void region_handle_rect(wl_client* /*client*/, wl_resource* /*resource*/, int32_t /*x*/,
                        int32_t /*y*/, int32_t /*width*/, int32_t /*height*/) {}

const struct wl_region_interface kRegionImpl = {
    .destroy = region_handle_destroy,
    .add = region_handle_rect,
    .subtract = region_handle_rect,
};

// --- wl_surface requests -------------------------------------------------------------------

void surface_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}
void surface_handle_attach(wl_client* /*client*/, wl_resource* resource, wl_resource* buffer,
                           int32_t /*x*/, int32_t /*y*/) {
    Surface::from_resource(resource)->attach(buffer);
}
// Damage changes nothing: every new buffer is read and checked whole.
void surface_handle_damage(wl_client* /*client*/, wl_resource* /*resource*/, int32_t /*x*/,
                           int32_t /*y*/, int32_t /*width*/, int32_t /*height*/) {}
void surface_handle_frame(wl_client* /*client*/, wl_resource* resource, uint32_t callback) {
    wl_resource* cb =
        wl_resource_create(wl_resource_get_client(resource), &wl_callback_interface, 1, callback);
    if (cb == nullptr) {
        wl_resource_post_no_memory(resource);
        return;
    }
    ResourceList::prepare(cb);
    Surface::from_resource(resource)->add_frame_callback(cb);
}
void surface_handle_set_region(wl_client* /*client*/, wl_resource* /*resource*/,
                               wl_resource* /*region*/) {}
void surface_handle_commit(wl_client* /*client*/, wl_resource* resource) {
    Surface::from_resource(resource)->commit();
}
void surface_handle_set_int(wl_client* /*client*/, wl_resource* /*resource*/, int32_t /*value*/) {}

const struct wl_surface_interface kSurfaceImpl = {
    .destroy = surface_handle_destroy,
    .attach = surface_handle_attach,
    .damage = surface_handle_damage,
    .frame = surface_handle_frame,
    .set_opaque_region = surface_handle_set_region,
    .set_input_region = surface_handle_set_region,
    .commit = surface_handle_commit,
    .set_buffer_transform = surface_handle_set_int,
    .set_buffer_scale = surface_handle_set_int,
    .damage_buffer = surface_handle_damage,
    .offset = nullptr,  // wl_surface v5; this wl_compositor is v4
};

// --- wl_compositor -------------------------------------------------------------------------

Server& server_from(wl_resource* resource) {
    return *static_cast<Server*>(wl_resource_get_user_data(resource));
}

void compositor_handle_create_surface(wl_client* client, wl_resource* resource, uint32_t id) {
    Surface::create(server_from(resource), client, wl_resource_get_version(resource), id);
}

void compositor_handle_create_region(wl_client* client, wl_resource* /*resource*/, uint32_t id) {
    wl_resource* region = wl_resource_create(client, &wl_region_interface, 1, id);
    if (region == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(region, &kRegionImpl, nullptr, nullptr);
}

const struct wl_compositor_interface kCompositorImpl = {
    .create_surface = compositor_handle_create_surface,
    .create_region = compositor_handle_create_region,
};

void compositor_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    wl_resource* resource =
        wl_resource_create(client, &wl_compositor_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kCompositorImpl, data, nullptr);
}

}  // namespace

wl_global* compositor_create(Server& server) {
    return wl_global_create(server.display, &wl_compositor_interface, kCompositorVersion, &server,
                            compositor_bind);
}

// --- Surface -------------------------------------------------------------------------------

void Surface::create(Server& server, wl_client* client, int version, uint32_t id) {
    wl_resource* resource = wl_resource_create(client, &wl_surface_interface, version, id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* surface = new Surface(server, resource);
    wl_resource_set_implementation(resource, &kSurfaceImpl, surface, &Surface::destroy_resource);
}

Surface::Surface(Server& server, wl_resource* resource)
    : server_(server), resource_(resource), id_(server.next_surface_id++) {
    server_.surfaces.push_back(this);
}

Surface::~Surface() {
    if (role_ != nullptr) {
        role_->surface_destroyed();
    }
    // Nothing of this surface will be shown any more; its queued buffers are not read.
    for (auto& queued : queue_) {
        discard_feedback(queued->feedback);
        if (queued->release) {
            (void)queued->release.timeline->signal_point(queued->release.point);
        }
    }
    if (syncobj_ != nullptr) {
        syncobj_->surface = nullptr;  // its later requests are the client's error (no_surface)
    }
    queue_.clear();
    discard_feedback(pending_feedback_);
    discard_feedback(latched_feedback_);
    if (current_buffer_ && server_.options.release_policy == ReleasePolicy::on_replace) {
        current_buffer_->send_release();
    }
    auto& all = server_.surfaces;
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
}

void Surface::destroy_resource(wl_resource* resource) {
    delete from_resource(resource);
}

Surface* Surface::from_resource(wl_resource* resource) {
    return static_cast<Surface*>(wl_resource_get_user_data(resource));
}

bool Surface::set_role(SurfaceRole* role) {
    if (role_ != nullptr && role_ != role) {
        return false;
    }
    role_ = role;
    return true;
}

void Surface::clear_role(SurfaceRole* role) {
    if (role_ == role) {
        role_ = nullptr;
    }
}

void Surface::add_pending_feedback(wl_resource* feedback) {
    pending_feedback_.add(feedback);
}

void Surface::add_frame_callback(wl_resource* callback) {
    pending_callbacks_.add(callback);
}

void Surface::attach(wl_resource* buffer) {
    if (buffer != nullptr && wl_shm_buffer_get(buffer) != nullptr && syncobj_ != nullptr) {
        post_syncobj_error(server_, *syncobj_,
                           WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER,
                           "a wl_shm buffer on an explicit-sync surface");
        return;
    }
    if (buffer != nullptr && wl_shm_buffer_get(buffer) != nullptr) {
        attach_shm(buffer);
        return;
    }
    std::shared_ptr<Buffer> attached = Buffer::from_resource(buffer);
    if (buffer != nullptr && !attached) {
        wl_client_post_implementation_error(wl_resource_get_client(resource_),
                                            "wl_surface.attach: not a linux-dmabuf wl_buffer");
        return;
    }
    pending_attached_ = true;
    pending_buffer_ = std::move(attached);
}

// A wl_shm buffer (a driver's own WSI, the benchmark's baseline) is "composited" at once: its
// bytes are the client's until release, and it carries no fences. It is released right away and
// the commit latches like one that attached nothing, with frame callbacks and feedback as usual.
// --png counts these frames on their own (shm_frames), so that a person can see what a driver's
// own WSI presented.
void Surface::attach_shm(wl_resource* buffer) {
    wl_shm_buffer* shm = wl_shm_buffer_get(buffer);
    uint64_t shm_frame = 0;
    server_.stats.update([&](Counters& c) {
        shm_frame = ++c.shm_frames;
        c.releases_sent++;
    });
    wl_shm_buffer_begin_access(shm);
    const auto* data = static_cast<const uint8_t*>(wl_shm_buffer_get_data(shm));
    volatile const uint8_t* first = data;
    (void)*first;  // touch the memory as a compositor's copy would
    if (wants_image(shm_frame)) {
        const int32_t height = wl_shm_buffer_get_height(shm);
        const int32_t stride = wl_shm_buffer_get_stride(shm);
        const PixelRect rect{0, static_cast<uint32_t>(stride), wl_shm_buffer_get_width(shm),
                             height};
        FrameImage image =
            copy_pixels(data, static_cast<size_t>(stride) * static_cast<size_t>(height), rect);
        // wl_shm's two always-supported formats have codes of their own; the rest are fourccs.
        const uint32_t format = wl_shm_buffer_get_format(shm);
        image.format = format == WL_SHM_FORMAT_ARGB8888   ? DRM_FORMAT_ARGB8888
                       : format == WL_SHM_FORMAT_XRGB8888 ? DRM_FORMAT_XRGB8888
                                                          : format;
        image.frame_checked = shm_frame;
        if (!image.pixels.empty()) {
            server_.stats.keep_image(std::move(image));
        }
    }
    wl_shm_buffer_end_access(shm);
    wl_buffer_send_release(buffer);
    pending_attached_ = false;
    pending_buffer_.reset();
}

void Surface::commit() {
    const uint64_t number = ++server_.commit_count;
    server_.stats.update([](Counters& c) { c.commits++; });
    const bool attaches_buffer = pending_attached_ && pending_buffer_;
    if (role_ != nullptr && !role_->precommit(attaches_buffer)) {
        return;  // a protocol error was posted; the client is going away
    }
    if (syncobj_ != nullptr && !check_sync_points(attaches_buffer)) {
        return;
    }
    auto queued = std::make_unique<QueuedCommit>();
    if (syncobj_ != nullptr) {
        queued->explicit_sync = true;
        queued->acquire = std::exchange(syncobj_->acquire, {});
        queued->release = std::exchange(syncobj_->release, {});
    }
    queued->number = number;
    queued->committed_at = Clock::now();
    queued->attached = std::exchange(pending_attached_, false);
    queued->buffer = std::move(pending_buffer_);
    queued->frame_callbacks.take_all(pending_callbacks_);
    queued->feedback.take_all(pending_feedback_);
    queue_.push_back(std::move(queued));
    if (role_ != nullptr) {
        role_->postcommit();
    }
    advance();
    server_.on_commit(wl_resource_get_client(resource_));
}

bool Surface::check_sync_points(bool attaches_buffer) {
    const SyncobjSurfaceState& points = *syncobj_;
    if (attaches_buffer && !points.acquire) {
        post_syncobj_error(server_, points, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT,
                           "a buffer without an acquire point");
        return false;
    }
    if (attaches_buffer && !points.release) {
        post_syncobj_error(server_, points, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT,
                           "a buffer without a release point");
        return false;
    }
    if (!attaches_buffer && (points.acquire || points.release)) {
        post_syncobj_error(server_, points, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER,
                           "timeline points without a buffer");
        return false;
    }
    if (attaches_buffer && points.acquire.timeline == points.release.timeline &&
        points.release.point <= points.acquire.point) {
        post_syncobj_error(server_, points,
                           WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS,
                           "the release point is not after the acquire point on one timeline");
        return false;
    }
    return true;
}

bool Surface::acquire_point_signalled(QueuedCommit& head) {
    auto signalled = head.acquire.timeline->point_ready(head.acquire.point, true);
    if (!signalled) {
        std::fprintf(stderr, "[compositor] surface %u: acquire point: %s\n", id_,
                     signalled.error().describe().c_str());
        return true;  // read anyway; the content check says what that cost
    }
    if (*signalled) {
        return true;
    }
    if (head.ready == nullptr) {
        head.waited = true;
        head.acquire_eventfd = kernel::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!head.acquire_eventfd ||
            !head.acquire.timeline
                 ->notify_eventfd(head.acquire.point, head.acquire_eventfd.get(), true)
                 .ok()) {
            std::fprintf(stderr, "[compositor] surface %u: cannot wait for the acquire point\n",
                         id_);
            head.timed_out = true;
            return true;
        }
        head.ready = wl_event_loop_add_fd(server_.loop, head.acquire_eventfd.get(),
                                          WL_EVENT_READABLE, on_buffer_ready, this);
        head.deadline = wl_event_loop_add_timer(server_.loop, on_wait_deadline, this);
        if (head.ready == nullptr || head.deadline == nullptr) {
            head.timed_out = true;
            return true;
        }
        wl_event_source_timer_update(
            head.deadline, static_cast<int>(std::max(1u, server_.options.wait_timeout_ms)));
        server_.stats.update([](Counters& c) { c.fence_waits++; });
    }
    return false;
}

void Surface::advance() {
    while (!queue_.empty()) {
        QueuedCommit& head = *queue_.front();
        if (head.buffer && head.explicit_sync && !head.timed_out) {
            // The acquire point, never the dma-buf's fences: an explicit-sync surface's buffer
            // is protected by its points or not at all.
            if (!acquire_point_signalled(head)) {
                return;
            }
        } else if (head.buffer && server_.options.honour_implicit_sync && !head.timed_out) {
            // Would a GPU sampler run now? Only once every write fence has signalled.
            auto idle = head.buffer->dma_buf().wait_idle(kernel::Access::read, 0ns);
            if (!idle) {
                std::fprintf(stderr, "[compositor] surface %u: %s\n", id_,
                             idle.error().describe().c_str());
            } else if (*idle == kernel::WaitOutcome::timed_out) {
                if (head.ready == nullptr) {
                    head.waited = true;
                    head.ready = wl_event_loop_add_fd(server_.loop, head.buffer->dma_buf().fd(),
                                                      WL_EVENT_READABLE, on_buffer_ready, this);
                    head.deadline = wl_event_loop_add_timer(server_.loop, on_wait_deadline, this);
                    if (head.ready == nullptr || head.deadline == nullptr) {
                        std::fprintf(stderr, "[compositor] surface %u: cannot wait for fences\n",
                                     id_);
                        head.timed_out = true;
                        continue;
                    }
                    wl_event_source_timer_update(
                        head.deadline,
                        static_cast<int>(std::max(1u, server_.options.wait_timeout_ms)));
                    server_.stats.update([](Counters& c) { c.fence_waits++; });
                }
                return;
            }
        }
        std::unique_ptr<QueuedCommit> commit = std::move(queue_.front());
        queue_.pop_front();
        latch(*commit);
    }
}

int Surface::on_buffer_ready(int /*fd*/, uint32_t /*mask*/, void* data) {
    static_cast<Surface*>(data)->advance();
    return 0;
}

int Surface::on_wait_deadline(void* data) {
    auto* surface = static_cast<Surface*>(data);
    surface->queue_.front()->timed_out = true;
    surface->advance();
    return 0;
}

void Surface::latch(QueuedCommit& commit) {
    if (commit.attached) {
        std::shared_ptr<Buffer> previous = std::exchange(current_buffer_, commit.buffer);
        if (commit.buffer) {
            CompositeJobs::Job* composite = check_content(commit);
            const ReleasePolicy policy = server_.options.release_policy;
            if (policy == ReleasePolicy::after_read ||
                (policy == ReleasePolicy::random &&
                 (!server_.composites || !server_.composites->take_release(composite)))) {
                commit.buffer->send_release();
            }
        }
        if (server_.options.release_policy == ReleasePolicy::on_replace && previous &&
            previous != current_buffer_) {
            previous->send_release();
        }
        // New content replaces the frame the last vblank has not shown yet.
        discard_feedback(latched_feedback_);
    }
    latched_feedback_.take_all(commit.feedback);
    latched_callbacks_.take_all(commit.frame_callbacks);
    if (wants_vblank()) {
        server_.vblank->schedule();
    }
}

CompositeJobs::Job* Surface::check_content(QueuedCommit& commit) {
    Buffer& buffer = *commit.buffer;
    CommitRecord record;
    record.commit = commit.number;
    record.surface = id_;
    record.buffer = buffer.id();
    record.surface_frame = ++frames_checked_;
    record.previous_frame = last_frame_;
    record.waited = commit.waited;
    record.wait_timed_out = commit.timed_out;

    // With implicit sync, the read is bracketed by DMA_BUF_IOCTL_SYNC, like any CPU access.
    // The bracket waits for write fences by itself and without a deadline, so it is used only
    // once they have signalled; the control (no implicit sync) and a timed-out wait read raw.
    // Explicit sync reads raw too: the bracket would wait for the dma-buf's fences.
    const bool bracketed =
        server_.options.honour_implicit_sync && !commit.timed_out && !commit.explicit_sync;
    const uint64_t frame_read = ++server_.frames_read;
    std::optional<FrameImage> image;
    if (wants_image(frame_read)) {
        image.emplace();
    }
    auto content = buffer.read(bracketed, image ? &*image : nullptr);
    record.commit_to_read = Clock::now() - commit.committed_at;
    if (!content) {
        std::fprintf(stderr, "[compositor] surface %u buffer %u: %s\n", id_, buffer.id(),
                     content.error().describe().c_str());
        record.read_error = true;
        server_.stats.add_record(record);
        if (commit.release) {
            (void)commit.release.timeline->signal_point(commit.release.point);
        }
        return nullptr;
    }
    record.first_pixel = content->first_pixel;
    record.uniform = content->uniform;
    record.hash = content->hash;
    if (server_.options.content_agnostic) {
        record.stale = unwritten_or_unchanged(*content, buffer.last_read_hash);
    } else {
        judge_frame_colours(record, *content, buffer);
    }
    buffer.last_read_hash = content->hash;
    buffer.last_read_number = frame_read;
    if (image) {
        image->frame_checked = frame_read;
        server_.stats.keep_image(std::move(*image));
    }
    if (commit.explicit_sync) {
        server_.stats.update([](Counters& c) { c.explicit_frames++; });
    }
    CompositeJobs::Job* composite =
        server_.composites
            ? server_.composites->start(commit.buffer, content->hash, std::move(commit.release))
            : nullptr;
    CompositeJobs::set_record(composite, server_.stats.add_record(record));
    if (record.stale || record.torn) {
        std::fprintf(stderr, "[compositor] %s\n", describe(record).c_str());
    }
    return composite;
}

bool Surface::wants_image(uint64_t frame_read) const {
    const Options& options = server_.options;
    return options.capture && (options.capture_frame == 0 || options.capture_frame == frame_read);
}

void Surface::judge_frame_colours(CommitRecord& record, const Content& content,
                                  const Buffer& buffer) {
    record.frame = frame_from_pixel(content.first_pixel, buffer.pixel_order());

    // Torn: mixed content. Stale: a whole frame, but an old one: never written (black), older
    // than expected, not newer than the surface's last frame, or exactly what this buffer held
    // when it was last read although a new frame was presented into it. Skipped: newer than
    // expected.
    const Options& options = server_.options;
    if (options.first_frame && (options.frame_step != 0 || record.surface_frame == 1)) {
        record.expected_frame =
            *options.first_frame +
            static_cast<uint32_t>(record.surface_frame - 1) * options.frame_step;
    } else if (last_frame_ && options.frame_step != 0) {
        record.expected_frame = *last_frame_ + options.frame_step;
    }
    record.torn = !content.uniform;
    const bool same_as_last_read = buffer.last_read_hash == content.hash;
    const bool not_newer = record.frame && last_frame_ && *record.frame <= *last_frame_;
    const bool older_than_expected =
        record.frame && record.expected_frame && *record.frame < *record.expected_frame;
    record.stale =
        !record.torn && (!record.frame || not_newer || older_than_expected || same_as_last_read);
    record.skipped = !record.torn && !record.stale && record.expected_frame &&
                     *record.frame > *record.expected_frame;
    if (!record.torn && !record.stale) {
        last_frame_ = record.frame;
    }
}

void Surface::discard_feedback(ResourceList& feedbacks) {
    uint64_t count = 0;
    feedbacks.finish_all([&](wl_resource* feedback) {
        wp_presentation_feedback_send_discarded(feedback);
        count++;
    });
    if (count != 0) {
        server_.stats.update([&](Counters& c) { c.feedback_discarded += count; });
    }
}

bool Surface::wants_vblank() const {
    return !latched_callbacks_.empty() || !latched_feedback_.empty();
}

void Surface::on_vblank(const timespec& when, uint64_t sequence) {
    const auto seconds = static_cast<uint64_t>(when.tv_sec);
    const uint32_t refresh_ns = server_.options.refresh_ms * 1'000'000u;
    uint64_t presented = 0;
    latched_feedback_.finish_all([&](wl_resource* feedback) {
        wp_presentation_feedback_send_presented(
            feedback, static_cast<uint32_t>(seconds >> 32), static_cast<uint32_t>(seconds),
            static_cast<uint32_t>(when.tv_nsec), refresh_ns, static_cast<uint32_t>(sequence >> 32),
            static_cast<uint32_t>(sequence), WP_PRESENTATION_FEEDBACK_KIND_VSYNC);
        presented++;
    });
    const auto ms = static_cast<uint32_t>(seconds * 1000 + when.tv_nsec / 1'000'000);
    uint64_t done = 0;
    latched_callbacks_.finish_all([&](wl_resource* callback) {
        wl_callback_send_done(callback, ms);
        done++;
    });
    if (presented != 0 || done != 0) {
        server_.stats.update([&](Counters& c) {
            c.feedback_presented += presented;
            c.frame_callbacks_done += done;
        });
    }
}

}  // namespace sb::compositor
