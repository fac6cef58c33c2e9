// Open file descriptors of this process, for the fd-growth check.
#pragma once

#include <optional>

namespace sb::swapchain_app {

// Entries of /proc/self/fd (the directory's own fd included, so compare counts, not values);
// nullopt when it cannot be read.
std::optional<int> count_open_fds();

// The smallest of a few counts a few ms apart: an fd that another thread holds for a moment
// (a sync_file in flight) is not growth.
std::optional<int> settled_open_fds();

}  // namespace sb::swapchain_app
