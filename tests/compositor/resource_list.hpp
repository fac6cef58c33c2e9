// Resources that wait for one event and then die (wl_callback, wp_presentation_feedback),
// kept in a wl_list through each resource's own link. A resource unlinks itself when it is
// destroyed for any reason (sent and done, or its client went away), so the list never holds a
// dangling entry. Prepare each new resource with ResourceList::prepare before adding it.
#pragma once

#include <wayland-server-core.h>

namespace sb::compositor {

class ResourceList {
  public:
    ResourceList() { wl_list_init(&head_); }
    // Destroys what is left without sending anything (the owner sends first where it must).
    ~ResourceList() { destroy_all(); }
    ResourceList(const ResourceList&) = delete;
    ResourceList& operator=(const ResourceList&) = delete;

    // A freshly created resource: no requests, an empty link (wl_resource_create leaves the
    // link uninitialised), and a destructor that unlinks it.
    static void prepare(wl_resource* resource) {
        wl_list_init(wl_resource_get_link(resource));
        wl_resource_set_implementation(resource, nullptr, nullptr, &unlink_on_destroy);
    }

    // `resource` was prepared; it leaves whatever list it was in.
    void add(wl_resource* resource) {
        wl_list* link = wl_resource_get_link(resource);
        wl_list_remove(link);
        wl_list_insert(head_.prev, link);
    }

    // Moves every resource of `other` to the end of this list.
    void take_all(ResourceList& other) {
        wl_list_insert_list(head_.prev, &other.head_);
        wl_list_init(&other.head_);
    }

    [[nodiscard]] bool empty() const { return wl_list_empty(&head_) != 0; }

    // Calls `send(resource)` for each resource, then destroys it.
    template <typename Send>
    void finish_all(Send&& send) {
        while (!empty()) {
            wl_resource* resource = wl_resource_from_link(head_.next);
            send(resource);
            wl_resource_destroy(resource);  // unlinks it
        }
    }

    void destroy_all() {
        finish_all([](wl_resource*) {});
    }

  private:
    static void unlink_on_destroy(wl_resource* resource) {
        wl_list* link = wl_resource_get_link(resource);
        wl_list_remove(link);
        wl_list_init(link);
    }

    wl_list head_;
};

}  // namespace sb::compositor
