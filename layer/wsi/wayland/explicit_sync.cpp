#include "wsi/wayland/explicit_sync.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <string_view>

#include "linux-drm-syncobj-v1-client-protocol.h"
#include "util/log.hpp"
#include "util/switches.hpp"
#include "wsi/wayland/errors.hpp"
#include "wsi/wayland/registry.hpp"

namespace sb::wsi::wayland {
namespace {

// Whether this kernel has DRM_IOCTL_SYNCOBJ_EVENTFD (Linux 6.6+): asked once per surface, of a
// signalled syncobj. SYNCBRIDGE_TEST_NO_SYNCOBJ_EVENTFD=1 answers no, so the polling that older
// kernels get runs on the test VM's 6.12 too.
bool kernel_has_syncobj_eventfd(int drm_fd) {
    if (util::switch_is(util::Switch::test_no_syncobj_eventfd, "1")) {
        SB_LOG_ONCE(warn,
                    "SYNCBRIDGE_TEST_NO_SYNCOBJ_EVENTFD=1: release points are polled, as "
                    "before Linux 6.6 (a test switch)");
        return false;
    }
    auto probe = kernel::DrmSyncobj::create(drm_fd, true);
    const kernel::UniqueFd eventfd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!probe || !eventfd) {
        return false;
    }
    return probe->notify_eventfd(0, eventfd.get(), false).ok();
}

uint32_t high(uint64_t point) {
    return static_cast<uint32_t>(point >> 32);
}
uint32_t low(uint64_t point) {
    return static_cast<uint32_t>(point & 0xFFFF'FFFFu);
}

}  // namespace

void SyncobjDestroyer::operator()(wp_linux_drm_syncobj_manager_v1* manager) const {
    wp_linux_drm_syncobj_manager_v1_destroy(manager);
}
void SyncobjDestroyer::operator()(wp_linux_drm_syncobj_surface_v1* surface) const {
    wp_linux_drm_syncobj_surface_v1_destroy(surface);
}
void SyncobjDestroyer::operator()(wp_linux_drm_syncobj_timeline_v1* timeline) const {
    wp_linux_drm_syncobj_timeline_v1_destroy(timeline);
}

SyncChoice wayland_sync_choice() {
    const char* text = util::switch_value(util::Switch::wayland_sync);
    if (text == nullptr || std::string_view(text) == "auto") {
        return SyncChoice::automatic;
    }
    if (std::string_view(text) == "explicit") {
        return SyncChoice::explicit_required;
    }
    if (std::string_view(text) == "implicit") {
        return SyncChoice::implicit_only;
    }
    SB_LOG_ONCE(warn, "SYNCBRIDGE_WAYLAND_SYNC=%s is not auto, explicit or implicit: using auto",
                text);
    return SyncChoice::automatic;
}

kernel::Result<uint32_t> syncobj_manager_version(PrivateQueue& queue,
                                                 std::chrono::milliseconds timeout) {
    auto advertised = find_global(queue, wp_linux_drm_syncobj_manager_v1_interface, timeout);
    if (!advertised) {
        return advertised.error();
    }
    return advertised->version;
}

kernel::Result<std::shared_ptr<SyncobjSurface>> SyncobjSurface::create(
    wl_display* display, wl_surface* surface, std::initializer_list<dev_t> devices,
    std::string* why) {
    auto queue = PrivateQueue::create(display);
    if (!queue) {
        return queue.error();
    }
    auto advertised =
        find_global(*queue, wp_linux_drm_syncobj_manager_v1_interface, kRoundtripTimeout);
    if (!advertised) {
        return advertised.error();
    }
    if (advertised->version == 0) {
        *why = "the compositor offers no wp_linux_drm_syncobj_manager_v1";
        return std::shared_ptr<SyncobjSurface>();
    }
    auto device = kernel::open_timeline_device(devices);
    if (!device) {
        *why = "no DRM device with timeline syncobjs (" + device.error().describe() + ")";
        return std::shared_ptr<SyncobjSurface>();
    }
    std::shared_ptr<SyncobjSurface> self(
        new (std::nothrow) SyncobjSurface(std::move(*queue), std::move(device).value()));
    if (!self) {
        return kernel::Error{ENOMEM, "SyncobjSurface"};
    }
    // The bound manager inherits the registry's queue: ours.
    self->manager_.reset(static_cast<wp_linux_drm_syncobj_manager_v1*>(
        wl_registry_bind(advertised->registry.get(), advertised->name,
                         &wp_linux_drm_syncobj_manager_v1_interface, 1)));
    // The registry lives on the queue `self` now owns: gone before `self` can be.
    advertised->registry.reset();
    if (!self->manager_) {
        return kernel::Error{ENOMEM, "wl_registry_bind(wp_linux_drm_syncobj_manager_v1)"};
    }
    self->surface_.reset(
        wp_linux_drm_syncobj_manager_v1_get_surface(self->manager_.get(), surface));
    if (!self->surface_) {
        return kernel::Error{ENOMEM, "wp_linux_drm_syncobj_manager_v1.get_surface"};
    }
    self->kernel_notifies_ = kernel_has_syncobj_eventfd(self->drm_fd());
    return self;
}

const char* SyncobjSurface::device_source() const {
    // In the order create() passes them to open_timeline_device.
    switch (device_.preference) {
        case 0:
            return "the compositor's main device";
        case 1:
            return "the app's GPU";
        default:
            return "the first render node with timelines";
    }
}

SyncobjSurface::~SyncobjSurface() {
    // The surface goes back to implicit sync at its next commit (the protocol's rule).
    surface_.reset();
    manager_.reset();
    (void)wl_display_flush(queue_.display());
}

kernel::Result<std::unique_ptr<SyncobjTimelines>> SyncobjTimelines::create(
    std::shared_ptr<SyncobjSurface> surface, uint32_t image_count) {
    const int drm_fd = surface->drm_fd();
    std::unique_ptr<SyncobjTimelines> self(new (std::nothrow) SyncobjTimelines(std::move(surface)));
    if (!self) {
        return kernel::Error{ENOMEM, "SyncobjTimelines"};
    }
    for (kernel::DrmSyncobj* scratch : {&self->present_scratch_, &self->release_scratch_}) {
        auto made = kernel::DrmSyncobj::create(drm_fd, false);
        if (!made) {
            return made.error();
        }
        *scratch = std::move(made).value();
    }
    self->images_.resize(image_count);
    for (ImageTimelines& image : self->images_) {
        if (auto st = self->add_timeline(&image.acquire); !st) {
            return st.error();
        }
        if (auto st = self->add_timeline(&image.release); !st) {
            return st.error();
        }
    }
    return self;
}

kernel::Status SyncobjTimelines::add_timeline(Timeline* timeline) {
    auto syncobj = kernel::DrmSyncobj::create(surface_->drm_fd(), false);
    if (!syncobj) {
        return syncobj.error();
    }
    auto fd = syncobj->export_fd();
    if (!fd) {
        return fd.error();
    }
    // The fd is the compositor's once sent; libwayland dups it for the message.
    timeline->proxy.reset(
        wp_linux_drm_syncobj_manager_v1_import_timeline(surface_->manager(), fd->get()));
    if (!timeline->proxy) {
        return kernel::Error{ENOMEM, "wp_linux_drm_syncobj_manager_v1.import_timeline"};
    }
    timeline->syncobj = std::move(syncobj).value();
    return {};
}

SyncobjTimelines::~SyncobjTimelines() {
    // Proxies first (the compositor may still read from the timelines until it sees the
    // destroys; the syncobjs themselves live on in its handles), then our handles.
    for (ImageTimelines& image : images_) {
        image.acquire.proxy.reset();
        image.release.proxy.reset();
    }
}

kernel::Result<uint64_t> SyncobjTimelines::set_points(uint32_t image,
                                                      const kernel::SyncFile* render_done) {
    ImageTimelines& timelines = images_[image];
    const uint64_t acquire = timelines.acquire.last_point + 1;
    const uint64_t release = timelines.release.last_point + 1;
    // The acquire point has its fence before the commit can reach the compositor.
    const kernel::Status st = render_done == nullptr || render_done->is_stub()
                                  ? timelines.acquire.syncobj.signal_point(acquire)
                                  : timelines.acquire.syncobj.import_sync_file_at(
                                        acquire, *render_done, present_scratch_);
    if (!st) {
        return st.error();
    }
    timelines.acquire.last_point = acquire;
    timelines.release.last_point = release;
    wp_linux_drm_syncobj_surface_v1* surface = surface_->surface();
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface, timelines.acquire.proxy.get(),
                                                      high(acquire), low(acquire));
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface, timelines.release.proxy.get(),
                                                      high(release), low(release));
    return release;
}

kernel::Result<bool> SyncobjTimelines::has_fence(uint32_t image, uint64_t point) const {
    return images_[image].release.syncobj.point_ready(point, false);
}

kernel::Result<bool> SyncobjTimelines::has_signalled(uint32_t image, uint64_t point) const {
    return images_[image].release.syncobj.point_ready(point, true);
}

kernel::Result<kernel::SyncFile> SyncobjTimelines::fence(uint32_t image, uint64_t point) const {
    const std::lock_guard lock(release_mutex_);
    return images_[image].release.syncobj.export_sync_file_at(point, release_scratch_);
}

bool SyncobjTimelines::notify(uint32_t image, uint64_t point, int eventfd) const {
    return surface_->kernel_notifies() &&
           images_[image].release.syncobj.notify_eventfd(point, eventfd, false).ok();
}

}  // namespace sb::wsi::wayland
