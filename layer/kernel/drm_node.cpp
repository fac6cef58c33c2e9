#include "kernel/drm_node.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
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

std::string drm_node_name(dev_t node) {
    if (node == 0) {
        return "none";
    }
    for (DrmNode kind : {DrmNode::render, DrmNode::card}) {
        if (auto path = drm_node_path(node, kind)) {
            struct stat st {};
            if (::stat(path->c_str(), &st) == 0 && st.st_rdev == node) {
                return *path;
            }
        }
    }
    return "dev " + std::to_string(major(node)) + ":" + std::to_string(minor(node));
}

}  // namespace sb::kernel
