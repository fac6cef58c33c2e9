// Leak checks count what the kernel says this process holds, not what the code thinks it holds.
#pragma once

#include <fcntl.h>

#include <filesystem>

namespace sb::test {

inline int open_fd_count() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

inline bool has_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

}  // namespace sb::test
