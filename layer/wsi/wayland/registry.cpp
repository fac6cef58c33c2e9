#include "wsi/wayland/registry.hpp"

#include <cerrno>
#include <cstring>

namespace sb::wsi::wayland {
namespace {

struct Search {
    const char* interface = nullptr;
    uint32_t name = 0;
    uint32_t version = 0;
};

void registry_global(void* data, wl_registry* /*registry*/, uint32_t name, const char* interface,
                     uint32_t version) {
    auto* search = static_cast<Search*>(data);
    if (search == nullptr) {
        return;  // the search is over (see find_global)
    }
    if (std::strcmp(interface, search->interface) == 0 && version > search->version) {
        search->name = name;
        search->version = version;
    }
}

void registry_global_remove(void* /*data*/, wl_registry* /*registry*/, uint32_t /*name*/) {}

constexpr wl_registry_listener kRegistryListener = {
    .global = registry_global,
    .global_remove = registry_global_remove,
};

}  // namespace

kernel::Result<FoundGlobal> find_global(PrivateQueue& queue, const wl_interface& interface,
                                        std::chrono::milliseconds timeout) {
    FoundGlobal found;
    found.registry.reset(wl_display_get_registry(queue.display_wrapper()));
    if (!found.registry) {
        return kernel::Error{ENOMEM, "wl_display_get_registry"};
    }
    Search search{interface.name, 0, 0};
    wl_registry_add_listener(found.registry.get(), &kRegistryListener, &search);
    const auto st = queue.roundtrip(timeout);
    // `search` goes with this frame: no later global event may write to it.
    wl_registry_set_user_data(found.registry.get(), nullptr);
    if (!st) {
        return st.error();
    }
    found.name = search.name;
    found.version = search.version;
    return found;
}

}  // namespace sb::wsi::wayland
