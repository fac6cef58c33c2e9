// Every environment variable the layer reads, in one table: its name, what it does, and whether
// it exists only for tests. Features read their switch through here (never getenv directly), so
// the list below is complete and syncbridge-info can show which are set.
#pragma once

#include <span>
#include <string_view>

namespace sb::util {

enum class Switch {
    log,                          // SYNCBRIDGE_LOG
    mode,                         // SYNCBRIDGE_MODE
    memory,                       // SYNCBRIDGE_MEMORY
    blocking_export,              // SYNCBRIDGE_BLOCKING_EXPORT
    wayland_sync,                 // SYNCBRIDGE_WAYLAND_SYNC
    test_disable_fence_transfer,  // SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER
    test_leak,                    // SYNCBRIDGE_TEST_LEAK
    test_no_syncobj_eventfd,      // SYNCBRIDGE_TEST_NO_SYNCOBJ_EVENTFD
    test_fail_thread_start,       // SYNCBRIDGE_TEST_FAIL_THREAD_START
    test_fault,                   // SYNCBRIDGE_TEST_FAULT
};

struct SwitchInfo {
    Switch which;
    const char* name;
    const char* values;  // what it accepts
    const char* effect;
    bool test_only;  // a test control: never set by a user, logged as such when set
};

// The whole table, in enum order.
std::span<const SwitchInfo> all_switches();
const SwitchInfo& switch_info(Switch which);

// The switch's value now, or null when unset or empty. Read at each call, not cached: the layer
// reads a switch where a feature is set up (instance, device, surface), and tests change the
// environment between those within one process.
const char* switch_value(Switch which);
// Whether the switch is set to exactly `value`.
bool switch_is(Switch which, std::string_view value);

}  // namespace sb::util
