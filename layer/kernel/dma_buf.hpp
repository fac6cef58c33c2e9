// A dma-buf and the implicit-sync fences in its reservation object (dma_resv).
//
// Vocabulary, as in the kernel's uapi: a *write* fence guards a producer's writes; every reader
// must wait for it. A *read* fence guards a consumer's reads; a writer must wait for it (and for
// the write fences). Importing only ever *adds* a fence: nothing already in the reservation
// object is replaced, so a buffer stays busy until the old and the new fences have all signalled.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "kernel/result.hpp"
#include "kernel/sync_file.hpp"
#include "kernel/sys.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::kernel {

enum class Access : uint8_t { read = 1, write = 2, read_write = 3 };

class DmaBufMapping;

class DmaBuf {
  public:
    DmaBuf() = default;
    explicit DmaBuf(UniqueFd fd) : fd_(std::move(fd)) {}

    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] bool valid() const { return fd_.valid(); }
    [[nodiscard]] Result<DmaBuf> duplicate() const;
    [[nodiscard]] Result<size_t> size() const;

    // The fences a user with `intended` access must wait for: for reading, the write fences; for
    // writing, all fences (writers and readers). DMA_BUF_IOCTL_EXPORT_SYNC_FILE, Linux 6.0+.
    [[nodiscard]] Result<SyncFile> export_sync_file(Access intended) const;

    // Adds every fence of `fence` to the buffer as a write fence (`access` write) or a read fence
    // (`access` read): later implicit-sync users wait for it as they would for a GPU job of that
    // kind. DMA_BUF_IOCTL_IMPORT_SYNC_FILE, Linux 6.0+. The stub adds nothing.
    [[nodiscard]] Status import_sync_file(const SyncFile& fence, Access access) const;

    // The userspace fallback for kernels without the ioctls above: blocks until a user with
    // `intended` access could proceed (poll: POLLIN waits for writers, POLLOUT for everyone).
    [[nodiscard]] Result<WaitOutcome> wait_idle(Access intended,
                                                std::chrono::nanoseconds timeout) const;

    // Brackets CPU access through a mapping (DMA_BUF_IOCTL_SYNC). Begin waits for the fences that
    // conflict with `access` and makes the CPU's view coherent; end flushes CPU writes for devices.
    [[nodiscard]] Status begin_cpu_access(Access access) const;
    [[nodiscard]] Status end_cpu_access(Access access) const;

    [[nodiscard]] Result<DmaBufMapping> map(size_t size, Access access) const;

  private:
    UniqueFd fd_;
};

// A CPU mapping of a dma-buf, unmapped exactly once. Every access through it must sit between
// begin_cpu_access and end_cpu_access: the mapping itself promises no coherency.
class DmaBufMapping {
  public:
    DmaBufMapping() = default;
    DmaBufMapping(void* addr, size_t size) : addr_(addr), size_(size) {}
    ~DmaBufMapping();
    DmaBufMapping(const DmaBufMapping&) = delete;
    DmaBufMapping& operator=(const DmaBufMapping&) = delete;
    DmaBufMapping(DmaBufMapping&& other) noexcept;
    DmaBufMapping& operator=(DmaBufMapping&& other) noexcept;

    [[nodiscard]] void* data() const { return addr_; }
    [[nodiscard]] size_t size() const { return size_; }

  private:
    void* addr_ = nullptr;
    size_t size_ = 0;
};

}  // namespace sb::kernel
