#include "kernel/syncobj.hpp"

#include <xf86drm.h>

#include <fcntl.h>

#include <cerrno>
#include <optional>
#include <string>

#include <utility>

#include "kernel/drm_node.hpp"

namespace sb::kernel {

SyncobjCaps query_syncobj_caps(int drm_fd) {
    SyncobjCaps caps;
    uint64_t value = 0;
    caps.syncobj = drmGetCap(drm_fd, DRM_CAP_SYNCOBJ, &value) == 0 && value != 0;
    value = 0;
    caps.timeline = drmGetCap(drm_fd, DRM_CAP_SYNCOBJ_TIMELINE, &value) == 0 && value != 0;
    return caps;
}

namespace {

std::optional<TimelineDevice> open_if_timeline(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd || !query_syncobj_caps(fd.get()).timeline) {
        return std::nullopt;
    }
    return TimelineDevice{std::move(fd), path, -1};
}

}  // namespace

Result<TimelineDevice> open_timeline_device(std::initializer_list<dev_t> preferred) {
    int index = 0;
    for (const dev_t node : preferred) {
        const int preference = index++;
        if (node == 0) {
            continue;
        }
        if (auto path = drm_node_path(node, DrmNode::render)) {
            if (auto device = open_if_timeline(*path)) {
                device->preference = preference;
                return std::move(*device);
            }
        }
    }
    // Render nodes are numbered from 128, one per device (64 at most).
    for (int minor = 128; minor < 192; ++minor) {
        if (auto device = open_if_timeline("/dev/dri/renderD" + std::to_string(minor))) {
            return std::move(*device);
        }
    }
    return Error{ENODEV, "a DRM render node with timeline syncobjs"};
}

Result<DrmSyncobj> DrmSyncobj::create(int drm_fd, bool signalled) {
    uint32_t handle = 0;
    const uint32_t flags = signalled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0;
    if (drmSyncobjCreate(drm_fd, flags, &handle) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_CREATE");
    }
    return DrmSyncobj(drm_fd, handle);
}

Result<DrmSyncobj> DrmSyncobj::import_fd(int drm_fd, int syncobj_fd) {
    uint32_t handle = 0;
    if (drmSyncobjFDToHandle(drm_fd, syncobj_fd, &handle) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE");
    }
    return DrmSyncobj(drm_fd, handle);
}

DrmSyncobj::DrmSyncobj(DrmSyncobj&& other) noexcept
    : drm_fd_(std::exchange(other.drm_fd_, -1)), handle_(std::exchange(other.handle_, 0)) {}

DrmSyncobj& DrmSyncobj::operator=(DrmSyncobj&& other) noexcept {
    if (this != &other) {
        destroy();
        drm_fd_ = std::exchange(other.drm_fd_, -1);
        handle_ = std::exchange(other.handle_, 0);
    }
    return *this;
}

void DrmSyncobj::destroy() {
    if (handle_ != 0) {
        (void)drmSyncobjDestroy(drm_fd_, handle_);
        handle_ = 0;
    }
}

Result<UniqueFd> DrmSyncobj::export_fd() const {
    int fd = -1;
    // The kernel opens syncobj fds with O_CLOEXEC.
    if (drmSyncobjHandleToFD(drm_fd_, handle_, &fd) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD");
    }
    return UniqueFd(fd);
}

Status DrmSyncobj::import_sync_file(const SyncFile& fence) {
    if (fence.is_stub()) {
        // A signalled payload: the kernel has no "import nothing", so signal the syncobj.
        if (drmSyncobjSignal(drm_fd_, &handle_, 1) != 0) {
            return last_error("DRM_IOCTL_SYNCOBJ_SIGNAL");
        }
        return {};
    }
    if (drmSyncobjImportSyncFile(drm_fd_, handle_, fence.fd()) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE(IMPORT_SYNC_FILE)");
    }
    return {};
}

Result<SyncFile> DrmSyncobj::export_sync_file() const {
    int fd = -1;
    if (drmSyncobjExportSyncFile(drm_fd_, handle_, &fd) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD(EXPORT_SYNC_FILE)");
    }
    return SyncFile(UniqueFd(fd));
}

Status DrmSyncobj::transfer_from(uint64_t dst_point, const DrmSyncobj& src, uint64_t src_point) {
    if (drmSyncobjTransfer(drm_fd_, handle_, dst_point, src.handle_, src_point, 0) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_TRANSFER");
    }
    return {};
}

Status DrmSyncobj::import_sync_file_at(uint64_t point, const SyncFile& fence) {
    auto scratch = create(drm_fd_, false);
    if (!scratch) {
        return scratch.error();
    }
    return import_sync_file_at(point, fence, *scratch);
}

Status DrmSyncobj::import_sync_file_at(uint64_t point, const SyncFile& fence, DrmSyncobj& scratch) {
    if (auto st = scratch.import_sync_file(fence); !st) {
        return st;
    }
    return transfer_from(point, scratch, 0);
}

Result<SyncFile> DrmSyncobj::export_sync_file_at(uint64_t point) const {
    auto scratch = create(drm_fd_, false);
    if (!scratch) {
        return scratch.error();
    }
    return export_sync_file_at(point, *scratch);
}

Result<SyncFile> DrmSyncobj::export_sync_file_at(uint64_t point, DrmSyncobj& scratch) const {
    if (auto st = scratch.transfer_from(0, *this, point); !st) {
        return st.error();
    }
    return scratch.export_sync_file();
}

Status DrmSyncobj::signal_point(uint64_t point) {
    if (drmSyncobjTimelineSignal(drm_fd_, &handle_, &point, 1) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL");
    }
    return {};
}

namespace {

// Linux 6.6's uapi (drm.h); Debian 12's libdrm headers predate it.
struct SyncobjEventfd {
    uint32_t handle;
    uint32_t flags;
    uint64_t point;
    int32_t fd;
    uint32_t pad;
};
constexpr unsigned long kIoctlSyncobjEventfd = DRM_IOWR(0xCF, SyncobjEventfd);

}  // namespace

Result<bool> DrmSyncobj::point_ready(uint64_t point, bool signalled) const {
    uint32_t handle = handle_;
    // An absolute timeout of 0 has passed already: the kernel only looks.
    const uint32_t flags = signalled ? 0 : DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
    if (drmSyncobjTimelineWait(drm_fd_, &handle, &point, 1, 0, flags, nullptr) == 0) {
        return true;
    }
    // A point without a fence yet is EINVAL unless the wait asks for availability.
    if (errno == ETIME || errno == EINVAL) {
        return false;
    }
    return last_error("DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT");
}

Status DrmSyncobj::notify_eventfd(uint64_t point, int eventfd, bool signalled) const {
    SyncobjEventfd args{};
    args.handle = handle_;
    args.flags = signalled ? 0 : DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
    args.point = point;
    args.fd = eventfd;
    if (drmIoctl(drm_fd_, kIoctlSyncobjEventfd, &args) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_EVENTFD");
    }
    return {};
}

Result<uint64_t> DrmSyncobj::last_signalled_point() const {
    uint64_t point = 0;
    uint32_t handle = handle_;
    if (drmSyncobjQuery(drm_fd_, &handle, &point, 1) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_QUERY");
    }
    return point;
}

}  // namespace sb::kernel
