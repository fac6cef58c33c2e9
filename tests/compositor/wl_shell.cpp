#include "compositor/wl_shell.hpp"

#include <wayland-server-protocol.h>

#include "compositor/server.hpp"
#include "compositor/surface.hpp"

namespace sb::compositor {
namespace {

class ShellSurface final : public SurfaceRole {
  public:
    explicit ShellSurface(Surface* surface) : surface_(surface) {}
    ~ShellSurface() override {
        if (surface_ != nullptr) {
            surface_->clear_role(this);
        }
    }
    ShellSurface(const ShellSurface&) = delete;
    ShellSurface& operator=(const ShellSurface&) = delete;

    bool precommit(bool /*attaches_buffer*/) override { return true; }
    void postcommit() override {}
    void surface_destroyed() override { surface_ = nullptr; }

  private:
    Surface* surface_;  // null once the wl_surface is gone
};

const struct wl_shell_surface_interface kShellSurfaceImpl = {
    .pong = [](wl_client*, wl_resource*, uint32_t) {},
    .move = [](wl_client*, wl_resource*, wl_resource*, uint32_t) {},
    .resize = [](wl_client*, wl_resource*, wl_resource*, uint32_t, uint32_t) {},
    .set_toplevel = [](wl_client*, wl_resource*) {},
    .set_transient = [](wl_client*, wl_resource*, wl_resource*, int32_t, int32_t, uint32_t) {},
    .set_fullscreen = [](wl_client*, wl_resource*, uint32_t, uint32_t, wl_resource*) {},
    .set_popup = [](wl_client*, wl_resource*, wl_resource*, uint32_t, wl_resource*, int32_t,
                    int32_t, uint32_t) {},
    .set_maximized = [](wl_client*, wl_resource*, wl_resource*) {},
    .set_title = [](wl_client*, wl_resource*, const char*) {},
    .set_class = [](wl_client*, wl_resource*, const char*) {},
};

void destroy_shell_surface(wl_resource* resource) {
    delete static_cast<ShellSurface*>(wl_resource_get_user_data(resource));
}

void shell_handle_get_shell_surface(wl_client* client, wl_resource* resource, uint32_t id,
                                    wl_resource* surface_resource) {
    Surface* surface = Surface::from_resource(surface_resource);
    auto* role = new ShellSurface(surface);
    if (!surface->set_role(role)) {
        delete role;
        wl_resource_post_error(resource, WL_SHELL_ERROR_ROLE, "the surface has a role");
        return;
    }
    wl_resource* shell_surface = wl_resource_create(client, &wl_shell_surface_interface,
                                                    wl_resource_get_version(resource), id);
    if (shell_surface == nullptr) {
        delete role;
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(shell_surface, &kShellSurfaceImpl, role, destroy_shell_surface);
}

const struct wl_shell_interface kShellImpl = {
    .get_shell_surface = shell_handle_get_shell_surface,
};

void shell_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    wl_resource* resource =
        wl_resource_create(client, &wl_shell_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kShellImpl, data, nullptr);
}

}  // namespace

wl_global* wl_shell_create(Server& server) {
    return wl_global_create(server.display, &wl_shell_interface, 1, &server, shell_bind);
}

}  // namespace sb::compositor
