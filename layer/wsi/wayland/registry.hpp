// Finding one of the compositor's globals with a registry of the layer's own, on a private queue,
// so that its global events never reach the app's listeners.
#pragma once

#include <wayland-client.h>

#include <chrono>
#include <cstdint>

#include "kernel/result.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/wayland/proxy.hpp"

namespace sb::wsi::wayland {

struct FoundGlobal {
    RegistryPtr registry;  // bind with it (the bound proxy inherits its queue); then drop it
    uint32_t name = 0;
    uint32_t version = 0;  // the highest advertised; 0: not advertised
};

// One roundtrip, bounded by `timeout`. A compositor without the global is no error.
kernel::Result<FoundGlobal> find_global(PrivateQueue& queue, const wl_interface& interface,
                                        std::chrono::milliseconds timeout);

}  // namespace sb::wsi::wayland
