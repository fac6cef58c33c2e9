#include "kernel/dma_buf_allocator.hpp"

#include <fcntl.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include <optional>

#include "kernel/drm_node.hpp"
#include "kernel/sys.hpp"

namespace sb::kernel {
namespace {

constexpr size_t kPageSize = 4096;

size_t round_up_to_page(size_t size) {
    return (size + kPageSize - 1) / kPageSize * kPageSize;
}

std::optional<DmaBuf> from_heap(size_t size) {
    UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
    if (!heap) {
        return std::nullopt;
    }
    dma_heap_allocation_data alloc{};
    alloc.len = size;
    alloc.fd_flags = O_RDWR | O_CLOEXEC;
    if (!checked_ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &alloc, "DMA_HEAP_IOCTL_ALLOC")) {
        return std::nullopt;
    }
    return DmaBuf(UniqueFd(static_cast<int>(alloc.fd)));
}

std::optional<DmaBuf> from_udmabuf(size_t size) {
    UniqueFd dev(::open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
    if (!dev) {
        return std::nullopt;
    }
    // udmabuf wants the memfd sealed against shrinking: its pages must outlive the dma-buf.
    UniqueFd memfd(::memfd_create("syncbridge-dma-buf", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!memfd || ::ftruncate(memfd.get(), static_cast<off_t>(size)) != 0 ||
        ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        return std::nullopt;
    }
    udmabuf_create create{};
    create.memfd = static_cast<uint32_t>(memfd.get());
    create.flags = UDMABUF_FLAGS_CLOEXEC;
    create.size = size;
    const int fd = ::ioctl(dev.get(), UDMABUF_CREATE, &create);
    if (fd < 0) {
        return std::nullopt;
    }
    return DmaBuf(UniqueFd(fd));
}

std::optional<DmaBuf> from_dumb_buffer(size_t size, std::string* source) {
    for (int minor = 0; minor < 16; ++minor) {
        const std::string path = "/dev/dri/card" + std::to_string(minor);
        if (auto buffer = allocate_dumb_buffer(path, size)) {
            *source = path + " dumb buffer";
            return std::move(buffer).value();
        }
    }
    return std::nullopt;
}

}  // namespace

Result<DmaBufAllocation> allocate_dma_buf(size_t size, dev_t consumer_device) {
    const size_t rounded = round_up_to_page(size == 0 ? 1 : size);
    DmaBufAllocation out;
    if (consumer_device != 0) {
        // A compositor names its render node; dumb buffers come from the card node.
        if (auto card = drm_node_path(consumer_device, DrmNode::card)) {
            if (auto dumb = allocate_dumb_buffer(*card, rounded)) {
                out.buffer = std::move(dumb).value();
                out.source = *card + " dumb buffer (the consumer's device)";
                return out;
            }
        }
    }
    if (auto heap = from_heap(rounded)) {
        out.buffer = std::move(*heap);
        out.source = "/dev/dma_heap/system";
        return out;
    }
    if (auto udmabuf = from_udmabuf(rounded)) {
        out.buffer = std::move(*udmabuf);
        out.source = "/dev/udmabuf";
        return out;
    }
    if (auto dumb = from_dumb_buffer(rounded, &out.source)) {
        out.buffer = std::move(*dumb);
        return out;
    }
    return Error{ENODEV, "allocate a dma-buf (no dma-heap, udmabuf or DRM dumb buffers)"};
}

// A dumb buffer is an image to DRM; as plain memory, rows of one page.
Result<DmaBuf> allocate_dumb_buffer(const std::string& card_path, size_t size) {
    UniqueFd card(::open(card_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!card) {
        return last_error("open(DRM card node)");
    }
    drm_mode_create_dumb create{};
    create.width = kPageSize / 4;
    create.height = static_cast<uint32_t>(size / kPageSize);
    create.bpp = 32;
    if (auto st = checked_ioctl(card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &create,
                                "DRM_IOCTL_MODE_CREATE_DUMB");
        !st) {
        return st.error();
    }
    drm_prime_handle prime{};
    prime.handle = create.handle;
    prime.flags = DRM_CLOEXEC | DRM_RDWR;
    prime.fd = -1;
    auto exported = checked_ioctl(card.get(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime,
                                  "DRM_IOCTL_PRIME_HANDLE_TO_FD");
    // The dma-buf keeps the buffer alive; the handle is not needed once it exists.
    drm_mode_destroy_dumb destroy{create.handle};
    (void)checked_ioctl(card.get(), DRM_IOCTL_MODE_DESTROY_DUMB, &destroy,
                        "DRM_IOCTL_MODE_DESTROY_DUMB");
    if (!exported) {
        return exported.error();
    }
    return DmaBuf(UniqueFd(prime.fd));
}

}  // namespace sb::kernel
