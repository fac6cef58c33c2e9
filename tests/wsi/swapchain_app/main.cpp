// syncbridge-swapchain-app: an ordinary Vulkan Wayland client for syncbridge's swapchain tests
// (see usage()). It knows nothing of the layer: whatever implements VK_KHR_wayland_surface and
// VK_KHR_swapchain under it (syncbridge over gpusim in the tests) presents its frames.
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "wsi/swapchain_app/app.hpp"
#include "wsi/swapchain_app/counting_allocator.hpp"
#include "wsi/swapchain_app/failure_injection.hpp"

using namespace sb::swapchain_app;

namespace {

// One window's whole run: its connection, Vulkan instance and device, swapchain and frames.
int run_window(const Options& options) {
    auto window = Window::open(Size{options.width, options.height});
    if (!window) {
        std::printf("result: end=error expect=%s status=%d (no window)\n",
                    expect_name(options.expect), kExitError);
        return kExitError;
    }
    // --count-allocations: what the device and swapchain (the layer's part of them included)
    // allocate through the app's callbacks.
    std::optional<CountingAllocator> counting;
    const VkAllocationCallbacks* alloc = nullptr;
    if (options.count_allocations) {
        alloc = counting.emplace(0).callbacks();
    }
    auto gpu = Gpu::create(window->display(), window->surface(), alloc);
    if (!gpu) {
        std::printf("result: end=error expect=%s status=%d (no Vulkan device or surface)\n",
                    expect_name(options.expect), kExitError);
        return kExitError;
    }
    if (options.inject_failures &&
        !check_injected_failures(*gpu, options, VkExtent2D{options.width, options.height})) {
        std::printf("result: end=error expect=%s status=%d (injected failures)\n",
                    expect_name(options.expect), kExitError);
        return kExitError;
    }
    int status = kExitError;
    {
        App app(options, *window, *gpu, alloc);
        status = app.run();
    }  // the swapchain before the device, the device before the surface, then the window
    gpu.reset();
    if (counting) {
        std::printf("allocation-callbacks: calls=%u live=%zu\n", counting->calls(),
                    counting->live());
    }
    window.reset();
    return status;
}

// --windows N: the windows' runs at once, each on a thread of its own, as an app with several
// windows and a render thread per window does: the layer's global state, and its threads of N
// swapchains, against N app threads. The first non-zero status is the app's.
int run_windows(const Options& options) {
    std::mutex status_mutex;
    int status = kExitOk;
    std::vector<std::thread> threads;
    threads.reserve(options.windows);
    for (uint32_t i = 0; i < options.windows; ++i) {
        threads.emplace_back([&] {
            const int own = run_window(options);
            const std::scoped_lock lock(status_mutex);
            if (status == kExitOk) {
                status = own;
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    const ParsedOptions parsed = parse_options(argc, argv);
    if (parsed.help) {
        std::fputs(usage(), stdout);
        return kExitOk;
    }
    if (!parsed.options) {
        std::fprintf(stderr, "syncbridge-swapchain-app: %s\n%s", parsed.error.c_str(), usage());
        return kExitUsage;
    }
    const Options& options = *parsed.options;
    // Unbuffered progress on stderr; the result lines on stdout, flushed as they are printed.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return options.windows == 1 ? run_window(options) : run_windows(options);
}
