// Plain memory as a dma-buf, for drivers that can import dma-bufs but not export them (the layer
// then allocates the swapchain's memory itself) and for the kernel probe. Sources, in order:
// the system dma-heap, udmabuf (a sealed memfd), a DRM device's dumb buffer. Which ones exist is
// the kernel's configuration: Debian 12's 6.1 has only DRM (vgem), 6.12 has all three.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"

namespace sb::kernel {

struct DmaBufAllocation {
    DmaBuf buffer;
    std::string source;  // "/dev/dma_heap/system", "/dev/udmabuf", "/dev/dri/card0 dumb buffer"
};

// At least `size` bytes from the first source that works. ENODEV when there is none.
// `consumer_device` (a DRM node's dev_t, 0 if unknown): the device that will read the buffer
// (a compositor's main device); its dumb buffers come first, since every device can use what
// it allocated itself, while some importers mishandle foreign memory.
Result<DmaBufAllocation> allocate_dma_buf(size_t size, dev_t consumer_device = 0);

// At least `size` bytes (a multiple of the page size) as a dumb buffer of the DRM card node at
// `card_path`: memory of that device, as a discrete GPU's would be.
Result<DmaBuf> allocate_dumb_buffer(const std::string& card_path, size_t size);

}  // namespace sb::kernel
