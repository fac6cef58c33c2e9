#include "kernel/drm_node.hpp"

#include <xf86drm.h>

namespace sb::kernel {

std::optional<std::string> drm_node_path(dev_t node, DrmNode kind) {
    drmDevicePtr device = nullptr;
    if (drmGetDeviceFromDevId(node, 0, &device) != 0) {
        return std::nullopt;
    }
    const int type = kind == DrmNode::card ? DRM_NODE_PRIMARY : DRM_NODE_RENDER;
    std::optional<std::string> path;
    if ((device->available_nodes & (1 << type)) != 0) {
        path = device->nodes[type];
    }
    drmFreeDevice(&device);
    return path;
}

}  // namespace sb::kernel
