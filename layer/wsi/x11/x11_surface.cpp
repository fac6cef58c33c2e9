#include "wsi/x11/x11_surface.hpp"

#include <drm_fourcc.h>
#include <sys/stat.h>
#include <xcb/dri3.h>
#include <xcb/present.h>

#include <span>

#include "kernel/drm_node.hpp"
#include "kernel/unique_fd.hpp"
#include "util/log.hpp"
#include "wsi/consumer_errors.hpp"
#include "wsi/formats.hpp"
#include "wsi/x11/x11_presenter.hpp"
#include "wsi/x11/xcb_util.hpp"

namespace sb::wsi::x11 {
namespace {

// Every reply below is read only after sync_with_server() has seen the server answer (bounded):
// a hung server costs a query kConsumerReplyTimeout, never the app's thread forever.

struct ServerInfo {
    Reply<xcb_get_geometry_reply_t> geometry;
    Reply<xcb_generic_error_t> geometry_error;
    uint32_t dri3_major = 0;
    uint32_t dri3_minor = 0;
    uint32_t present_major = 0;
    uint32_t present_minor = 0;
    bool dma_bufs = false;  // DRI3 1.x and Present 1.x
};

// What to ask: the window's geometry alone (the current extent: one round-trip), or with the
// server's DRI3 and Present versions.
enum class Ask { geometry, geometry_and_versions };

kernel::Result<ServerInfo> query_server(xcb_connection_t* connection, xcb_window_t window,
                                        Ask ask) {
    ServerInfo info;
    // xcb_get_extension_data() waits for QueryExtension unless the answer is already in: ask
    // without waiting, and read it once the server has answered.
    xcb_prefetch_extension_data(connection, &xcb_dri3_id);
    xcb_prefetch_extension_data(connection, &xcb_present_id);
    const auto geometry_cookie = xcb_get_geometry(connection, window);
    if (auto synced = sync_with_server(connection, kConsumerReplyTimeout); !synced) {
        xcb_discard_reply(connection, geometry_cookie.sequence);
        return synced.error();
    }
    xcb_generic_error_t* error = nullptr;
    info.geometry.reset(xcb_get_geometry_reply(connection, geometry_cookie, &error));
    info.geometry_error.reset(error);
    if (ask == Ask::geometry || !info.geometry || !server_takes_dma_bufs(connection)) {
        return info;
    }
    const auto dri3_cookie = xcb_dri3_query_version(connection, 1, 2);
    const auto present_cookie = xcb_present_query_version(connection, 1, 2);
    if (auto synced = sync_with_server(connection, kConsumerReplyTimeout); !synced) {
        xcb_discard_reply(connection, dri3_cookie.sequence);
        xcb_discard_reply(connection, present_cookie.sequence);
        return synced.error();
    }
    Reply<xcb_dri3_query_version_reply_t> dri3(
        xcb_dri3_query_version_reply(connection, dri3_cookie, nullptr));
    Reply<xcb_present_query_version_reply_t> present(
        xcb_present_query_version_reply(connection, present_cookie, nullptr));
    info.dma_bufs = dri3 && present && dri3->major_version == 1 && present->major_version == 1;
    info.dri3_major = dri3 ? dri3->major_version : 0;
    info.dri3_minor = dri3 ? dri3->minor_version : 0;
    info.present_major = present ? present->major_version : 0;
    info.present_minor = present ? present->minor_version : 0;
    return info;
}

struct DeviceInfo {
    dev_t device = 0;                 // the node DRI3Open names, 0: none
    std::vector<uint64_t> modifiers;  // DRI3 1.2's for the window (window-specific first)
};

// Whether the lists a GetSupportedModifiers reply counts fit in the reply: libxcb's accessors
// trust the server's counts, so counts past the reply's length would be reads past its end.
bool modifier_lists_fit(const xcb_dri3_get_supported_modifiers_reply_t& reply) {
    const uint64_t listed = uint64_t{reply.num_window_modifiers} + reply.num_screen_modifiers;
    return listed * sizeof(uint64_t) <= uint64_t{reply.length} * 4;  // length: 4-byte units
}

// The device the server reads dma-bufs with (DRI3Open's fd, of which only the dev_t is kept)
// and, with DRI3 1.2, the modifiers it takes for this window at `depth`.
kernel::Result<DeviceInfo> query_device(xcb_connection_t* connection, xcb_window_t window,
                                        uint8_t depth, bool with_modifiers) {
    const auto open_cookie = xcb_dri3_open(connection, window, 0);
    xcb_dri3_get_supported_modifiers_cookie_t modifiers_cookie{};
    if (with_modifiers) {
        modifiers_cookie = xcb_dri3_get_supported_modifiers(connection, window, depth, 32);
    }
    if (auto synced = sync_with_server(connection, kConsumerReplyTimeout); !synced) {
        xcb_discard_reply(connection, open_cookie.sequence);
        if (with_modifiers) {
            xcb_discard_reply(connection, modifiers_cookie.sequence);
        }
        return synced.error();
    }
    DeviceInfo info;
    Reply<xcb_dri3_open_reply_t> opened(xcb_dri3_open_reply(connection, open_cookie, nullptr));
    if (opened && opened->nfd == 1) {
        const kernel::UniqueFd fd(xcb_dri3_open_reply_fds(connection, opened.get())[0]);
        struct stat st {};
        if (::fstat(fd.get(), &st) == 0 && S_ISCHR(st.st_mode)) {
            info.device = st.st_rdev;
        }
    }
    if (!with_modifiers) {
        return info;
    }
    Reply<xcb_dri3_get_supported_modifiers_reply_t> listed(
        xcb_dri3_get_supported_modifiers_reply(connection, modifiers_cookie, nullptr));
    if (listed && !modifier_lists_fit(*listed)) {
        SB_LOG_ONCE(warn,
                    "x11: the X server's DRI3 GetSupportedModifiers reply counts %u + %u "
                    "modifiers in %u bytes: ignored",
                    listed->num_window_modifiers, listed->num_screen_modifiers, listed->length * 4);
    } else if (listed) {
        const std::span<const uint64_t> window(
            xcb_dri3_get_supported_modifiers_window_modifiers(listed.get()),
            listed->num_window_modifiers);
        const std::span<const uint64_t> screen(
            xcb_dri3_get_supported_modifiers_screen_modifiers(listed.get()),
            listed->num_screen_modifiers);
        info.modifiers = unique_modifiers({window, screen});
    }
    return info;
}

}  // namespace

bool server_takes_dma_bufs(xcb_connection_t* connection) {
    const xcb_query_extension_reply_t* dri3 = xcb_get_extension_data(connection, &xcb_dri3_id);
    const xcb_query_extension_reply_t* present =
        xcb_get_extension_data(connection, &xcb_present_id);
    return dri3 != nullptr && dri3->present != 0 && present != nullptr && present->present != 0;
}

kernel::Result<ServerSupport> query_server_support(xcb_connection_t* connection,
                                                   xcb_window_t window) {
    auto server = query_server(connection, window, Ask::geometry_and_versions);
    if (!server) {
        return server.error();
    }
    ServerSupport support;
    support.dri3_major = server->dri3_major;
    support.dri3_minor = server->dri3_minor;
    support.present_major = server->present_major;
    support.present_minor = server->present_minor;
    if (!server->dma_bufs) {
        return support;
    }
    auto device = query_device(connection, window, 0, false);
    if (!device) {
        return device.error();
    }
    support.device = device->device;
    return support;
}

std::string describe_x11_path(uint32_t dri3_minor, dev_t device) {
    return std::string("X11 DRI3 ") +
           (dri3_minor >= 2 ? "1.2 PixmapFromBuffers with modifiers" : "PixmapFromBuffer") +
           " + Present (DRI3 device " + kernel::drm_node_name(device) + ")";
}

std::string X11Surface::consumer_path() const {
    return describe_x11_path(explicit_modifiers_.load() ? 2 : 0, server_device_.load());
}

VkResult X11Surface::query_formats(std::vector<FormatModifier>* formats) {
    formats->clear();
    auto server = query_server(connection_, window_, Ask::geometry_and_versions);
    if (!server) {
        SB_LOG(error, "x11: querying the X server: %s", server.error().describe().c_str());
        return vk_result_for_consumer_error(server.error());
    }
    if (!server->geometry) {
        return result_for_x_error(connection_, server->geometry_error.get(),
                                  "the window's geometry");
    }
    if (!server->dma_bufs) {
        SB_LOG_ONCE(warn,
                    "x11: the X server has no DRI3 1.x and Present 1.x: the driver presents on "
                    "its own, without syncbridge's fences");
        return VK_SUCCESS;
    }
    const uint8_t depth = server->geometry->depth;
    if (depth != 24 && depth != 32) {
        SB_LOG_ONCE(warn, "x11: a window of depth %u: the driver presents to it on its own", depth);
        return VK_SUCCESS;
    }
    const bool with_modifiers = server->dri3_minor >= 2;
    auto device = query_device(connection_, window_, depth, with_modifiers);
    if (!device) {
        SB_LOG(error, "x11: querying the X server's device: %s", device.error().describe().c_str());
        return vk_result_for_consumer_error(device.error());
    }
    if (device->device == 0) {
        SB_LOG_ONCE(warn,
                    "x11: DRI3Open gave no device (no GPU behind the X server): the driver "
                    "presents on its own");
        return VK_SUCCESS;
    }
    server_device_ = device->device;
    explicit_modifiers_ = with_modifiers;
    const uint32_t fourcc = depth == 32 ? DRM_FORMAT_ARGB8888 : DRM_FORMAT_XRGB8888;
    for (uint64_t modifier : device->modifiers) {
        formats->push_back({fourcc, modifier});
    }
    // Every DRI3 server has PixmapFromBuffer, which takes no modifier: the server assumes the
    // implicit one, which for the layer's LINEAR buffers on its own device means linear.
    formats->push_back({fourcc, DRM_FORMAT_MOD_INVALID});
    return VK_SUCCESS;
}

bool X11Surface::current_extent(VkExtent2D* extent) {
    auto server = query_server(connection_, window_, Ask::geometry);
    if (!server || !server->geometry) {
        // The window or the server is gone (or silent): the swapchain's creation will say so.
        return false;
    }
    *extent = {server->geometry->width, server->geometry->height};
    return true;
}

VkResult X11Surface::create_presenter(const std::vector<BufferDescription>& buffers,
                                      const AppDevice& /*device*/, ConsumerEvents* events,
                                      std::unique_ptr<Presenter>* presenter) {
    return X11Presenter::create(connection_, window_, explicit_modifiers_.load(), buffers, events,
                                presenter);
}

}  // namespace sb::wsi::x11
