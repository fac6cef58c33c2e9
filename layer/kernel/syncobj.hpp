// A DRM syncobj: a kernel container for a fence (binary) or a timeline of fences, addressed by
// a handle on one DRM fd. It is the payload of the explicit-sync Wayland protocol
// (wp_linux_drm_syncobj_v1), where acquire and release points live on shared timelines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "kernel/result.hpp"
#include "kernel/sync_file.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::kernel {

struct SyncobjCaps {
    bool syncobj = false;
    bool timeline = false;
};

// DRM_CAP_SYNCOBJ / DRM_CAP_SYNCOBJ_TIMELINE of a DRM device fd (vgem has neither).
SyncobjCaps query_syncobj_caps(int drm_fd);

// A DRM device node opened for its timeline syncobjs (explicit sync's payload).
struct TimelineDevice {
    UniqueFd fd;
    std::string path;
    int preference = -1;  // its index in `preferred`; -1: found by the scan of render nodes
};

// The render node of the first of `preferred` (DRM devices' dev_t; 0s are skipped) that has
// timeline syncobjs, else the first render node that does. ENODEV when there is none (vgem has
// no syncobjs).
Result<TimelineDevice> open_timeline_device(std::initializer_list<dev_t> preferred);

class DrmSyncobj {
  public:
    // `drm_fd` is borrowed: the caller keeps the DRM device open for the syncobj's lifetime.
    static Result<DrmSyncobj> create(int drm_fd, bool signalled);
    // Takes a handle for a syncobj another process or device exported as an fd.
    static Result<DrmSyncobj> import_fd(int drm_fd, int syncobj_fd);

    DrmSyncobj() = default;
    ~DrmSyncobj() { destroy(); }
    DrmSyncobj(const DrmSyncobj&) = delete;
    DrmSyncobj& operator=(const DrmSyncobj&) = delete;
    DrmSyncobj(DrmSyncobj&& other) noexcept;
    DrmSyncobj& operator=(DrmSyncobj&& other) noexcept;

    [[nodiscard]] uint32_t handle() const { return handle_; }

    // An fd for the syncobj itself (not a fence), to share it with another process (close-on-exec).
    [[nodiscard]] Result<UniqueFd> export_fd() const;

    // Binary payload: replaces the syncobj's fence with `fence` / returns its current fence.
    [[nodiscard]] Status import_sync_file(const SyncFile& fence);
    [[nodiscard]] Result<SyncFile> export_sync_file() const;

    // Timeline payload: copies the fence at `src_point` of `src` (0: binary) to `dst_point` of
    // this syncobj (0: binary). The kernel's way to move fences between timelines and binaries.
    [[nodiscard]] Status transfer_from(uint64_t dst_point, const DrmSyncobj& src,
                                       uint64_t src_point);

    // `fence` becomes timeline point `point` (through a binary syncobj and a transfer).
    [[nodiscard]] Status import_sync_file_at(uint64_t point, const SyncFile& fence);
    // The fence of timeline point `point`. The point must have a fence already (ENOENT/EINVAL
    // otherwise: WAIT_FOR_SUBMIT semantics are for the GPU side, not a CPU export).
    [[nodiscard]] Result<SyncFile> export_sync_file_at(uint64_t point) const;
    // The same through `scratch`, a binary syncobj on the same device that the caller keeps for
    // the purpose: two ioctls fewer (no create, no destroy) for a path that runs every frame.
    [[nodiscard]] Status import_sync_file_at(uint64_t point, const SyncFile& fence,
                                             DrmSyncobj& scratch);
    [[nodiscard]] Result<SyncFile> export_sync_file_at(uint64_t point, DrmSyncobj& scratch) const;

    [[nodiscard]] Status signal_point(uint64_t point);
    [[nodiscard]] Result<uint64_t> last_signalled_point() const;

    // Whether timeline point `point` has a fence yet (`signalled`: and it has signalled).
    // Never blocks.
    [[nodiscard]] Result<bool> point_ready(uint64_t point, bool signalled) const;
    // Adds 1 to `eventfd` once point `point` has a fence (`signalled`: once it has signalled):
    // DRM_IOCTL_SYNCOBJ_EVENTFD, Linux 6.6 and later (ENOTTY or EINVAL before). One eventfd
    // can watch many points; the kernel drops the registration when it fires.
    [[nodiscard]] Status notify_eventfd(uint64_t point, int eventfd, bool signalled) const;

  private:
    DrmSyncobj(int drm_fd, uint32_t handle) : drm_fd_(drm_fd), handle_(handle) {}
    void destroy();

    int drm_fd_ = -1;  // borrowed
    uint32_t handle_ = 0;
};

}  // namespace sb::kernel
