#include "wsi/swapchain_app/fd_count.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace sb::swapchain_app {

std::optional<int> count_open_fds() {
    const int dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        return std::nullopt;
    }
    DIR* dir = fdopendir(dir_fd);  // takes dir_fd
    if (dir == nullptr) {
        close(dir_fd);
        return std::nullopt;
    }
    int count = 0;
    while (const dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    closedir(dir);
    return count;
}

std::optional<int> settled_open_fds() {
    std::optional<int> least;
    for (int i = 0; i < 5; ++i) {
        if (i != 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        const auto count = count_open_fds();
        if (!count) {
            return std::nullopt;
        }
        least = least ? std::min(*least, *count) : *count;
    }
    return least;
}

}  // namespace sb::swapchain_app
