#include "compositor/syncobj.hpp"

#include "compositor/server.hpp"
#include "compositor/surface.hpp"
#include "kernel/unique_fd.hpp"
#include "linux-drm-syncobj-v1-server-protocol.h"

namespace sb::compositor {
namespace {

Server& server_from(wl_resource* resource) {
    return *static_cast<Server*>(wl_resource_get_user_data(resource));
}

// --- wp_linux_drm_syncobj_timeline_v1 ----------------------------------------------------------

std::shared_ptr<kernel::DrmSyncobj>& timeline_from(wl_resource* resource) {
    return *static_cast<std::shared_ptr<kernel::DrmSyncobj>*>(wl_resource_get_user_data(resource));
}

void timeline_destroy_resource(wl_resource* resource) {
    delete &timeline_from(resource);
}

void resource_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

const struct wp_linux_drm_syncobj_timeline_v1_interface kTimelineImpl = {
    .destroy = resource_handle_destroy,
};

// --- wp_linux_drm_syncobj_surface_v1 -----------------------------------------------------------

struct SurfaceResourceData {
    Server& server;
    SyncobjSurfaceState state;
};

SurfaceResourceData& surface_data(wl_resource* resource) {
    return *static_cast<SurfaceResourceData*>(wl_resource_get_user_data(resource));
}

void syncobj_surface_destroy_resource(wl_resource* resource) {
    SurfaceResourceData* data = &surface_data(resource);
    if (data->state.surface != nullptr) {
        // Back to implicit sync from the next commit on.
        data->state.surface->set_syncobj(nullptr);
    }
    delete data;
}

void set_point(wl_resource* resource, wl_resource* timeline, uint32_t hi, uint32_t lo,
               bool acquire) {
    SurfaceResourceData& data = surface_data(resource);
    if (data.state.surface == nullptr) {
        post_syncobj_error(data.server, data.state,
                           WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE,
                           "the wl_surface is gone");
        return;
    }
    TimelinePoint point{timeline_from(timeline), (uint64_t{hi} << 32) | lo};
    (acquire ? data.state.acquire : data.state.release) = std::move(point);
}

void syncobj_surface_set_acquire(wl_client* /*client*/, wl_resource* resource,
                                 wl_resource* timeline, uint32_t hi, uint32_t lo) {
    set_point(resource, timeline, hi, lo, true);
}

void syncobj_surface_set_release(wl_client* /*client*/, wl_resource* resource,
                                 wl_resource* timeline, uint32_t hi, uint32_t lo) {
    set_point(resource, timeline, hi, lo, false);
}

const struct wp_linux_drm_syncobj_surface_v1_interface kSurfaceImpl = {
    .destroy = resource_handle_destroy,
    .set_acquire_point = syncobj_surface_set_acquire,
    .set_release_point = syncobj_surface_set_release,
};

// --- wp_linux_drm_syncobj_manager_v1 -----------------------------------------------------------

void manager_get_surface(wl_client* client, wl_resource* resource, uint32_t id,
                         wl_resource* surface_resource) {
    Server& server = server_from(resource);
    Surface* surface = Surface::from_resource(surface_resource);
    if (surface->syncobj() != nullptr) {
        server.stats.update([](Counters& c) { c.protocol_errors++; });
        wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS,
                               "the surface already has a syncobj surface");
        return;
    }
    wl_resource* created = wl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface,
                                              wl_resource_get_version(resource), id);
    if (created == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* data = new SurfaceResourceData{server, SyncobjSurfaceState{created, surface, {}, {}}};
    wl_resource_set_implementation(created, &kSurfaceImpl, data, syncobj_surface_destroy_resource);
    surface->set_syncobj(&data->state);
}

void manager_import_timeline(wl_client* client, wl_resource* resource, uint32_t id, int32_t fd) {
    const kernel::UniqueFd owned(fd);
    Server& server = server_from(resource);
    auto imported = kernel::DrmSyncobj::import_fd(server.syncobj_device.get(), owned.get());
    if (!imported) {
        server.stats.update([](Counters& c) { c.protocol_errors++; });
        wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
                               "not a syncobj: %s", imported.error().describe().c_str());
        return;
    }
    wl_resource* created = wl_resource_create(client, &wp_linux_drm_syncobj_timeline_v1_interface,
                                              wl_resource_get_version(resource), id);
    if (created == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* timeline = new std::shared_ptr<kernel::DrmSyncobj>(
        std::make_shared<kernel::DrmSyncobj>(std::move(imported).value()));
    wl_resource_set_implementation(created, &kTimelineImpl, timeline, timeline_destroy_resource);
}

const struct wp_linux_drm_syncobj_manager_v1_interface kManagerImpl = {
    .destroy = resource_handle_destroy,
    .get_surface = manager_get_surface,
    .import_timeline = manager_import_timeline,
};

void manager_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    wl_resource* resource = wl_resource_create(client, &wp_linux_drm_syncobj_manager_v1_interface,
                                               static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kManagerImpl, data, nullptr);
}

}  // namespace

void post_syncobj_error(Server& server, const SyncobjSurfaceState& state, uint32_t code,
                        const char* message) {
    server.stats.update([](Counters& c) { c.protocol_errors++; });
    wl_resource_post_error(state.resource, code, "%s", message);
}

wl_global* syncobj_manager_create(Server& server) {
    return wl_global_create(server.display, &wp_linux_drm_syncobj_manager_v1_interface, 1, &server,
                            manager_bind);
}

}  // namespace sb::compositor
