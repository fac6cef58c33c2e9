#include "compositor/linux_dmabuf.hpp"

#include <wayland-server-protocol.h>
#include <algorithm>
#include <memory>

#include "compositor/buffer.hpp"
#include "compositor/server.hpp"
#include "kernel/unique_fd.hpp"
#include "linux-dmabuf-unstable-v1-server-protocol.h"

namespace sb::compositor {
namespace {

// One zwp_linux_buffer_params_v1: the single plane the client added, until create.
struct Params {
    Server& server;
    kernel::UniqueFd fd;  // the plane's dma-buf, ours from the moment the request arrives
    uint32_t offset = 0;
    uint32_t stride = 0;
    uint64_t modifier = 0;
    bool used = false;
};

Params* params_from(wl_resource* resource) {
    return static_cast<Params*>(wl_resource_get_user_data(resource));
}

void params_destroy_resource(wl_resource* resource) {
    delete params_from(resource);
}

void params_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

void params_handle_add(wl_client* /*client*/, wl_resource* resource, int32_t fd, uint32_t plane_idx,
                       uint32_t offset, uint32_t stride, uint32_t modifier_hi,
                       uint32_t modifier_lo) {
    kernel::UniqueFd owned(fd);
    Params* params = params_from(resource);
    if (params->used) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                               "the params object was already used");
        return;
    }
    if (plane_idx != 0) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
                               "plane %u: this compositor takes single-plane formats only",
                               plane_idx);
        return;
    }
    if (params->fd) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
                               "plane 0 was already set");
        return;
    }
    params->fd = std::move(owned);
    params->offset = offset;
    params->stride = stride;
    params->modifier = (static_cast<uint64_t>(modifier_hi) << 32) | modifier_lo;
}

// Creates the buffer, or reports why not: a fatal protocol error for a client's argument
// error, `failed` (create) or invalid_wl_buffer (create_immed) for an import that failed.
void params_create_common(wl_client* client, wl_resource* resource, uint32_t buffer_id,
                          int32_t width, int32_t height, uint32_t format, uint32_t flags) {
    Params* params = params_from(resource);
    Server& server = params->server;
    const bool immediate = buffer_id != 0;
    if (params->used) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                               "the params object was already used");
        return;
    }
    params->used = true;
    if (!params->fd) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
                               "plane 0 is missing");
        return;
    }
    if (width <= 0 || height <= 0) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
                               "invalid size %dx%d", width, height);
        return;
    }
    const bool advertised =
        std::any_of(server.formats.begin(), server.formats.end(), [&](const DmabufFormat& f) {
            return f.fourcc == format && f.modifier == params->modifier;
        });
    if (!advertised) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                               "format 0x%08x modifier 0x%016llx was not advertised", format,
                               static_cast<unsigned long long>(params->modifier));
        return;
    }

    auto fail = [&](const char* why) {
        server.stats.update([](Counters& c) { c.buffers_rejected++; });
        if (immediate) {
            wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
                                   "import failed: %s", why);
        } else {
            zwp_linux_buffer_params_v1_send_failed(resource);
        }
    };
    // Misbehaviour: a format that was advertised, and is refused anyway.
    if (server.options.reject_format != 0 && format == server.options.reject_format) {
        fail("this format is advertised but refused (reject_format)");
        return;
    }
    const BufferLayout layout{width,          height,         format, params->modifier,
                              params->offset, params->stride, flags};
    // The bounds are a client error, checked against the dma-buf's real size.
    kernel::DmaBuf dma_buf(std::move(params->fd));
    if (auto size = dma_buf.size();
        size && !rect_fits({layout.offset, layout.stride, width, height}, *size)) {
        wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
                               "offset %u + stride %u x height %d exceed the dma-buf's %zu bytes",
                               layout.offset, layout.stride, height, *size);
        return;
    }
    auto buffer = Buffer::import(server, std::move(dma_buf), layout);
    if (!buffer) {
        fail(buffer.error().op);
        return;
    }
    wl_resource* buffer_resource = (*buffer)->create_resource(client, buffer_id);
    if (buffer_resource != nullptr && !immediate) {
        zwp_linux_buffer_params_v1_send_created(resource, buffer_resource);
    }
}

void params_handle_create(wl_client* client, wl_resource* resource, int32_t width, int32_t height,
                          uint32_t format, uint32_t flags) {
    params_create_common(client, resource, 0, width, height, format, flags);
}

void params_handle_create_immed(wl_client* client, wl_resource* resource, uint32_t buffer_id,
                                int32_t width, int32_t height, uint32_t format, uint32_t flags) {
    params_create_common(client, resource, buffer_id, width, height, format, flags);
}

const struct zwp_linux_buffer_params_v1_interface kParamsImpl = {
    .destroy = params_handle_destroy,
    .add = params_handle_add,
    .create = params_handle_create,
    .create_immed = params_handle_create_immed,
};

Server& server_from(wl_resource* resource) {
    return *static_cast<Server*>(wl_resource_get_user_data(resource));
}

void dmabuf_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

void dmabuf_handle_create_params(wl_client* client, wl_resource* resource, uint32_t id) {
    wl_resource* params_resource = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
                                                      wl_resource_get_version(resource), id);
    if (params_resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    auto* params = new Params{server_from(resource)};
    wl_resource_set_implementation(params_resource, &kParamsImpl, params, params_destroy_resource);
}

// v4 requests: unreachable, since the global is version 3 and libwayland refuses requests
// newer than the bound version.
void dmabuf_handle_get_feedback(wl_client* client, wl_resource* /*resource*/, uint32_t /*id*/) {
    wl_client_post_implementation_error(client, "dmabuf feedback (v4) is not implemented");
}
void dmabuf_handle_get_surface_feedback(wl_client* client, wl_resource* resource, uint32_t id,
                                        wl_resource* /*surface*/) {
    dmabuf_handle_get_feedback(client, resource, id);
}

const struct zwp_linux_dmabuf_v1_interface kDmabufImpl = {
    .destroy = dmabuf_handle_destroy,
    .create_params = dmabuf_handle_create_params,
    .get_default_feedback = dmabuf_handle_get_feedback,
    .get_surface_feedback = dmabuf_handle_get_surface_feedback,
};

void dmabuf_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    Server& server = *static_cast<Server*>(data);
    wl_resource* resource =
        wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kDmabufImpl, &server, nullptr);
    for (const DmabufFormat& f : server.formats) {
        // `format` is deprecated from v4 on and still allowed in v3; v3 clients (Mesa's WSI)
        // take the format/modifier pairs from `modifier` and ignore it.
        zwp_linux_dmabuf_v1_send_format(resource, f.fourcc);
        if (version >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION) {
            zwp_linux_dmabuf_v1_send_modifier(resource, f.fourcc,
                                              static_cast<uint32_t>(f.modifier >> 32),
                                              static_cast<uint32_t>(f.modifier & 0xFFFF'FFFFu));
        }
    }
}

}  // namespace

wl_global* linux_dmabuf_create(Server& server) {
    return wl_global_create(server.display, &zwp_linux_dmabuf_v1_interface, kLinuxDmabufVersion,
                            &server, dmabuf_bind);
}

}  // namespace sb::compositor
