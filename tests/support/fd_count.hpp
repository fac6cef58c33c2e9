// Leak checks count what the kernel says this process holds, not what the code thinks it holds.
#pragma once

#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace sb::test {

inline int open_fd_count() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

// The threads of this process (/proc/self/task).
inline int thread_count() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/task")) {
        ++count;
    }
    return count;
}

// thread_count() once it is `expected`, or after 2 s. A joined thread leaves /proc/self/task a
// little after pthread_join returns (the kernel wakes the joiner before the task is reaped);
// under TCG that gap has been long enough to fail a count taken at once.
inline int settled_thread_count(int expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int count = thread_count();
    while (count != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        count = thread_count();
    }
    return count;
}

inline bool has_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

}  // namespace sb::test
