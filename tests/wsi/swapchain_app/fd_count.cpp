#include "wsi/swapchain_app/fd_count.hpp"

#include <dirent.h>
#include <drm.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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

namespace {

// The fds of this process that are DRM device nodes (/dev/dri/...).
std::vector<int> drm_fds() {
    std::vector<int> fds;
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        return fds;
    }
    while (const dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        const std::string link = std::string("/proc/self/fd/") + entry->d_name;
        std::array<char, 64> target{};
        const ssize_t n = readlink(link.c_str(), target.data(), target.size() - 1);
        if (n > 0 &&
            std::string_view(target.data(), static_cast<size_t>(n)).starts_with("/dev/dri/")) {
            fds.push_back(std::atoi(entry->d_name));
        }
    }
    closedir(dir);
    return fds;
}

// Whether `handle` names a syncobj on `fd` (DRM_IOCTL_SYNCOBJ_QUERY reads its point and
// changes nothing); nullopt where the device cannot answer (no timeline syncobjs).
std::optional<bool> syncobj_exists(int fd, uint32_t handle) {
    uint64_t point = 0;
    drm_syncobj_timeline_array query{};
    query.handles = reinterpret_cast<uintptr_t>(&handle);
    query.points = reinterpret_cast<uintptr_t>(&point);
    query.count_handles = 1;
    if (ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &query) == 0) {
        return true;
    }
    if (errno == ENOENT) {
        return false;
    }
    return std::nullopt;
}

// A DRM file's syncobj handles are the lowest free numbers from 1 (the kernel's idr), so they
// never go past the most that were ever alive at once; this many covers any swapchain here and
// still shows a leak (the count only saturates).
constexpr uint32_t kHandlesScanned = 4096;

}  // namespace

int count_syncobj_handles() {
    int count = 0;
    for (const int fd : drm_fds()) {
        for (uint32_t handle = 1; handle <= kHandlesScanned; ++handle) {
            const auto exists = syncobj_exists(fd, handle);
            if (!exists) {
                break;  // this device has no timeline syncobjs
            }
            count += *exists ? 1 : 0;
        }
    }
    return count;
}

bool leak_one_syncobj() {
    for (const int fd : drm_fds()) {
        if (!syncobj_exists(fd, 1).has_value()) {
            continue;
        }
        drm_syncobj_create create{};
        return ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &create) == 0;  // never destroyed
    }
    return false;
}

std::optional<ThreadsAndMemory> threads_and_memory() {
    std::FILE* status = std::fopen("/proc/self/status", "re");
    if (status == nullptr) {
        return std::nullopt;
    }
    ThreadsAndMemory out;
    int found = 0;
    std::array<char, 256> line{};
    while (std::fgets(line.data(), static_cast<int>(line.size()), status) != nullptr) {
        found += std::sscanf(line.data(), "Threads: %d", &out.threads);
        found += std::sscanf(line.data(), "VmRSS: %ld kB", &out.resident_kb);
    }
    std::fclose(status);
    if (found != 2) {
        return std::nullopt;
    }
    return out;
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
