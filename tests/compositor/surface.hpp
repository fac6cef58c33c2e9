// wl_compositor, wl_region (accepted, unused) and wl_surface with the compositor's frame
// pipeline:
//
//   commit ──> queue ──(write fences signalled, or at once without implicit sync)──> latch
//   latch: read + check the content (stale / torn), start the composite (read fence + hold),
//          release per policy, move frame callbacks and presentation feedback to the vblank.
//
// Commits latch in order: a commit waits for its buffer's write fences, and every later commit
// of the surface waits behind it, as with a GPU compositor that honours implicit sync. Waiting
// never blocks the event loop: the dma-buf fd is polled by the loop (POLLIN = write fences
// signalled), with a deadline of Options::wait_timeout_ms.
#pragma once

#include <wayland-server-core.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "compositor/composite.hpp"
#include "compositor/content.hpp"
#include "compositor/resource_list.hpp"
#include "compositor/stats.hpp"
#include "compositor/syncobj.hpp"

namespace sb::compositor {

class Buffer;
struct QueuedCommit;
struct Server;

constexpr uint32_t kCompositorVersion = 4;

wl_global* compositor_create(Server& server);

// What a role (xdg_surface) needs to hear from its wl_surface.
class SurfaceRole {
  public:
    virtual ~SurfaceRole() = default;
    // Before a commit is applied. Returns false after posting a protocol error.
    virtual bool precommit(bool attaches_buffer) = 0;
    // After a commit was queued.
    virtual void postcommit() = 0;
    // The wl_surface is being destroyed before its role object.
    virtual void surface_destroyed() = 0;
};

class Surface {
  public:
    // wl_compositor.create_surface. The resource owns the Surface.
    static void create(Server& server, wl_client* client, int version, uint32_t id);
    // The Surface behind a wl_surface resource (every wl_surface is ours).
    static Surface* from_resource(wl_resource* resource);

    [[nodiscard]] uint32_t id() const { return id_; }
    [[nodiscard]] wl_resource* resource() const { return resource_; }

    // Returns false when the surface already has another role.
    bool set_role(SurfaceRole* role);
    void clear_role(SurfaceRole* role);

    // Explicit sync (syncobj.hpp): the surface's wp_linux_drm_syncobj_surface_v1, or null.
    [[nodiscard]] SyncobjSurfaceState* syncobj() const { return syncobj_; }
    void set_syncobj(SyncobjSurfaceState* state) { syncobj_ = state; }

    // wp_presentation.feedback for the next commit.
    void add_pending_feedback(wl_resource* feedback);

    // The vblank: presents the latched frame's feedback and completes its frame callbacks.
    void on_vblank(const timespec& when, uint64_t sequence);
    [[nodiscard]] bool wants_vblank() const;

    // Requests.
    void attach(wl_resource* buffer);
    void add_frame_callback(wl_resource* callback);
    void commit();

  private:
    Surface(Server& server, wl_resource* resource);
    ~Surface();
    Surface(const Surface&) = delete;
    Surface& operator=(const Surface&) = delete;

    static void destroy_resource(wl_resource* resource);
    static int on_buffer_ready(int fd, uint32_t mask, void* data);
    static int on_wait_deadline(void* data);

    // Latches queued commits in order until one still waits for its buffer's write fences.
    void advance();
    void latch(QueuedCommit& commit);
    // Reads and judges the commit's buffer; returns the composite it started (nullptr: none).
    CompositeJobs::Job* check_content(QueuedCommit& commit);
    // Whether the frame_read-th frame read (all surfaces) is the one Options::capture keeps.
    [[nodiscard]] bool wants_image(uint64_t frame_read) const;
    // The frame-colour checks (torn, stale, skipped) of a client that draws frame_colour.hpp.
    void judge_frame_colours(CommitRecord& record, const Content& content, const Buffer& buffer);
    void release(const std::shared_ptr<Buffer>& buffer);
    void discard_feedback(ResourceList& feedbacks);

    // Explicit sync: the protocol's checks on a commit (posts the error and returns false).
    bool check_sync_points(bool attaches_buffer);
    // Explicit sync: whether the head commit's acquire point has signalled; if not, waits for it
    // in the event loop (an eventfd the kernel writes to) and returns false.
    bool acquire_point_signalled(QueuedCommit& head);

    Server& server_;
    wl_resource* resource_;
    const uint32_t id_;
    SurfaceRole* role_ = nullptr;
    SyncobjSurfaceState* syncobj_ = nullptr;

    // Double-buffered state (wl_surface.attach/frame, wp_presentation.feedback).
    void attach_shm(wl_resource* buffer);

    bool pending_attached_ = false;
    std::shared_ptr<Buffer> pending_buffer_;
    ResourceList pending_callbacks_;
    ResourceList pending_feedback_;

    std::deque<std::unique_ptr<QueuedCommit>> queue_;

    // Latched state: shown from the next vblank on.
    std::shared_ptr<Buffer> current_buffer_;
    ResourceList latched_callbacks_;
    ResourceList latched_feedback_;

    // The content check's memory.
    std::optional<uint32_t> last_frame_;
    uint64_t frames_checked_ = 0;
};

}  // namespace sb::compositor
