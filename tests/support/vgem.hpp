// vgem, the kernel's virtual GEM driver, as the tests' "GPU": dumb buffers that export as
// dma-bufs, and fences that stay pending until the test signals them (or vgem's 10 s timeout
// does). A vgem fence really blocks the kernel's implicit-sync readers and writers.
#pragma once

#include <cstdint>

#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"
#include "kernel/sync_file.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::test {

using kernel::Access;
using kernel::DmaBuf;
using kernel::Result;
using kernel::Status;
using kernel::SyncFile;

struct DumbBuffer {
    uint32_t handle = 0;
    uint32_t pitch = 0;
    uint64_t size = 0;
};

struct PendingFence {
    SyncFile file;      // signals when `fence_id` is signalled
    uint32_t fence_id;  // for Vgem::signal
};

class Vgem {
  public:
    // Opens the DRM card node whose driver is vgem (card0 in the test VM).
    static Result<Vgem> open();

    [[nodiscard]] int fd() const { return fd_.get(); }

    Result<DumbBuffer> create_dumb(uint32_t width, uint32_t height, uint32_t bpp = 32);
    Result<DmaBuf> export_dma_buf(uint32_t handle);
    Result<uint32_t> import_dma_buf(const DmaBuf& buffer);
    // A fence on `handle`: a write fence for Access::write, a read fence for Access::read.
    Result<uint32_t> attach_fence(uint32_t handle, Access access);
    Status signal(uint32_t fence_id);
    // Drops a GEM handle; dma-bufs exported from it keep the memory alive.
    Status close_handle(uint32_t handle);

    // A pending fence as a sync_file: attached as a write fence to a scratch buffer, then
    // exported from it. Stays pending until signal(fence_id).
    Result<PendingFence> pending_sync_file();

    // A fresh dumb buffer exported as a dma-buf.
    Result<DmaBuf> new_dma_buf(uint32_t width = 64, uint32_t height = 64);

  private:
    explicit Vgem(kernel::UniqueFd fd) : fd_(std::move(fd)) {}
    kernel::UniqueFd fd_;
};

}  // namespace sb::test
