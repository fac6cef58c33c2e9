// What the growth checks count in this process: open fds, syncobj handles, threads, memory.
#pragma once

#include <optional>

namespace sb::swapchain_app {

// Entries of /proc/self/fd (the directory's own fd included, so compare counts, not values);
// nullopt when it cannot be read.
std::optional<int> count_open_fds();

// The smallest of a few counts a few ms apart: an fd that another thread holds for a moment
// (a sync_file in flight) is not growth.
std::optional<int> settled_open_fds();

// Live DRM syncobj handles on this process's DRM device fds (the layer's explicit-sync
// timelines and scratch syncobjs among them), asked of the kernel handle by handle. 0 where no
// DRM fd has timeline syncobjs (the query needs them).
int count_syncobj_handles();

// Threads and resident memory, from /proc/self/status; nullopt when it cannot be read.
struct ThreadsAndMemory {
    int threads = 0;
    long resident_kb = 0;
};
std::optional<ThreadsAndMemory> threads_and_memory();

// The leak check's control: one syncobj that is never destroyed, on the first DRM fd with
// timeline syncobjs. False where there is none.
bool leak_one_syncobj();

}  // namespace sb::swapchain_app
