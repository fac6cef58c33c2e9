#include "window_system.hpp"

#include <drm_fourcc.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <wayland-client.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "kernel/drm_node.hpp"
#include "kernel/syncobj.hpp"
#include "util/thread.hpp"
#include "wsi/consumer_errors.hpp"
#include "wsi/wayland/dmabuf_global.hpp"
#include "wsi/wayland/explicit_sync.hpp"
#include "wsi/wayland/private_queue.hpp"
#ifdef SYNCBRIDGE_WSI_X11
#include <xcb/xcb.h>

#include "wsi/x11/x11_surface.hpp"
#endif

namespace sb::info {
namespace {

using wsi::FormatModifier;

// Connecting is not bounded by the layer's helpers (it never connects: the app does):
// libwayland's connect() and xcb's setup read can block on a server that does not answer. Each
// probe runs on a thread of its own, and is given up after this long (its thread left blocked
// until the process exits).
constexpr auto kConnectTimeout = std::chrono::seconds(10);

template <typename Report, typename Probe>
Report bounded(const char* thread_name, Probe probe) {
    struct Shared {
        std::mutex mutex;
        std::condition_variable done_changed;
        bool done = false;
        Report report;
    };
    auto shared = std::make_shared<Shared>();
    std::thread thread;
    if (const int err = util::start_thread(
            thread_name,
            [shared, probe] {
                Report report = probe();
                const std::lock_guard lock(shared->mutex);
                shared->report = std::move(report);
                shared->done = true;
                shared->done_changed.notify_all();
            },
            &thread);
        err != 0) {
        Report report;
        report.error = std::string("cannot start a thread: ") + std::strerror(err);
        return report;
    }
    std::unique_lock lock(shared->mutex);
    if (!shared->done_changed.wait_for(lock, kConnectTimeout, [&] { return shared->done; })) {
        thread.detach();
        Report report;
        report.error = "no answer in " + std::to_string(kConnectTimeout.count()) + " s";
        return report;
    }
    lock.unlock();
    thread.join();
    return shared->report;
}

// The path of the unix socket `fd` is connected to: which compositor or X server answered.
std::string peer_socket(int fd) {
    sockaddr_un address{};
    socklen_t length = sizeof address;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        address.sun_family != AF_UNIX) {
        return "?";
    }
    if (length <= offsetof(sockaddr_un, sun_path)) {
        return "an unnamed socket";  // a socketpair's end, handed over as WAYLAND_SOCKET
    }
    const size_t path_length = length - offsetof(sockaddr_un, sun_path);
    if (address.sun_path[0] == '\0') {  // an abstract socket
        return "@" + std::string(address.sun_path + 1, path_length - 1);
    }
    return {address.sun_path, strnlen(address.sun_path, path_length)};
}

bool has_pair(const std::vector<FormatModifier>& pairs, uint32_t format, uint64_t modifier) {
    return std::any_of(pairs.begin(), pairs.end(), [&](const FormatModifier& pair) {
        return pair.drm_format == format && pair.modifier == modifier;
    });
}

struct DisplayCloser {
    void operator()(wl_display* display) const { wl_display_disconnect(display); }
};

WaylandReport probe_wayland_now() {
    WaylandReport report;
    // Null: libwayland reads WAYLAND_DISPLAY (and WAYLAND_SOCKET) itself.
    const std::unique_ptr<wl_display, DisplayCloser> display(wl_display_connect(nullptr));
    if (!display) {
        report.error = std::string("cannot connect: ") + std::strerror(errno);
        return report;
    }
    report.connected = true;
    report.socket = peer_socket(wl_display_get_fd(display.get()));
    auto queue = wsi::wayland::PrivateQueue::create(display.get());
    if (!queue) {
        report.error = queue.error().describe();
        return report;
    }
    auto global = wsi::wayland::bind_dmabuf(*queue, wsi::kConsumerReplyTimeout);
    if (!global) {
        report.error = "zwp_linux_dmabuf_v1: " + global.error().describe();
        return report;
    }
    report.dmabuf_advertised = global->advertised_version;
    report.dmabuf_bound = global->bound_version;
    report.main_device = global->main_device;
    report.format_count = global->formats.size();
    report.argb8888_linear = has_pair(global->formats, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR);
    report.xrgb8888_linear = has_pair(global->formats, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
    for (const wsi::wayland::FeedbackTranche& tranche : global->tranches) {
        report.tranches.push_back(
            {tranche.target_device,
             (tranche.flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT) != 0,
             tranche.formats.size(),
             has_pair(tranche.formats, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR),
             has_pair(tranche.formats, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR)});
    }
    // The proxies go before the queue they live on.
    global->dmabuf.reset();
    auto syncobj = wsi::wayland::syncobj_manager_version(*queue, wsi::kConsumerReplyTimeout);
    if (!syncobj) {
        report.error = "wp_linux_drm_syncobj_manager_v1: " + syncobj.error().describe();
        return report;
    }
    report.syncobj_manager = *syncobj;
    return report;
}

#ifdef SYNCBRIDGE_WSI_X11
struct ConnectionCloser {
    void operator()(xcb_connection_t* connection) const { xcb_disconnect(connection); }
};

const char* xcb_connection_error(int error) {
    switch (error) {
        case XCB_CONN_ERROR:
            return "the connection failed (no X server there)";
        case XCB_CONN_CLOSED_PARSE_ERR:
            return "DISPLAY is unset or not a display name";
        case XCB_CONN_CLOSED_INVALID_SCREEN:
            return "the display has no such screen";
        case XCB_CONN_CLOSED_EXT_NOTSUPPORTED:
        case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
        case XCB_CONN_CLOSED_REQ_LEN_EXCEED:
        case XCB_CONN_CLOSED_FDPASSING_FAILED:
        default:
            return "the X server closed the connection (refused: no authorization?)";
    }
}

X11Report probe_x11_now() {
    X11Report report;
    report.supported = true;
    int screen_number = 0;
    // Null: xcb reads DISPLAY itself.
    const std::unique_ptr<xcb_connection_t, ConnectionCloser> connection(
        xcb_connect(nullptr, &screen_number));
    if (xcb_connection_has_error(connection.get()) != 0) {
        report.error = std::string("cannot connect: ") +
                       xcb_connection_error(xcb_connection_has_error(connection.get()));
        return report;
    }
    report.connected = true;
    report.socket = peer_socket(xcb_get_file_descriptor(connection.get()));
    auto screens = xcb_setup_roots_iterator(xcb_get_setup(connection.get()));
    for (int i = 0; i < screen_number && screens.rem > 0; ++i) {
        xcb_screen_next(&screens);
    }
    if (screens.rem == 0) {
        report.error = "no screen " + std::to_string(screen_number);
        return report;
    }
    auto support = wsi::x11::query_server_support(connection.get(), screens.data->root);
    if (!support) {
        report.error = support.error().describe();
        return report;
    }
    report.dri3_major = support->dri3_major;
    report.dri3_minor = support->dri3_minor;
    report.present_major = support->present_major;
    report.present_minor = support->present_minor;
    report.dri3_device = support->device;
    report.takes_dma_bufs = support->takes_dma_bufs();
    return report;
}
#endif

std::string allocator_words(const bridge::AllocatorChoice& allocator) {
    return std::string("images allocated by the ") +
           (allocator.layer_allocates ? "layer" : "driver") + " (" + allocator.reason + ")";
}

PathReport driver_wsi(std::string because) {
    return {false, "the driver's own WSI, without syncbridge's fences", std::move(because)};
}

}  // namespace

WaylandReport probe_wayland() {
    return bounded<WaylandReport>("sb-info-wayland", probe_wayland_now);
}

X11Report probe_x11() {
#ifdef SYNCBRIDGE_WSI_X11
    return bounded<X11Report>("sb-info-x11", probe_x11_now);
#else
    X11Report report;
    report.error = "syncbridge was built without X11 support (SYNCBRIDGE_WSI_X11=OFF)";
    return report;
#endif
}

PathReport wayland_path(const WaylandReport& wayland, const bridge::StrategyChoice& strategy,
                        const bridge::AllocatorChoice& allocator) {
    if (strategy.strategy == bridge::Strategy::passthrough) {
        return driver_wsi("the layer does not bridge this GPU: " + strategy.reason);
    }
    if (wayland.dmabuf_bound == 0) {
        return driver_wsi("the compositor offers no zwp_linux_dmabuf_v1 version >= " +
                          std::to_string(wsi::wayland::kLinuxDmabufVersion) + " (it has " +
                          std::to_string(wayland.dmabuf_advertised) + ")");
    }
    PathReport path;
    path.layer_presents = true;
    // The order of WaylandSurface::decide_sync and SyncobjSurface::create.
    std::string sync;
    const auto choice = wsi::wayland::wayland_sync_choice();
    if (choice == wsi::wayland::SyncChoice::implicit_only) {
        sync = "implicit sync (SYNCBRIDGE_WAYLAND_SYNC=implicit)";
    } else if (wayland.syncobj_manager == 0) {
        sync = choice == wsi::wayland::SyncChoice::explicit_required
                   ? "no sync: swapchains fail (SYNCBRIDGE_WAYLAND_SYNC=explicit, but the "
                     "compositor offers no wp_linux_drm_syncobj_manager_v1)"
                   : "implicit sync (the compositor offers no wp_linux_drm_syncobj_manager_v1)";
    } else if (auto device = kernel::open_timeline_device({wayland.main_device})) {
        sync = "explicit sync (wp_linux_drm_syncobj_v1, timelines on " + device->path + ")";
    } else {
        sync = choice == wsi::wayland::SyncChoice::explicit_required
                   ? "no sync: swapchains fail (SYNCBRIDGE_WAYLAND_SYNC=explicit, but no DRM "
                     "device with timeline syncobjs)"
                   : "implicit sync (no DRM device with timeline syncobjs: " +
                         device.error().describe() + ")";
    }
    path.summary = std::string(bridge::to_string(strategy.strategy)) + " strategy, " +
                   wsi::wayland::describe_wayland_path(wayland.dmabuf_bound, wayland.main_device) +
                   ", " + allocator_words(allocator) + ", " + sync;
    path.because = strategy.reason;
    if (!wayland.argb8888_linear && !wayland.xrgb8888_linear) {
        path.because +=
            "; but the compositor takes neither ARGB8888 nor XRGB8888 LINEAR: "
            "swapchains fail";
    }
    return path;
}

PathReport x11_path(const X11Report& x11, const bridge::StrategyChoice& strategy,
                    const bridge::AllocatorChoice& allocator) {
    if (strategy.strategy == bridge::Strategy::passthrough) {
        return driver_wsi("the layer does not bridge this GPU: " + strategy.reason);
    }
    if (!x11.supported) {
        return driver_wsi(x11.error);
    }
    if (x11.dri3_major != 1 || x11.present_major != 1) {
        return driver_wsi("the X server has no DRI3 1.x and Present 1.x");
    }
    if (!x11.takes_dma_bufs) {
        return driver_wsi("DRI3Open gave no device (no GPU behind the X server)");
    }
#ifdef SYNCBRIDGE_WSI_X11
    PathReport path;
    path.layer_presents = true;
    path.summary = std::string(bridge::to_string(strategy.strategy)) + " strategy, " +
                   wsi::x11::describe_x11_path(x11.dri3_minor, x11.dri3_device) + ", " +
                   allocator_words(allocator) + ", implicit sync";
    path.because = strategy.reason;
    return path;
#else
    (void)allocator;
    return driver_wsi(x11.error);
#endif
}

}  // namespace sb::info
