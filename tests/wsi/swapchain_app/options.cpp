#include "wsi/swapchain_app/options.hpp"

#include <charconv>
#include <string_view>

namespace sb::swapchain_app {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return !text.empty() && ec == std::errc() && ptr == end;
}

std::optional<VkPresentModeKHR> parse_present_mode(std::string_view text) {
    if (text == "fifo") {
        return VK_PRESENT_MODE_FIFO_KHR;
    }
    if (text == "mailbox") {
        return VK_PRESENT_MODE_MAILBOX_KHR;
    }
    if (text == "immediate") {
        return VK_PRESENT_MODE_IMMEDIATE_KHR;
    }
    if (text == "fifo_relaxed") {
        return VK_PRESENT_MODE_FIFO_RELAXED_KHR;
    }
    return std::nullopt;
}

std::optional<Expect> parse_expect(std::string_view text) {
    for (Expect e : {Expect::frames, Expect::surface_lost, Expect::timeout, Expect::recreate}) {
        if (text == expect_name(e)) {
            return e;
        }
    }
    return std::nullopt;
}

// One flag with its value; false when the value is bad.
bool apply(std::string_view flag, std::string_view value, Options& o) {
    if (flag == "--frames") {
        return parse_number(value, o.frames) && o.frames > 0;
    }
    if (flag == "--present-mode") {
        auto mode = parse_present_mode(value);
        o.present_mode = mode.value_or(o.present_mode);
        return mode.has_value();
    }
    if (flag == "--width") {
        return parse_number(value, o.width) && o.width > 0;
    }
    if (flag == "--height") {
        return parse_number(value, o.height) && o.height > 0;
    }
    if (flag == "--images") {
        return parse_number(value, o.image_count);
    }
    if (flag == "--recreate") {
        return parse_number(value, o.recreate);
    }
    if (flag == "--recreate-every") {
        return parse_number(value, o.recreate_every) && o.recreate_every > 0;
    }
    if (flag == "--acquire-timeout-ns") {
        return parse_number(value, o.acquire_timeout_ns);
    }
    if (flag == "--feedback-drain-ms") {
        return parse_number(value, o.feedback_drain_ms);
    }
    if (flag == "--windows") {
        return parse_number(value, o.windows) && o.windows > 0;
    }
    if (flag == "--sample-every") {
        return parse_number(value, o.sample_every);
    }
    if (flag == "--expect") {
        auto expect = parse_expect(value);
        o.expect = expect.value_or(o.expect);
        return expect.has_value();
    }
    return false;
}

}  // namespace

const char* present_mode_name(VkPresentModeKHR mode) {
    switch (mode) {
        case VK_PRESENT_MODE_FIFO_KHR:
            return "fifo";
        case VK_PRESENT_MODE_MAILBOX_KHR:
            return "mailbox";
        case VK_PRESENT_MODE_IMMEDIATE_KHR:
            return "immediate";
        case VK_PRESENT_MODE_FIFO_RELAXED_KHR:
            return "fifo_relaxed";
        default:
            return "other";
    }
}

const char* expect_name(Expect expect) {
    switch (expect) {
        case Expect::frames:
            return "frames";
        case Expect::surface_lost:
            return "surface-lost";
        case Expect::timeout:
            return "timeout";
        case Expect::recreate:
            return "recreate";
    }
    return "?";
}

const char* usage() {
    return "usage: syncbridge-swapchain-app [options]\n"
           "A Vulkan Wayland client: an xdg_toplevel on $WAYLAND_DISPLAY, a swapchain on it, "
           "frame\n"
           "N cleared to the test compositor's colour f(N) and presented.\n"
           "  --frames N               frames to draw (default 300)\n"
           "  --present-mode M         fifo|mailbox|immediate|fifo_relaxed (default fifo)\n"
           "  --width N, --height N    size when the compositor leaves it open (default 256)\n"
           "  --images N               swapchain images (default minImageCount + 1)\n"
           "  --recreate N             recreate the swapchain (oldSwapchain) N times ...\n"
           "  --recreate-every K       ... after every K frames (default 3); the run draws at\n"
           "                           least (N + 1) * K frames\n"
           "  --acquire-timeout-ns N   vkAcquireNextImageKHR timeout (default UINT64_MAX)\n"
           "  --fd-check               fail when /proc/self/fd or the DRM syncobj handles grew\n"
           "                           between frame 10 and the end\n"
           "  --leak-syncobj-control   leak a DRM syncobj at every requested recreation (the\n"
           "                           fd check's control)\n"
           "  --leak-fd-control        leak an fd before every sample (the soak's control)\n"
           "  --inject-failures        first create devices, then swapchains, whose allocation\n"
           "                           callbacks fail the Nth call (N = 1, 2, ... until one\n"
           "                           succeeds), then a swapchain\n"
           "                           with the layer's first thread start failing\n"
           "                           (SYNCBRIDGE_TEST_FAIL_THREAD_START=1): each must fail\n"
           "                           cleanly (no fd, syncobj or allocation left), then the\n"
           "                           run goes on as usual\n"
           "  --acquire-fence          acquire with a fence too, and wait for it\n"
           "  --windows N              N windows at once, each with its own connection, Vulkan\n"
           "                           instance, device and swapchain, each run on a thread of\n"
           "                           its own (default 1: the main thread); one result line each\n"
           "  --present-thread         present on a thread of its own, acquire and submit on the\n"
           "                           frame loop's (each present handed over and waited for)\n"
           "  --count-allocations      device and swapchain with counting allocation callbacks;\n"
           "                           prints 'allocation-callbacks: calls=N live=M' at the end\n"
           "  --render-only            draw into images like the swapchain's, never acquire or\n"
           "                           present (the present path's physical limit)\n"
           "  --sample-every N         every N frames, the GPU idle, print a 'sample:' line:\n"
           "                           open fds, threads, resident kB, syncobj handles\n"
           "  --feedback-drain-ms N    wait at the end for presentation feedback (default 2000)\n"
           "  --expect WHAT            how the run must end to exit 0:\n"
           "       frames        every frame drawn and presented (default)\n"
           "       surface-lost  VK_ERROR_SURFACE_LOST_KHR from acquire or present\n"
           "       timeout       acquire gives VK_TIMEOUT, then VK_NOT_READY with timeout 0\n"
           "       recreate      a resize (configure, SUBOPTIMAL, OUT_OF_DATE), then frames\n"
           "Prints one 'result:' line and one 'pacing:' line. Exit status: 0 as expected;\n"
           "1 error; 2 fd growth; 3 surface lost (not expected); 4 the expected outcome did not\n"
           "happen; 5 acquire timed out (not expected); 64 usage.\n";
}

ParsedOptions parse_options(int argc, const char* const* argv) {
    ParsedOptions parsed;
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            parsed.help = true;
            return parsed;
        }
        if (flag == "--fd-check") {
            options.fd_check = true;
            continue;
        }
        if (flag == "--present-thread") {
            options.present_thread = true;
            continue;
        }
        if (flag == "--inject-failures") {
            options.inject_failures = true;
            continue;
        }
        if (flag == "--count-allocations") {
            options.count_allocations = true;
            continue;
        }
        if (flag == "--render-only") {
            options.render_only = true;
            continue;
        }
        if (flag == "--acquire-fence") {
            options.acquire_fence = true;
            continue;
        }
        if (flag == "--leak-fd-control") {
            options.leak_fd_control = true;
            continue;
        }
        if (flag == "--leak-syncobj-control") {
            options.leak_syncobj_control = true;
            continue;
        }
        if (i + 1 >= argc) {
            parsed.error = std::string(flag) + ": missing value (or unknown option)";
            return parsed;
        }
        const std::string_view value = argv[++i];
        if (!apply(flag, value, options)) {
            parsed.error =
                std::string(flag) + ": unknown option or bad value '" + std::string(value) + "'";
            return parsed;
        }
    }
    parsed.options = options;
    return parsed;
}

}  // namespace sb::swapchain_app
