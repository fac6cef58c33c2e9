// xdg_wm_base with toplevels only (no popups): the initial configure after the first commit,
// the rule that no buffer may be attached before a configure was acked, and configure events
// with a new size when a test asks for a resize.
#pragma once

#include <wayland-server-core.h>

#include <cstdint>

#include "compositor/surface.hpp"

namespace sb::compositor {

struct Server;
class XdgToplevel;

constexpr uint32_t kXdgWmBaseVersion = 2;

wl_global* xdg_shell_create(Server& server);

class XdgSurface final : public SurfaceRole {
  public:
    static void create(Server& server, wl_client* client, int version, uint32_t id,
                       Surface* surface);

    bool precommit(bool attaches_buffer) override;
    void postcommit() override;
    void surface_destroyed() override { surface_ = nullptr; }

    // xdg_surface.configure with a fresh serial (after the role's own configure event).
    void send_configure();
    void ack_configure(uint32_t serial);
    void set_toplevel(XdgToplevel* toplevel) { toplevel_ = toplevel; }
    [[nodiscard]] XdgToplevel* toplevel() const { return toplevel_; }
    [[nodiscard]] wl_resource* resource() const { return resource_; }
    [[nodiscard]] Server& server() const { return server_; }

  private:
    XdgSurface(Server& server, wl_resource* resource, Surface* surface)
        : server_(server), resource_(resource), surface_(surface) {}
    ~XdgSurface() override;
    static void destroy_resource(wl_resource* resource);

    Server& server_;
    wl_resource* resource_;
    Surface* surface_;  // null once the wl_surface is gone
    XdgToplevel* toplevel_ = nullptr;
    bool initial_configure_sent_ = false;
    uint32_t last_serial_ = 0;  // last configure sent
    bool acked_ = false;        // some configure was acked
};

class XdgToplevel {
  public:
    static void create(XdgSurface& xdg_surface, wl_client* client, uint32_t id);

    // xdg_toplevel.configure(width, height, no states) + xdg_surface.configure.
    void configure(int32_t width, int32_t height);
    void xdg_surface_destroyed() { xdg_surface_ = nullptr; }

  private:
    XdgToplevel(XdgSurface& xdg_surface, wl_resource* resource);
    ~XdgToplevel();
    static void destroy_resource(wl_resource* resource);

    Server& server_;
    XdgSurface* xdg_surface_;  // null once the xdg_surface is gone
    wl_resource* resource_;
};

}  // namespace sb::compositor
