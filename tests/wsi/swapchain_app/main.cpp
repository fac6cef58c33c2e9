// syncbridge-swapchain-app: an ordinary Vulkan Wayland client for syncbridge's swapchain tests
// (see usage()). It knows nothing of the layer: whatever implements VK_KHR_wayland_surface and
// VK_KHR_swapchain under it (syncbridge over gpusim in the tests) presents its frames.
#include <cstdio>

#include "wsi/swapchain_app/app.hpp"
#include "wsi/swapchain_app/failure_injection.hpp"

using namespace sb::swapchain_app;

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

    auto window = Window::open(Size{options.width, options.height});
    if (!window) {
        std::printf("result: end=error expect=%s status=%d (no window)\n",
                    expect_name(options.expect), kExitError);
        return kExitError;
    }
    auto gpu = Gpu::create(window->display(), window->surface());
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
        App app(options, *window, *gpu);
        status = app.run();
    }  // the swapchain before the device, the device before the surface, then the window
    gpu.reset();
    window.reset();
    return status;
}
