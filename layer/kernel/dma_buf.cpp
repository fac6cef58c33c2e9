#include "kernel/dma_buf.hpp"

#include <linux/dma-buf.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <utility>

namespace sb::kernel {
namespace {

uint32_t sync_flags(Access access) {
    switch (access) {
        case Access::read:
            return DMA_BUF_SYNC_READ;
        case Access::write:
            return DMA_BUF_SYNC_WRITE;
        case Access::read_write:
            return DMA_BUF_SYNC_RW;
    }
    return DMA_BUF_SYNC_RW;
}

int mmap_prot(Access access) {
    switch (access) {
        case Access::read:
            return PROT_READ;
        case Access::write:
            return PROT_WRITE;
        case Access::read_write:
            return PROT_READ | PROT_WRITE;
    }
    return PROT_READ | PROT_WRITE;
}

}  // namespace

Result<DmaBuf> DmaBuf::duplicate() const {
    auto copy = UniqueFd::duplicate(fd());
    if (!copy) {
        return copy.error();
    }
    return DmaBuf(std::move(copy).value());
}

Result<size_t> DmaBuf::size() const {
    // A dma-buf's size is fixed; seeking to its end is the documented way to learn it.
    const off_t end = ::lseek(fd(), 0, SEEK_END);
    if (end < 0) {
        return last_error("lseek(dma-buf, SEEK_END)");
    }
    return static_cast<size_t>(end);
}

Result<SyncFile> DmaBuf::export_sync_file(Access intended) const {
    dma_buf_export_sync_file arg{};
    // Export for write access returns every fence; for read access only the write fences.
    arg.flags = intended == Access::read ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE;
    arg.fd = -1;
    if (auto st = checked_ioctl(fd(), DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg,
                                "DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
        !st) {
        return st.error();
    }
    // The kernel always returns a real sync_file (a stub fence when the buffer is idle), O_CLOEXEC.
    return SyncFile(UniqueFd(arg.fd));
}

Status DmaBuf::import_sync_file(const SyncFile& fence, Access access) const {
    if (fence.is_stub()) {
        return {};
    }
    dma_buf_import_sync_file arg{};
    arg.flags = access == Access::read ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE;
    arg.fd = fence.fd();
    return checked_ioctl(fd(), DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &arg,
                         "DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
}

Result<WaitOutcome> DmaBuf::wait_idle(Access intended, std::chrono::nanoseconds timeout) const {
    // dma-buf poll: POLLIN once the write fences signalled (safe to read), POLLOUT once all
    // fences signalled (safe to write).
    const short events = intended == Access::read ? POLLIN : POLLOUT;
    return poll_until(fd(), events, timeout, "poll(dma-buf)");
}

Status DmaBuf::begin_cpu_access(Access access) const {
    dma_buf_sync arg{};
    arg.flags = DMA_BUF_SYNC_START | sync_flags(access);
    return checked_ioctl(fd(), DMA_BUF_IOCTL_SYNC, &arg, "DMA_BUF_IOCTL_SYNC(START)");
}

Status DmaBuf::end_cpu_access(Access access) const {
    dma_buf_sync arg{};
    arg.flags = DMA_BUF_SYNC_END | sync_flags(access);
    return checked_ioctl(fd(), DMA_BUF_IOCTL_SYNC, &arg, "DMA_BUF_IOCTL_SYNC(END)");
}

Result<DmaBufMapping> DmaBuf::map(size_t size, Access access) const {
    void* addr = ::mmap(nullptr, size, mmap_prot(access), MAP_SHARED, fd(), 0);
    if (addr == MAP_FAILED) {
        return last_error("mmap(dma-buf)");
    }
    return DmaBufMapping(addr, size);
}

DmaBufMapping::~DmaBufMapping() {
    if (addr_ != nullptr) {
        (void)::munmap(addr_, size_);
    }
}

DmaBufMapping::DmaBufMapping(DmaBufMapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}

DmaBufMapping& DmaBufMapping::operator=(DmaBufMapping&& other) noexcept {
    if (this != &other) {
        if (addr_ != nullptr) {
            (void)::munmap(addr_, size_);
        }
        addr_ = std::exchange(other.addr_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

}  // namespace sb::kernel
