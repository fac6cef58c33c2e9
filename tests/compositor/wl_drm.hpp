// wl_drm, version 2 (protocols/wl-drm.xml), offered only when Options::wl_drm_device names a
// DRM node: the legacy global with which Xwayland 22 finds the compositor's device and so
// offers DRI3 to X clients. Buffers come only as dma-bufs (create_prime_buffer) and go through
// the same import and checks as linux-dmabuf's; GEM flink names are refused.
#pragma once

#include <wayland-server-core.h>

#include "kernel/result.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::compositor {

struct Server;

constexpr uint32_t kWlDrmVersion = 2;

class WlDrm {
  public:
    // Opens Options::wl_drm_device (the compositor's fd, which authenticates clients' tokens
    // where the node is a primary one) and creates the global.
    static kernel::Result<WlDrm*> create(Server& server);
    ~WlDrm();
    WlDrm(const WlDrm&) = delete;
    WlDrm& operator=(const WlDrm&) = delete;

  private:
    WlDrm(Server& server, kernel::UniqueFd device) : server_(server), device_(std::move(device)) {}
    static void bind(wl_client* client, void* data, uint32_t version, uint32_t id);
    static void handle_authenticate(wl_client* client, wl_resource* resource, uint32_t magic);
    static void handle_create_buffer(wl_client* client, wl_resource* resource, uint32_t id,
                                     uint32_t name, int32_t width, int32_t height, uint32_t stride,
                                     uint32_t format);
    static void handle_create_planar_buffer(wl_client* client, wl_resource* resource, uint32_t id,
                                            uint32_t name, int32_t width, int32_t height,
                                            uint32_t format, int32_t offset0, int32_t stride0,
                                            int32_t offset1, int32_t stride1, int32_t offset2,
                                            int32_t stride2);
    static void handle_create_prime_buffer(wl_client* client, wl_resource* resource, uint32_t id,
                                           int32_t fd, int32_t width, int32_t height,
                                           uint32_t format, int32_t offset0, int32_t stride0,
                                           int32_t offset1, int32_t stride1, int32_t offset2,
                                           int32_t stride2);

    Server& server_;
    kernel::UniqueFd device_;
    wl_global* global_ = nullptr;
};

}  // namespace sb::compositor
