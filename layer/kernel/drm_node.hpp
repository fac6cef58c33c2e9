// The device node paths of one DRM device, found from the dev_t of any of its nodes (a
// compositor names its render node; dumb buffers need the card node).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sb::kernel {

enum class DrmNode : uint8_t { card, render };

// The `kind` node of the DRM device that `node` (a dev_t) belongs to; nullopt when libdrm does
// not know the device or it has no such node.
std::optional<std::string> drm_node_path(dev_t node, DrmNode kind);

}  // namespace sb::kernel
