#include "kernel/sys.hpp"

#include <poll.h>
#include <sys/ioctl.h>

#include <atomic>
#include <cerrno>

namespace sb::kernel {
namespace {

int real_ioctl(int fd, unsigned long request, void* arg) {
    return ::ioctl(fd, request, arg);
}

std::atomic<IoctlFn> g_ioctl{&real_ioctl};

}  // namespace

IoctlFn set_ioctl_for_testing(IoctlFn fn) {
    return g_ioctl.exchange(fn != nullptr ? fn : &real_ioctl);
}

Status checked_ioctl(int fd, unsigned long request, void* arg, const char* op) {
    const IoctlFn fn = g_ioctl.load(std::memory_order_relaxed);
    int ret = 0;
    do {
        ret = fn(fd, request, arg);
    } while (ret == -1 && (errno == EINTR || errno == EAGAIN));
    if (ret == -1) {
        return last_error(op);
    }
    return {};
}

Result<WaitOutcome> poll_until(int fd, short events, std::chrono::nanoseconds timeout,
                               const char* op) {
    using Clock = std::chrono::steady_clock;
    const bool forever = timeout.count() < 0;
    const auto deadline = Clock::now() + (forever ? std::chrono::nanoseconds(0) : timeout);
    pollfd pfd{fd, events, 0};
    for (;;) {
        timespec ts{};
        timespec* tsp = nullptr;
        if (!forever) {
            const auto left = std::max(std::chrono::nanoseconds(0), deadline - Clock::now());
            ts.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
            ts.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
            tsp = &ts;
        }
        const int n = ::ppoll(&pfd, 1, tsp, nullptr);
        if (n > 0) {
            if ((pfd.revents & POLLNVAL) != 0) {
                return Error{EBADF, op};
            }
            if ((pfd.revents & POLLERR) != 0 && (pfd.revents & events) == 0) {
                return Error{EIO, op};
            }
            return WaitOutcome::ready;
        }
        if (n == 0) {
            return WaitOutcome::timed_out;
        }
        if (errno != EINTR) {
            return last_error(op);
        }
    }
}

}  // namespace sb::kernel
