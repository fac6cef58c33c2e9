#include "bridge/kernel_support.hpp"

#include <fcntl.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include <optional>

#include "kernel/sys.hpp"
#include "util/log.hpp"

namespace sb::bridge {
namespace {

using kernel::DmaBuf;
using kernel::UniqueFd;

constexpr size_t kProbeSize = 4096;

std::optional<DmaBuf> dma_buf_from_heap() {
    UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
    if (!heap) {
        return std::nullopt;
    }
    dma_heap_allocation_data alloc{};
    alloc.len = kProbeSize;
    alloc.fd_flags = O_RDWR | O_CLOEXEC;
    if (!kernel::checked_ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &alloc, "DMA_HEAP_IOCTL_ALLOC")) {
        return std::nullopt;
    }
    return DmaBuf(UniqueFd(static_cast<int>(alloc.fd)));
}

std::optional<DmaBuf> dma_buf_from_udmabuf() {
    UniqueFd dev(::open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
    if (!dev) {
        return std::nullopt;
    }
    UniqueFd memfd(::memfd_create("syncbridge-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!memfd || ::ftruncate(memfd.get(), kProbeSize) != 0 ||
        ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        return std::nullopt;
    }
    udmabuf_create create{};
    create.memfd = static_cast<uint32_t>(memfd.get());
    create.flags = UDMABUF_FLAGS_CLOEXEC;
    create.size = kProbeSize;
    const int fd = ::ioctl(dev.get(), UDMABUF_CREATE, &create);
    if (fd < 0) {
        return std::nullopt;
    }
    return DmaBuf(UniqueFd(fd));
}

std::optional<DmaBuf> dma_buf_from_dumb_buffer(std::string* source) {
    for (int minor = 0; minor < 16; ++minor) {
        const std::string path = "/dev/dri/card" + std::to_string(minor);
        UniqueFd card(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!card) {
            continue;
        }
        drm_mode_create_dumb create{};
        create.width = 32;
        create.height = 32;
        create.bpp = 32;
        if (!kernel::checked_ioctl(card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &create,
                                   "CREATE_DUMB")) {
            continue;
        }
        drm_prime_handle prime{};
        prime.handle = create.handle;
        prime.flags = DRM_CLOEXEC | DRM_RDWR;
        prime.fd = -1;
        const bool exported =
            kernel::checked_ioctl(card.get(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime, "PRIME").ok();
        drm_mode_destroy_dumb destroy{create.handle};
        (void)kernel::checked_ioctl(card.get(), DRM_IOCTL_MODE_DESTROY_DUMB, &destroy, "DESTROY");
        if (exported) {
            *source = path + " dumb buffer";
            return DmaBuf(UniqueFd(prime.fd));
        }
    }
    return std::nullopt;
}

}  // namespace

KernelSupport probe_kernel_support() {
    KernelSupport out;
    std::optional<DmaBuf> buffer = dma_buf_from_heap();
    out.probed_with = "/dev/dma_heap/system";
    if (!buffer) {
        buffer = dma_buf_from_udmabuf();
        out.probed_with = "/dev/udmabuf";
    }
    if (!buffer) {
        buffer = dma_buf_from_dumb_buffer(&out.probed_with);
    }
    if (!buffer) {
        out.probed_with = "no dma-buf source (no dma-heap, udmabuf or DRM dumb buffers)";
        return out;
    }
    auto answer = kernel::probe_sync_file_ioctls(*buffer);
    if (!answer) {
        SB_LOG(warn, "sync-file ioctl probe failed: %s", answer.error().describe().c_str());
        return out;
    }
    out.sync_file_ioctls = *answer == kernel::SyncFileIoctls::present
                               ? KernelSupport::SyncFileIoctls::present
                               : KernelSupport::SyncFileIoctls::absent;
    return out;
}

const KernelSupport& kernel_support() {
    static const KernelSupport support = probe_kernel_support();
    return support;
}

const char* to_string(KernelSupport::SyncFileIoctls value) {
    switch (value) {
        case KernelSupport::SyncFileIoctls::present:
            return "present";
        case KernelSupport::SyncFileIoctls::absent:
            return "absent";
        case KernelSupport::SyncFileIoctls::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace sb::bridge
