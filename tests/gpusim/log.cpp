#include "gpusim/log.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sb::gpusim::log {
namespace {

constexpr const char* kNames[] = {"error", "warn", "info", "debug"};

Level threshold() {
    static const Level level = [] {
        const char* text = std::getenv("GPUSIM_LOG");
        for (int i = 0; text != nullptr && i < 4; ++i) {
            if (std::strcmp(text, kNames[i]) == 0) {
                return static_cast<Level>(i);
            }
        }
        return Level::warn;
    }();
    return level;
}

}  // namespace

bool enabled(Level level) {
    return level <= threshold();
}

void write(Level level, const char* fmt, ...) {
    if (!enabled(level)) {
        return;
    }
    char line[1024];
    va_list args;
    va_start(args, fmt);
    (void)std::vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    // One fprintf per line keeps lines from concurrent threads whole.
    (void)std::fprintf(stderr, "[gpusim] %s: %s\n", kNames[static_cast<int>(level)], line);
}

}  // namespace sb::gpusim::log
