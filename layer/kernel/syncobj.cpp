#include "kernel/syncobj.hpp"

#include <xf86drm.h>

#include <utility>

namespace sb::kernel {

SyncobjCaps query_syncobj_caps(int drm_fd) {
    SyncobjCaps caps;
    uint64_t value = 0;
    caps.syncobj = drmGetCap(drm_fd, DRM_CAP_SYNCOBJ, &value) == 0 && value != 0;
    value = 0;
    caps.timeline = drmGetCap(drm_fd, DRM_CAP_SYNCOBJ_TIMELINE, &value) == 0 && value != 0;
    return caps;
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
    auto binary = create(drm_fd_, false);
    if (!binary) {
        return binary.error();
    }
    if (auto st = binary->import_sync_file(fence); !st) {
        return st;
    }
    return transfer_from(point, *binary, 0);
}

Result<SyncFile> DrmSyncobj::export_sync_file_at(uint64_t point) const {
    auto binary = create(drm_fd_, false);
    if (!binary) {
        return binary.error();
    }
    if (auto st = binary->transfer_from(0, *this, point); !st) {
        return st.error();
    }
    return binary->export_sync_file();
}

Status DrmSyncobj::signal_point(uint64_t point) {
    if (drmSyncobjTimelineSignal(drm_fd_, &handle_, &point, 1) != 0) {
        return last_error("DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL");
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
