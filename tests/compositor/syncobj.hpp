// wp_linux_drm_syncobj_manager_v1 (explicit sync), offered with Options::syncobj_device (a DRM
// node with timeline syncobjs: virtio-gpu under Linux 6.12 in the VM; vgem has none). A surface
// with a syncobj surface is an explicit-sync surface: each commit with a buffer must carry an
// acquire and a release point (each protocol error the protocol defines is posted and counted);
// the compositor waits for the acquire point, in its event loop, and never for the dma-buf's
// fences, which it deliberately ignores on such surfaces, so only the points can protect a
// frame; it signals the release point when its hold on the buffer ends (composite.hpp).
#pragma once

#include <wayland-server-core.h>

#include <cstdint>
#include <memory>

#include "kernel/syncobj.hpp"

namespace sb::compositor {

class Surface;
struct Server;

// A point on an imported timeline. The timeline is shared: commits and composites keep using it
// after the client destroyed its wp_linux_drm_syncobj_timeline_v1.
struct TimelinePoint {
    std::shared_ptr<kernel::DrmSyncobj> timeline;
    uint64_t point = 0;
    explicit operator bool() const { return timeline != nullptr; }
};

// One wp_linux_drm_syncobj_surface_v1: the points for the surface's next commit.
struct SyncobjSurfaceState {
    wl_resource* resource = nullptr;
    Surface* surface = nullptr;  // null once the wl_surface is gone
    TimelinePoint acquire;
    TimelinePoint release;
};

wl_global* syncobj_manager_create(Server& server);

// Posts a wp_linux_drm_syncobj_surface_v1 error on `state` and counts it.
void post_syncobj_error(Server& server, const SyncobjSurfaceState& state, uint32_t code,
                        const char* message);

}  // namespace sb::compositor
