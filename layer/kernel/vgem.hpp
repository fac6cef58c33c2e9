// vgem, the kernel's virtual GEM driver: dumb buffers that export as dma-bufs, and fences that
// stay pending until their owner signals them (or vgem's own 10 s timeout does). A vgem fence
// really blocks the kernel's implicit-sync readers and writers. The tests use it as their "GPU";
// the layer uses its fences where a driver cannot give it a sync_file in time (foreign releases
// at submit without a non-blocking SYNC_FD export, submit/submit_bridge.hpp).
#pragma once

#include <cstdint>

#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"
#include "kernel/sync_file.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::kernel {

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
    explicit Vgem(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace sb::kernel
