// The layer's log: stderr, prefixed, levelled by SYNCBRIDGE_LOG=error|warn|info|debug (default
// warn). Problems that can repeat every frame are logged once per call site (SB_LOG_ONCE).
#pragma once

#include <atomic>
#include <cstdarg>

namespace sb::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

Level threshold();
bool enabled(Level level);
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Parses SYNCBRIDGE_LOG-style text; unknown text gives `fallback`.
Level parse_level(const char* text, Level fallback);

}  // namespace sb::log

#define SB_LOG(level, ...) ::sb::log::write(::sb::log::Level::level, __VA_ARGS__)
#define SB_LOG_ONCE(level, ...)                                      \
    do {                                                             \
        static std::atomic<bool> sb_logged_{false};                  \
        if (!sb_logged_.exchange(true, std::memory_order_relaxed)) { \
            ::sb::log::write(::sb::log::Level::level, __VA_ARGS__);  \
        }                                                            \
    } while (0)
