#include "kernel/vgem.hpp"

#include <fcntl.h>
#include <xf86drm.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "kernel/sys.hpp"

namespace sb::kernel {
namespace {

// uapi: include/uapi/drm/vgem_drm.h (not shipped by libdrm).
struct drm_vgem_fence_attach {
    uint32_t handle;
    uint32_t flags;
    uint32_t out_fence;
    uint32_t pad;
};
struct drm_vgem_fence_signal {
    uint32_t fence;
    uint32_t flags;
};
constexpr uint32_t kVgemFenceWrite = 0x1;
constexpr unsigned long kIoctlVgemFenceAttach =
    DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct drm_vgem_fence_attach);
constexpr unsigned long kIoctlVgemFenceSignal =
    DRM_IOW(DRM_COMMAND_BASE + 0x2, struct drm_vgem_fence_signal);

bool is_vgem(int fd) {
    drmVersionPtr version = drmGetVersion(fd);
    if (version == nullptr) {
        return false;
    }
    const bool match = std::strcmp(version->name, "vgem") == 0;
    drmFreeVersion(version);
    return match;
}

}  // namespace

Result<Vgem> Vgem::open() {
    for (int minor = 0; minor < 16; ++minor) {
        const std::string path = "/dev/dri/card" + std::to_string(minor);
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (fd && is_vgem(fd.get())) {
            return Vgem(std::move(fd));
        }
    }
    return Error{ENODEV, "open(/dev/dri/card*: vgem)"};
}

Result<DumbBuffer> Vgem::create_dumb(uint32_t width, uint32_t height, uint32_t bpp) {
    drm_mode_create_dumb arg{};
    arg.width = width;
    arg.height = height;
    arg.bpp = bpp;
    if (auto st =
            checked_ioctl(fd(), DRM_IOCTL_MODE_CREATE_DUMB, &arg, "DRM_IOCTL_MODE_CREATE_DUMB");
        !st) {
        return st.error();
    }
    return DumbBuffer{arg.handle, arg.pitch, arg.size};
}

Result<DmaBuf> Vgem::export_dma_buf(uint32_t handle) {
    drm_prime_handle arg{};
    arg.handle = handle;
    arg.flags = DRM_CLOEXEC | DRM_RDWR;
    arg.fd = -1;
    if (auto st =
            checked_ioctl(fd(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg, "DRM_IOCTL_PRIME_HANDLE_TO_FD");
        !st) {
        return st.error();
    }
    return DmaBuf(UniqueFd(arg.fd));
}

Result<uint32_t> Vgem::import_dma_buf(const DmaBuf& buffer) {
    drm_prime_handle arg{};
    arg.fd = buffer.fd();
    if (auto st =
            checked_ioctl(fd(), DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg, "DRM_IOCTL_PRIME_FD_TO_HANDLE");
        !st) {
        return st.error();
    }
    return arg.handle;
}

Result<uint32_t> Vgem::attach_fence(uint32_t handle, Access access) {
    drm_vgem_fence_attach arg{};
    arg.handle = handle;
    arg.flags = access == Access::read ? 0 : kVgemFenceWrite;
    if (auto st = checked_ioctl(fd(), kIoctlVgemFenceAttach, &arg, "DRM_IOCTL_VGEM_FENCE_ATTACH");
        !st) {
        return st.error();
    }
    return arg.out_fence;
}

Status Vgem::signal(uint32_t fence_id) {
    drm_vgem_fence_signal arg{};
    arg.fence = fence_id;
    return checked_ioctl(fd(), kIoctlVgemFenceSignal, &arg, "DRM_IOCTL_VGEM_FENCE_SIGNAL");
}

Status Vgem::close_handle(uint32_t handle) {
    drm_gem_close arg{};
    arg.handle = handle;
    return checked_ioctl(fd(), DRM_IOCTL_GEM_CLOSE, &arg, "DRM_IOCTL_GEM_CLOSE");
}

Result<DmaBuf> Vgem::new_dma_buf(uint32_t width, uint32_t height) {
    auto bo = create_dumb(width, height);
    if (!bo) {
        return bo.error();
    }
    auto buf = export_dma_buf(bo->handle);
    // The dma-buf holds its own reference; the handle can go.
    (void)close_handle(bo->handle);
    return buf;
}

Result<PendingFence> Vgem::pending_sync_file() {
    auto bo = create_dumb(16, 16);
    if (!bo) {
        return bo.error();
    }
    auto scratch = export_dma_buf(bo->handle);
    if (!scratch) {
        return scratch.error();
    }
    auto fence = attach_fence(bo->handle, Access::write);
    (void)close_handle(bo->handle);
    if (!fence) {
        return fence.error();
    }
    auto file = scratch->export_sync_file(Access::read);
    if (!file) {
        return file.error();
    }
    return PendingFence{std::move(file).value(), *fence};
}

}  // namespace sb::kernel
