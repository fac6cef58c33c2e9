#include "compositor/wl_drm.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <wayland-server-protocol.h>
#include <xf86drm.h>

#include <algorithm>
#include <cstdio>

#include "compositor/buffer.hpp"
#include "compositor/server.hpp"
#include "kernel/dma_buf.hpp"
#include "wl-drm-server-protocol.h"

namespace sb::compositor {
namespace {

WlDrm* wl_drm_from(wl_resource* resource) {
    return static_cast<WlDrm*>(wl_resource_get_user_data(resource));
}

}  // namespace

kernel::Result<WlDrm*> WlDrm::create(Server& server) {
    kernel::UniqueFd device(::open(server.options.wl_drm_device.c_str(), O_RDWR | O_CLOEXEC));
    if (!device) {
        return kernel::last_error("open(wl_drm device)");
    }
    auto* self = new WlDrm(server, std::move(device));
    self->global_ = wl_global_create(server.display, &wl_drm_interface,
                                     static_cast<int>(kWlDrmVersion), self, &WlDrm::bind);
    if (self->global_ == nullptr) {
        delete self;
        return kernel::Error{ENOMEM, "wl_global_create(wl_drm)"};
    }
    return self;
}

WlDrm::~WlDrm() {
    if (global_ != nullptr) {
        wl_global_destroy(global_);
    }
}

void WlDrm::bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    static const struct wl_drm_interface kImpl = {
        .authenticate = &WlDrm::handle_authenticate,
        .create_buffer = &WlDrm::handle_create_buffer,
        .create_planar_buffer = &WlDrm::handle_create_planar_buffer,
        .create_prime_buffer = &WlDrm::handle_create_prime_buffer,
    };
    auto* self = static_cast<WlDrm*>(data);
    wl_resource* resource =
        wl_resource_create(client, &wl_drm_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kImpl, self, nullptr);
    wl_drm_send_device(resource, self->server_.options.wl_drm_device.c_str());
    std::vector<uint32_t> sent;
    for (const DmabufFormat& f : self->server_.formats) {
        // wl_drm buffers carry no modifier: only formats offered as LINEAR can be taken.
        if (f.modifier == DRM_FORMAT_MOD_LINEAR &&
            std::find(sent.begin(), sent.end(), f.fourcc) == sent.end()) {
            wl_drm_send_format(resource, f.fourcc);
            sent.push_back(f.fourcc);
        }
    }
    if (version >= WL_DRM_CAPABILITIES_SINCE_VERSION) {
        wl_drm_send_capabilities(resource, WL_DRM_CAPABILITY_PRIME);
    }
}

void WlDrm::handle_authenticate(wl_client* /*client*/, wl_resource* resource, uint32_t magic) {
    // A render node needs no token; a primary node's is authenticated by its DRM master.
    WlDrm* self = wl_drm_from(resource);
    if (drmAuthMagic(self->device_.get(), magic) != 0) {
        wl_resource_post_error(resource, WL_DRM_ERROR_AUTHENTICATE_FAIL,
                               "drmAuthMagic failed: this compositor is not the DRM master of %s",
                               self->server_.options.wl_drm_device.c_str());
        return;
    }
    wl_drm_send_authenticated(resource);
}

void WlDrm::handle_create_buffer(wl_client* /*client*/, wl_resource* resource, uint32_t /*id*/,
                                 uint32_t /*name*/, int32_t /*width*/, int32_t /*height*/,
                                 uint32_t /*stride*/, uint32_t /*format*/) {
    wl_resource_post_error(resource, WL_DRM_ERROR_INVALID_NAME,
                           "GEM flink names are not taken: use create_prime_buffer");
}

void WlDrm::handle_create_planar_buffer(wl_client* client, wl_resource* resource, uint32_t id,
                                        uint32_t name, int32_t width, int32_t height,
                                        uint32_t format, int32_t /*offset0*/, int32_t stride0,
                                        int32_t /*offset1*/, int32_t /*stride1*/,
                                        int32_t /*offset2*/, int32_t /*stride2*/) {
    handle_create_buffer(client, resource, id, name, width, height, static_cast<uint32_t>(stride0),
                         format);
}

void WlDrm::handle_create_prime_buffer(wl_client* client, wl_resource* resource, uint32_t id,
                                       int32_t fd, int32_t width, int32_t height, uint32_t format,
                                       int32_t offset0, int32_t stride0, int32_t offset1,
                                       int32_t stride1, int32_t /*offset2*/, int32_t /*stride2*/) {
    kernel::DmaBuf dma_buf{kernel::UniqueFd(fd)};
    WlDrm* self = wl_drm_from(resource);
    Server& server = self->server_;
    const bool advertised =
        std::any_of(server.formats.begin(), server.formats.end(), [&](const DmabufFormat& f) {
            return f.fourcc == format && f.modifier == DRM_FORMAT_MOD_LINEAR;
        });
    if (!advertised || offset1 != 0 || stride1 != 0) {
        wl_resource_post_error(resource, WL_DRM_ERROR_INVALID_FORMAT,
                               "format 0x%08x (single-plane, LINEAR) was not advertised", format);
        return;
    }
    if (width <= 0 || height <= 0 || offset0 < 0 || stride0 <= 0) {
        wl_resource_post_error(resource, WL_DRM_ERROR_INVALID_NAME,
                               "invalid layout: %dx%d, offset %d, stride %d", width, height,
                               offset0, stride0);
        return;
    }
    const BufferLayout layout{width,
                              height,
                              format,
                              DRM_FORMAT_MOD_LINEAR,
                              static_cast<uint32_t>(offset0),
                              static_cast<uint32_t>(stride0),
                              0};
    auto buffer = Buffer::import(server, std::move(dma_buf), layout);
    if (!buffer) {
        // wl_drm has no `failed` event: an import that fails is the client's error.
        server.stats.update([](Counters& c) { c.buffers_rejected++; });
        wl_resource_post_error(resource, WL_DRM_ERROR_INVALID_NAME, "import failed: %s",
                               buffer.error().describe().c_str());
        return;
    }
    (void)(*buffer)->create_resource(client, id);
}

}  // namespace sb::compositor
