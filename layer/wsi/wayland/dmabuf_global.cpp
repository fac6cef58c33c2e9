#include "wsi/wayland/dmabuf_global.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "kernel/drm_node.hpp"
#include "wsi/wayland/dmabuf_feedback.hpp"
#include "wsi/wayland/feedback_parser.hpp"
#include "wsi/wayland/registry.hpp"

namespace sb::wsi::wayland {
namespace {

// Version 3 sends `format` for each format as well (for version 1 clients); `modifier` carries
// the same formats with their modifiers, so `format` adds nothing.
void dmabuf_format(void* /*data*/, zwp_linux_dmabuf_v1* /*dmabuf*/, uint32_t /*format*/) {}

void dmabuf_modifier(void* data, zwp_linux_dmabuf_v1* /*dmabuf*/, uint32_t format,
                     uint32_t modifier_hi, uint32_t modifier_lo) {
    auto* formats = static_cast<UniqueFormatList*>(data);
    if (formats == nullptr) {
        return;  // collection is over (see bind_dmabuf)
    }
    formats->add({format, (uint64_t{modifier_hi} << 32) | modifier_lo});
}

constexpr zwp_linux_dmabuf_v1_listener kDmabufListener = {
    .format = dmabuf_format,
    .modifier = dmabuf_modifier,
};

}  // namespace

kernel::Result<DmabufGlobal> bind_dmabuf(PrivateQueue& queue, std::chrono::milliseconds timeout) {
    auto advertised = find_global(queue, zwp_linux_dmabuf_v1_interface, timeout);
    if (!advertised) {
        return advertised.error();
    }

    DmabufGlobal global;
    global.advertised_version = advertised->version;
    if (advertised->version < kLinuxDmabufVersion) {
        return global;  // none, or without modifiers: not usable
    }
    global.bound_version = std::min(advertised->version, kLinuxDmabufFeedbackVersion);
    // The bound proxy inherits the registry's queue.
    global.dmabuf.reset(static_cast<zwp_linux_dmabuf_v1*>(
        wl_registry_bind(advertised->registry.get(), advertised->name,
                         &zwp_linux_dmabuf_v1_interface, global.bound_version)));
    if (!global.dmabuf) {
        return kernel::Error{ENOMEM, "wl_registry_bind(zwp_linux_dmabuf_v1)"};
    }
    if (global.bound_version >= kLinuxDmabufFeedbackVersion) {
        auto feedback = read_default_feedback(global.dmabuf.get(), queue, timeout);
        if (!feedback) {
            return feedback.error();
        }
        // Every tranche's pairs, most preferred first: the swapchain takes the first it can
        // make. Scanout tranches name buffers the main device can read too.
        global.formats = pairs_of(*feedback);
        global.main_device = feedback->main_device;
        global.tranches = std::move(feedback->tranches);
        return global;
    }
    UniqueFormatList formats;
    zwp_linux_dmabuf_v1_add_listener(global.dmabuf.get(), &kDmabufListener, &formats);
    const auto st = queue.roundtrip(timeout);
    // The list is gone when this returns: no later event may write to it.
    zwp_linux_dmabuf_v1_set_user_data(global.dmabuf.get(), nullptr);
    if (!st) {
        return st.error();
    }
    global.formats = std::move(formats).take();
    return global;
}

std::string describe_wayland_path(uint32_t bound_version, dev_t main_device) {
    std::string text = "Wayland linux-dmabuf v" + std::to_string(bound_version);
    if (main_device != 0) {
        text += " (feedback main device " + kernel::drm_node_name(main_device) + ")";
    }
    return text;
}

}  // namespace sb::wsi::wayland
