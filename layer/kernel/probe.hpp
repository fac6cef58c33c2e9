// Does this kernel let userspace move fences in and out of a dma-buf's reservation object?
//
// Linux 6.0 added DMA_BUF_IOCTL_EXPORT_SYNC_FILE / IMPORT_SYNC_FILE. On older kernels the dma-buf
// ioctl handler rejects the unknown request with ENOTTY (EINVAL on some backports): that means
// "no such ioctl here", and the bridge must fall back to waiting in userspace. Every other errno
// means this buffer or this call failed, and is reported as an error, never read as "absent".
#pragma once

#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"

namespace sb::kernel {

enum class SyncFileIoctls { present, absent };

// Decides what a failed sync-file ioctl means. Returns `absent` for the errnos an old kernel
// gives, and the error itself for anything else.
Result<SyncFileIoctls> classify_sync_file_ioctl_failure(const Error& error);

// Probes with a real dma-buf: exports its fences, then imports that sync_file back as a read
// fence. Importing fences the buffer already waits for changes nothing a consumer can observe.
Result<SyncFileIoctls> probe_sync_file_ioctls(const DmaBuf& buffer);

const char* to_string(SyncFileIoctls support);

}  // namespace sb::kernel
