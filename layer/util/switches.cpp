#include "util/switches.hpp"

#include <array>
#include <cstdlib>

namespace sb::util {
namespace {

constexpr std::array kSwitches{
    SwitchInfo{Switch::log, "SYNCBRIDGE_LOG", "error|warn|info|debug",
               "how much the layer logs to stderr (default warn)", false},
    SwitchInfo{Switch::mode, "SYNCBRIDGE_MODE", "auto|import|wait|passthrough",
               "the bridging strategy; auto picks the best the driver and kernel allow", false},
    SwitchInfo{Switch::memory, "SYNCBRIDGE_MEMORY", "layer",
               "the layer allocates swapchain dma-bufs even where the driver can export them",
               false},
    SwitchInfo{Switch::blocking_export, "SYNCBRIDGE_BLOCKING_EXPORT", "app",
               "a blocking SYNC_FD export runs on the app's thread (for comparison only)", false},
    SwitchInfo{Switch::wayland_sync, "SYNCBRIDGE_WAYLAND_SYNC", "auto|explicit|implicit",
               "Wayland: wp_linux_drm_syncobj_v1 where offered (auto), always, or never", false},
    SwitchInfo{Switch::test_disable_fence_transfer, "SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1",
               "no fences are bridged: consumers read unfinished frames (a control)", true},
    SwitchInfo{Switch::test_leak, "SYNCBRIDGE_TEST_LEAK", "1",
               "one allocation per instance is leaked (the leak checker's control)", true},
    SwitchInfo{Switch::test_no_syncobj_eventfd, "SYNCBRIDGE_TEST_NO_SYNCOBJ_EVENTFD", "1",
               "explicit sync polls release points as before Linux 6.6 (no syncobj eventfd)", true},
    SwitchInfo{Switch::test_fail_thread_start, "SYNCBRIDGE_TEST_FAIL_THREAD_START", "N",
               "the Nth thread the layer starts while this is set fails to start (as EAGAIN)",
               true},
    SwitchInfo{Switch::test_fault, "SYNCBRIDGE_TEST_FAULT", "SITE:CALL|every[:VALUE][,...]",
               "the CALLth call of a frame-path SITE (import_sync_file, import_release_fence, "
               "export_sync_file, get_semaphore_fd, import_semaphore_fd, import_fence_fd, "
               "alloc_dma_buf) fails with VALUE (an errno or VkResult name)",
               true},
};

constexpr bool in_enum_order() {
    for (size_t i = 0; i < kSwitches.size(); ++i) {
        if (static_cast<size_t>(kSwitches[i].which) != i) {
            return false;
        }
    }
    return true;
}
static_assert(in_enum_order(), "kSwitches must list every Switch in enum order");

}  // namespace

std::span<const SwitchInfo> all_switches() {
    return kSwitches;
}

const SwitchInfo& switch_info(Switch which) {
    return kSwitches[static_cast<size_t>(which)];
}

const char* switch_value(Switch which) {
    const char* value = std::getenv(switch_info(which).name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

bool switch_is(Switch which, std::string_view value) {
    const char* now = switch_value(which);
    return now != nullptr && value == now;
}

}  // namespace sb::util
