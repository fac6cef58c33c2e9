// The swapchain images as wl_buffers: one zwp_linux_buffer_params_v1 + create_immed per
// single-plane dma-buf, on a private queue.
#pragma once

#include <chrono>
#include <vector>

#include "kernel/result.hpp"
#include "wsi/wayland/linux_dmabuf.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

// All or nothing: on any failure every buffer made so far is destroyed. Errors:
//  - EINVAL: the compositor refused a buffer with the params' `failed` event (it may instead
//    raise a protocol error, which ends the connection: EPROTO);
//  - ERANGE: a size does not fit the protocol's int32;
//  - ENOMEM, ETIMEDOUT, and a dead connection's error, as PrivateQueue::roundtrip.
// The descriptions' fds stay the caller's.
kernel::Result<std::vector<BufferPtr>> create_dmabuf_buffers(
    PrivateQueue& queue, zwp_linux_dmabuf_v1* dmabuf, const std::vector<BufferDescription>& buffers,
    std::chrono::milliseconds timeout);

}  // namespace sb::wsi::wayland
