// The few system calls the kernel objects make, behind one seam so that host tests can inject
// failures (an old kernel's ENOTTY, a revoked buffer's ENODEV) without a kernel that has them.
#pragma once

#include <chrono>

#include "kernel/result.hpp"

namespace sb::kernel {

using IoctlFn = int (*)(int fd, unsigned long request, void* arg);

// ioctl() that restarts on EINTR/EAGAIN, as libdrm's drmIoctl does: these ioctls are idempotent.
Status checked_ioctl(int fd, unsigned long request, void* arg, const char* op);

// Replaces the ioctl used by checked_ioctl; returns the previous one. Tests only.
IoctlFn set_ioctl_for_testing(IoctlFn fn);

enum class WaitOutcome { ready, timed_out };

// Waits until `fd` reports any of `events`, or `timeout` passes. A negative timeout waits forever.
// Restarts on EINTR against the same deadline, so a signal never stretches the wait.
Result<WaitOutcome> poll_until(int fd, short events, std::chrono::nanoseconds timeout,
                               const char* op);

}  // namespace sb::kernel
