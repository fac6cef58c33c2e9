#include "kernel/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace sb::kernel {

void UniqueFd::reset(int fd) {
    const int old = std::exchange(fd_, fd);
    if (old >= 0) {
        // close() releases the descriptor even when it reports EINTR on Linux; retrying could
        // close an fd another thread has just been given, so the result is deliberately ignored.
        (void)::close(old);
    }
}

Result<UniqueFd> UniqueFd::duplicate(int fd) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return last_error("fcntl(F_DUPFD_CLOEXEC)");
    }
    return UniqueFd(copy);
}

}  // namespace sb::kernel
