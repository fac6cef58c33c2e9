// The swapchain app's command line.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sb::swapchain_app {

// What a run must end with for the app to exit 0 (see usage()).
enum class Expect : uint8_t {
    frames,        // every frame drawn and presented
    surface_lost,  // VK_ERROR_SURFACE_LOST_KHR from acquire or present
    timeout,       // acquire gives VK_TIMEOUT (finite timeout), then VK_NOT_READY (timeout 0)
    recreate,      // a resize (configure, SUBOPTIMAL or OUT_OF_DATE) and frames after it
};

struct Options {
    uint32_t frames = 300;
    VkPresentModeKHR present_mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t width = 256;
    uint32_t height = 256;
    uint32_t image_count = 0;  // 0: minImageCount + 1
    uint32_t recreate = 0;     // swapchain recreations asked for
    uint32_t recreate_every = 3;
    uint64_t acquire_timeout_ns = UINT64_MAX;
    bool fd_check = false;
    // The fd check's control: a DRM syncobj leaked at every requested recreation.
    bool leak_syncobj_control = false;
    // The soak's control: an fd opened and never closed before every sample.
    bool leak_fd_control = false;
    // Before the run: vkCreateSwapchainKHR with allocation callbacks that fail the Nth call,
    // N = 1, 2, ... until it succeeds, then with the layer's first thread start failing.
    bool inject_failures = false;
    // Acquires pass a fence as well as the semaphore, and the app waits for it.
    bool acquire_fence = false;
    Expect expect = Expect::frames;
    // How long the end of the run waits for outstanding presentation feedback.
    uint32_t feedback_drain_ms = 2000;
    // Windows, each with its own connection, Vulkan instance and device, swapchain and thread
    // (1: the frame loop on the main thread).
    uint32_t windows = 1;
    // vkQueuePresentKHR on a thread of its own, handed each frame after the submit.
    bool present_thread = false;
    // Every N frames (0: never), the GPU idle, a "sample:" line with the process's open fds,
    // threads, resident memory and DRM syncobj handles (the soak's growth checks).
    uint32_t sample_every = 0;
    // The frames drawn into images like the swapchain's and waited for, never acquired or
    // presented: the frame-pacing benchmark's physical limit of the present path.
    bool render_only = false;
    // The device and swapchain made with counting allocation callbacks; the calls are printed
    // at the end ("allocation-callbacks:"), for the per-frame cost.
    bool count_allocations = false;
};

struct ParsedOptions {
    std::optional<Options> options;
    bool help = false;
    std::string error;
};

ParsedOptions parse_options(int argc, const char* const* argv);
const char* usage();
const char* present_mode_name(VkPresentModeKHR mode);
const char* expect_name(Expect expect);

}  // namespace sb::swapchain_app
