#include "util/log.hpp"
#include "util/switches.hpp"

#include <cstdio>
#include <cstring>

namespace sb::log {

Level parse_level(const char* text, Level fallback) {
    if (text == nullptr) {
        return fallback;
    }
    static constexpr struct {
        const char* name;
        Level level;
    } kLevels[] = {{"error", Level::error},
                   {"warn", Level::warn},
                   {"info", Level::info},
                   {"debug", Level::debug}};
    for (const auto& entry : kLevels) {
        if (std::strcmp(text, entry.name) == 0) {
            return entry.level;
        }
    }
    return fallback;
}

Level threshold() {
    static const Level level = parse_level(util::switch_value(util::Switch::log), Level::warn);
    return level;
}

bool enabled(Level level) {
    return level <= threshold();
}

void write(Level level, const char* fmt, ...) {
    if (!enabled(level)) {
        return;
    }
    static constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
    char line[1024];
    va_list args;
    va_start(args, fmt);
    (void)std::vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    // One fprintf per line keeps lines from concurrent threads whole.
    (void)std::fprintf(stderr, "[syncbridge] %s: %s\n", kNames[static_cast<int>(level)], line);
}

}  // namespace sb::log
