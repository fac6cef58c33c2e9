// Explicit sync on Wayland (wp_linux_drm_syncobj_v1): instead of the dma-buf's fences, each
// commit carries a timeline point the compositor waits for before reading (acquire: the render's
// fence) and one it signals when it no longer reads (release). Preferred wherever offered: no
// dma-buf sync-file ioctls (so Linux before 6.0 works too), an exact release fence, and no
// implicit-sync behaviour asked of a compositor that may not honour it for such surfaces.
//
// The protocol allows one syncobj surface per wl_surface, and once it exists every commit with a
// buffer must carry both points: so the choice is made once per VkSurfaceKHR (SyncobjSurface,
// shared by its swapchains), and each swapchain brings its own timeline (SyncobjTimeline).
#pragma once

#include <sys/types.h>
#include <wayland-client.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernel/result.hpp"
#include "kernel/sync_file.hpp"
#include "kernel/syncobj.hpp"
#include "wsi/wayland/private_queue.hpp"

struct wp_linux_drm_syncobj_manager_v1;
struct wp_linux_drm_syncobj_surface_v1;
struct wp_linux_drm_syncobj_timeline_v1;

namespace sb::wsi::wayland {

// SYNCBRIDGE_WAYLAND_SYNC: auto (default: explicit where the compositor and a device allow it),
// explicit (required: a swapchain fails without it), implicit (never).
enum class SyncChoice : uint8_t { automatic, explicit_required, implicit_only };
SyncChoice wayland_sync_choice();

// The version of the compositor's wp_linux_drm_syncobj_manager_v1 (0: not offered), found with a
// registry on `queue`: one roundtrip, bounded by `timeout`. The question SyncobjSurface::create
// asks first, for syncbridge-info.
kernel::Result<uint32_t> syncobj_manager_version(PrivateQueue& queue,
                                                 std::chrono::milliseconds timeout);

// The generated protocol header stays in explicit_sync.cpp (its interfaces are the layer's own).
struct SyncobjDestroyer {
    void operator()(wp_linux_drm_syncobj_manager_v1* manager) const;
    void operator()(wp_linux_drm_syncobj_surface_v1* surface) const;
    void operator()(wp_linux_drm_syncobj_timeline_v1* timeline) const;
};
using SyncobjManagerPtr = std::unique_ptr<wp_linux_drm_syncobj_manager_v1, SyncobjDestroyer>;
using SyncobjSurfacePtr = std::unique_ptr<wp_linux_drm_syncobj_surface_v1, SyncobjDestroyer>;
using SyncobjTimelinePtr = std::unique_ptr<wp_linux_drm_syncobj_timeline_v1, SyncobjDestroyer>;

// One wl_surface's explicit sync: the manager, the syncobj surface and the DRM device whose
// timelines carry the points. Its protocol objects have no events; they live on a private
// queue of their own (never the app's).
class SyncobjSurface {
  public:
    // Null, with the reason in `why`, when this surface cannot have explicit sync: no
    // wp_linux_drm_syncobj_manager_v1, or no DRM device with timeline syncobjs (`devices` in
    // order: the compositor's main device, the app's GPU; 0s skipped; else any render node).
    // An error: the connection died or the compositor did not answer in time.
    static kernel::Result<std::shared_ptr<SyncobjSurface>> create(
        wl_display* display, wl_surface* surface, std::initializer_list<dev_t> devices,
        std::string* why);
    ~SyncobjSurface();
    SyncobjSurface(const SyncobjSurface&) = delete;
    SyncobjSurface& operator=(const SyncobjSurface&) = delete;

    [[nodiscard]] int drm_fd() const { return device_.fd.get(); }
    [[nodiscard]] const std::string& device_path() const { return device_.path; }
    // Why that device: the compositor's main device, the app's GPU, or the first render node
    // with timelines.
    [[nodiscard]] const char* device_source() const;
    [[nodiscard]] wp_linux_drm_syncobj_surface_v1* surface() const { return surface_.get(); }
    [[nodiscard]] wp_linux_drm_syncobj_manager_v1* manager() const { return manager_.get(); }
    // Whether the kernel can signal an eventfd for a point (DRM_IOCTL_SYNCOBJ_EVENTFD, Linux
    // 6.6+); where it cannot, release points are polled.
    [[nodiscard]] bool kernel_notifies() const { return kernel_notifies_; }

  private:
    SyncobjSurface(PrivateQueue queue, kernel::TimelineDevice device)
        : queue_(std::move(queue)), device_(std::move(device)) {}
    PrivateQueue queue_;  // last: the proxies below go first
    kernel::TimelineDevice device_;
    SyncobjManagerPtr manager_;
    SyncobjSurfacePtr surface_;
    bool kernel_notifies_ = false;
};

// One swapchain's timelines: per image, one for its acquire points and one for its release
// points (as Mesa's WSI has them), each imported by the compositor. A timeline's points must
// signal in order: an image goes back to the compositor only after its last release, so its own
// timelines are always in order, where one shared timeline would let a later acquire point
// signal a release point that had not.
class SyncobjTimelines {
  public:
    static kernel::Result<std::unique_ptr<SyncobjTimelines>> create(
        std::shared_ptr<SyncobjSurface> surface, uint32_t image_count);
    ~SyncobjTimelines();
    SyncobjTimelines(const SyncobjTimelines&) = delete;
    SyncobjTimelines& operator=(const SyncobjTimelines&) = delete;

    // Sets the next commit's points for `image`: acquire carries `render_done` (null or the
    // stub: signalled at once); the release point is returned, to watch for. On the presenting
    // thread.
    kernel::Result<uint64_t> set_points(uint32_t image, const kernel::SyncFile* render_done);
    // Whether `image`'s release point `point` has a fence yet (the compositor signalled it, or
    // attached the fence of its last read); that fence, once it has.
    [[nodiscard]] kernel::Result<bool> has_fence(uint32_t image, uint64_t point) const;
    [[nodiscard]] kernel::Result<bool> has_signalled(uint32_t image, uint64_t point) const;
    [[nodiscard]] kernel::Result<kernel::SyncFile> fence(uint32_t image, uint64_t point) const;
    // Makes the kernel write to `eventfd` once the point has a fence. False where the kernel has
    // no DRM_IOCTL_SYNCOBJ_EVENTFD (before Linux 6.6): the caller then polls has_fence().
    [[nodiscard]] bool notify(uint32_t image, uint64_t point, int eventfd) const;
    [[nodiscard]] bool kernel_notifies() const { return surface_->kernel_notifies(); }

  private:
    struct Timeline {
        kernel::DrmSyncobj syncobj;
        SyncobjTimelinePtr proxy;
        uint64_t last_point = 0;
    };
    struct ImageTimelines {
        Timeline acquire;
        Timeline release;
    };
    explicit SyncobjTimelines(std::shared_ptr<SyncobjSurface> surface)
        : surface_(std::move(surface)) {}
    kernel::Status add_timeline(Timeline* timeline);

    std::shared_ptr<SyncobjSurface> surface_;  // outlives the proxies and the syncobjs
    std::vector<ImageTimelines> images_;
    // Binary syncobjs that carry a fence into an acquire point (the presenting thread's) and
    // out of a release point (release_mutex_), kept rather than made for every frame.
    kernel::DrmSyncobj present_scratch_;
    mutable std::mutex release_mutex_;
    mutable kernel::DrmSyncobj release_scratch_;
};

}  // namespace sb::wsi::wayland
