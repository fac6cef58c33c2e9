#include "compositor/output.hpp"

#include <wayland-server-protocol.h>

#include "compositor/server.hpp"

namespace sb::compositor {
namespace {

constexpr uint32_t kOutputVersion = 2;

void output_release(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

const struct wl_output_interface kOutputImpl = {
    .release = output_release,
};

void output_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    const Server& server = *static_cast<Server*>(data);
    wl_resource* resource =
        wl_resource_create(client, &wl_output_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kOutputImpl, data, nullptr);
    const int32_t width = server.options.width > 0 ? server.options.width : 1024;
    const int32_t height = server.options.height > 0 ? server.options.height : 768;
    wl_output_send_geometry(resource, 0, 0, 0, 0, WL_OUTPUT_SUBPIXEL_UNKNOWN, "syncbridge",
                            "test compositor", WL_OUTPUT_TRANSFORM_NORMAL);
    wl_output_send_mode(resource, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED, width, height,
                        static_cast<int32_t>(1'000'000 / server.options.refresh_ms));
    if (version >= WL_OUTPUT_SCALE_SINCE_VERSION) {
        wl_output_send_scale(resource, 1);
    }
    if (version >= WL_OUTPUT_DONE_SINCE_VERSION) {
        wl_output_send_done(resource);
    }
}

}  // namespace

wl_global* output_create(Server& server) {
    return wl_global_create(server.display, &wl_output_interface, kOutputVersion, &server,
                            output_bind);
}

}  // namespace sb::compositor
