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

// The path of `node` itself, for messages: its render node's path when it is one, else its card
// node's, else "dev MAJ:MIN" (a device libdrm does not know); "none" for 0.
std::string drm_node_name(dev_t node);

}  // namespace sb::kernel
