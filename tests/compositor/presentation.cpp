#include "compositor/presentation.hpp"

#include <wayland-server-protocol.h>
#include <ctime>

#include "compositor/resource_list.hpp"
#include "compositor/server.hpp"
#include "compositor/surface.hpp"
#include "presentation-time-server-protocol.h"

namespace sb::compositor {
namespace {

void presentation_handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

void presentation_handle_feedback(wl_client* client, wl_resource* /*resource*/,
                                  wl_resource* surface, uint32_t callback) {
    wl_resource* feedback =
        wl_resource_create(client, &wp_presentation_feedback_interface, 1, callback);
    if (feedback == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    ResourceList::prepare(feedback);
    Surface::from_resource(surface)->add_pending_feedback(feedback);
}

const struct wp_presentation_interface kPresentationImpl = {
    .destroy = presentation_handle_destroy,
    .feedback = presentation_handle_feedback,
};

void presentation_bind(wl_client* client, void* data, uint32_t version, uint32_t id) {
    wl_resource* resource =
        wl_resource_create(client, &wp_presentation_interface, static_cast<int>(version), id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return;
    }
    wl_resource_set_implementation(resource, &kPresentationImpl, data, nullptr);
    wp_presentation_send_clock_id(resource, CLOCK_MONOTONIC);
}

}  // namespace

wl_global* presentation_create(Server& server) {
    return wl_global_create(server.display, &wp_presentation_interface, 1, &server,
                            presentation_bind);
}

}  // namespace sb::compositor
