#include "compositor/xdg_shell.hpp"

#include <wayland-server-protocol.h>
#include <algorithm>

#include "compositor/server.hpp"
#include "xdg-shell-server-protocol.h"

namespace sb::compositor {
namespace {

void destroy_request(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

// --- xdg_positioner: accepted and ignored (it only serves popups) ---------------------------

const struct xdg_positioner_interface kPositionerImpl = {
    .destroy = destroy_request,
    .set_size = [](wl_client*, wl_resource*, int32_t, int32_t) {},
    .set_anchor_rect = [](wl_client*, wl_resource*, int32_t, int32_t, int32_t, int32_t) {},
    .set_anchor = [](wl_client*, wl_resource*, uint32_t) {},
    .set_gravity = [](wl_client*, wl_resource*, uint32_t) {},
    .set_constraint_adjustment = [](wl_client*, wl_resource*, uint32_t) {},
    .set_offset = [](wl_client*, wl_resource*, int32_t, int32_t) {},
    .set_reactive = nullptr,  // v3+; this xdg_wm_base is v2
    .set_parent_size = nullptr,
    .set_parent_configure = nullptr,
};

// --- xdg_toplevel requests: window management is not modelled -------------------------------

const struct xdg_toplevel_interface kToplevelImpl = {
    .destroy = destroy_request,
    .set_parent = [](wl_client*, wl_resource*, wl_resource*) {},
    .set_title = [](wl_client*, wl_resource*, const char*) {},
    .set_app_id = [](wl_client*, wl_resource*, const char*) {},
    .show_window_menu = [](wl_client*, wl_resource*, wl_resource*, uint32_t, int32_t, int32_t) {},
    .move = [](wl_client*, wl_resource*, wl_resource*, uint32_t) {},
    .resize = [](wl_client*, wl_resource*, wl_resource*, uint32_t, uint32_t) {},
    .set_max_size = [](wl_client*, wl_resource*, int32_t, int32_t) {},
    .set_min_size = [](wl_client*, wl_resource*, int32_t, int32_t) {},
    .set_maximized = [](wl_client*, wl_resource*) {},
    .unset_maximized = [](wl_client*, wl_resource*) {},
    .set_fullscreen = [](wl_client*, wl_resource*, wl_resource*) {},
    .unset_fullscreen = [](wl_client*, wl_resource*) {},
    .set_minimized = [](wl_client*, wl_resource*) {},
};

// --- xdg_surface requests -------------------------------------------------------------------

XdgSurface* xdg_surface_from(wl_resource* resource) {
    return static_cast<XdgSurface*>(wl_resource_get_user_data(resource));
}

void xdg_surface_handle_get_toplevel(wl_client* client, wl_resource* resource, uint32_t id) {
    XdgSurface* xdg_surface = xdg_surface_from(resource);
    if (xdg_surface->toplevel() != nullptr) {
        wl_resource_post_error(resource, XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
                               "the xdg_surface already has a role object");
        return;
    }
    XdgToplevel::create(*xdg_surface, client, id);
}

void xdg_surface_handle_get_popup(wl_client* client, wl_resource* /*resource*/, uint32_t /*id*/,
                                  wl_resource* /*parent*/, wl_resource* /*positioner*/) {
    wl_client_post_implementation_error(client, "the test compositor has no popups");
}

void xdg_surface_handle_ack_configure(wl_client* /*client*/, wl_resource* resource,
                                      uint32_t serial) {
    xdg_surface_from(resource)->ack_configure(serial);
}

const struct xdg_surface_interface kXdgSurfaceImpl = {
    .destroy = destroy_request,
    .get_toplevel = xdg_surface_handle_get_toplevel,
    .get_popup = xdg_surface_handle_get_popup,
    .set_window_geometry = [](wl_client*, wl_resource*, int32_t, int32_t, int32_t, int32_t) {},
    .ack_configure = xdg_surface_handle_ack_configure,
};

// --- xdg_wm_base ----------------------------------------------------------------------------

void wm_base_handle_create_positioner(wl_client* client, wl_resource* resource, uint32_t id) {
    wl_resource* positioner = wl_resource_create(client, &xdg_positioner_interface,
                                                 wl_resource_get_version(resource), id);
    if (positioner == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(positioner, &kPositionerImpl, nullptr, nullptr);
}

void wm_base_handle_get_xdg_surface(wl_client* client, wl_resource* resource, uint32_t id,
                                    wl_resource* surface) {
    Server& server = *static_cast<Server*>(wl_resource_get_user_data(resource));
    XdgSurface::create(server, client, wl_resource_get_version(resource), id,
                       Surface::from_resource(surface));
}

const struct xdg_wm_base_interface kWmBaseImpl = {
    .destroy = destroy_request,
    .create_positioner = wm_base_handle_create_positioner,
    .get_xdg_surface = wm_base_handle_get_xdg_surface,
    .pong = [](wl_client*, wl_resource*, uint32_t) {},
};

void wm_base_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    wl_resource* resource =
        wl_resource_create(client, &xdg_wm_base_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kWmBaseImpl, data, nullptr);
}

}  // namespace

wl_global* xdg_shell_create(Server& server) {
    return wl_global_create(server.display, &xdg_wm_base_interface, kXdgWmBaseVersion, &server,
                            wm_base_bind);
}

// --- XdgSurface -----------------------------------------------------------------------------

void XdgSurface::create(Server& server, wl_client* client, int version, uint32_t id,
                        Surface* surface) {
    wl_resource* resource = wl_resource_create(client, &xdg_surface_interface, version, id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* xdg_surface = new XdgSurface(server, resource, surface);
    wl_resource_set_implementation(resource, &kXdgSurfaceImpl, xdg_surface,
                                   &XdgSurface::destroy_resource);
    if (!surface->set_role(xdg_surface)) {
        xdg_surface->surface_ = nullptr;
        wl_resource_post_error(resource, XDG_WM_BASE_ERROR_ROLE, "the surface has a role");
    }
}

XdgSurface::~XdgSurface() {
    if (toplevel_ != nullptr) {
        toplevel_->xdg_surface_destroyed();
    }
    if (surface_ != nullptr) {
        surface_->clear_role(this);
    }
}

void XdgSurface::destroy_resource(wl_resource* resource) {
    delete xdg_surface_from(resource);
}

bool XdgSurface::precommit(bool attaches_buffer) {
    if (attaches_buffer && !acked_) {
        wl_resource_post_error(resource_, XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
                               "a buffer was attached before the first configure was acked");
        return false;
    }
    return true;
}

void XdgSurface::postcommit() {
    // The first commit of a toplevel asks for its initial configure.
    if (toplevel_ != nullptr && !initial_configure_sent_) {
        initial_configure_sent_ = true;
        toplevel_->configure(server_.toplevel_width, server_.toplevel_height);
    }
}

void XdgSurface::send_configure() {
    last_serial_ = wl_display_next_serial(server_.display);
    xdg_surface_send_configure(resource_, last_serial_);
    server_.stats.update([](Counters& c) { c.configures_sent++; });
}

void XdgSurface::ack_configure(uint32_t serial) {
    // Serials only grow here (one display), so a serial above the last one was never sent.
    if (last_serial_ == 0 || serial > last_serial_) {
        wl_resource_post_error(resource_, XDG_SURFACE_ERROR_INVALID_SERIAL,
                               "ack_configure(%u): no such configure was sent", serial);
        return;
    }
    acked_ = true;
}

// --- XdgToplevel ----------------------------------------------------------------------------

void XdgToplevel::create(XdgSurface& xdg_surface, wl_client* client, uint32_t id) {
    wl_resource* resource = wl_resource_create(client, &xdg_toplevel_interface,
                                               wl_resource_get_version(xdg_surface.resource()), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* toplevel = new XdgToplevel(xdg_surface, resource);
    wl_resource_set_implementation(resource, &kToplevelImpl, toplevel,
                                   &XdgToplevel::destroy_resource);
    xdg_surface.set_toplevel(toplevel);
}

XdgToplevel::XdgToplevel(XdgSurface& xdg_surface, wl_resource* resource)
    : server_(xdg_surface.server()), xdg_surface_(&xdg_surface), resource_(resource) {
    server_.toplevels.push_back(this);
}

XdgToplevel::~XdgToplevel() {
    auto& all = server_.toplevels;
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
    if (xdg_surface_ != nullptr) {
        xdg_surface_->set_toplevel(nullptr);
    }
}

void XdgToplevel::destroy_resource(wl_resource* resource) {
    delete static_cast<XdgToplevel*>(wl_resource_get_user_data(resource));
}

void XdgToplevel::configure(int32_t width, int32_t height) {
    if (xdg_surface_ == nullptr) {
        return;
    }
    wl_array states;
    wl_array_init(&states);
    xdg_toplevel_send_configure(resource_, width, height, &states);
    wl_array_release(&states);
    xdg_surface_->send_configure();
}

}  // namespace sb::compositor
