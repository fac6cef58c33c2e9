// gpusim's log: stderr, prefixed "[gpusim]", levelled by GPUSIM_LOG=error|warn|info|debug
// (default warn). Kept apart from syncbridge's log so that a test's output says which layer spoke.
#pragma once

#include <atomic>

namespace sb::gpusim::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

bool enabled(Level level);
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sb::gpusim::log

#define GPUSIM_LOG(level, ...) \
    ::sb::gpusim::log::write(::sb::gpusim::log::Level::level, __VA_ARGS__)
#define GPUSIM_LOG_ONCE(level, ...)                                                 \
    do {                                                                            \
        static std::atomic<bool> gpusim_logged_{false};                             \
        if (!gpusim_logged_.exchange(true, std::memory_order_relaxed)) {            \
            ::sb::gpusim::log::write(::sb::gpusim::log::Level::level, __VA_ARGS__); \
        }                                                                           \
    } while (0)
