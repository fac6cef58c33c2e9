#include "wsi/swapchain_app/failure_injection.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "wsi/swapchain_app/counting_allocator.hpp"
#include "wsi/swapchain_app/fd_count.hpp"
#include "wsi/swapchain_app/swapchain.hpp"

namespace sb::swapchain_app {
namespace {

// Open fds and live DRM syncobjs, to compare before and after an attempt.
struct Resources {
    std::optional<int> fds;
    int syncobjs = 0;
    static Resources now() { return Resources{settled_open_fds(), count_syncobj_handles()}; }
    bool operator==(const Resources& other) const = default;
};

// The largest N tried: far more allocations than one swapchain makes.
constexpr unsigned kMaxFailAt = 2000;

// Fails the Nth allocation for N = 1, 2, ... until creation succeeds.
bool check_allocation_failures(const Gpu& gpu, const Options& options, VkExtent2D wanted) {
    // One swapchain made and destroyed first: what the surface keeps for its next swapchain
    // (over explicit sync, the timelines' DRM fd) is then there before every count below.
    SwapchainState warm_up;
    if (const VkResult r = create_swapchain(gpu, options, wanted, VK_NULL_HANDLE, &warm_up);
        r != VK_SUCCESS) {
        std::printf("inject: FAIL the first swapchain, with no failure injected: %d\n", r);
        return false;
    }
    destroy_swapchain(gpu.device(), &warm_up);
    for (unsigned n = 1; n <= kMaxFailAt; ++n) {
        const Resources before = Resources::now();
        CountingAllocator allocator(n);
        SwapchainState state;
        const VkResult r =
            create_swapchain(gpu, options, wanted, VK_NULL_HANDLE, &state, allocator.callbacks());
        if (r == VK_SUCCESS) {
            const unsigned calls = allocator.calls();
            const auto images = static_cast<unsigned>(state.images.size());
            destroy_swapchain(gpu.device(), &state, allocator.callbacks());
            const Resources after = Resources::now();
            std::printf("inject: alloc N=%u result=0 calls=%u images=%u live_after_destroy=%zu\n",
                        n, calls, images, allocator.live());
            // A swapchain that allocated through the app's callbacks (N - 1 times, unless a
            // failure was absorbed) and gave it all back. The objects made for it use the
            // swapchain's allocator, as Mesa's WSI does: at least each image's VkImage and
            // VkDeviceMemory (for a driver that honours pAllocator, as Mesa's and gpusim do),
            // and the implementation's own record of the swapchain.
            const unsigned expected_calls = 2 * images + 1;
            if (calls < expected_calls || allocator.live() != 0 || !(after == before)) {
                std::printf(
                    "inject: FAIL the successful swapchain: %u calls through the "
                    "callbacks (want >= %u), %zu still allocated, fds %d -> %d, "
                    "syncobjs %d -> %d\n",
                    calls, expected_calls, allocator.live(), before.fds.value_or(-1),
                    after.fds.value_or(-1), before.syncobjs, after.syncobjs);
                return false;
            }
            std::printf("inject: allocation failures: %u attempts failed cleanly, then success\n",
                        n - 1);
            return true;
        }
        const Resources after = Resources::now();
        std::printf(
            "inject: alloc N=%u result=%d calls=%u failed=%u live=%zu fds=%d->%d "
            "syncobjs=%d->%d\n",
            n, r, allocator.calls(), allocator.failed(), allocator.live(), before.fds.value_or(-1),
            after.fds.value_or(-1), before.syncobjs, after.syncobjs);
        // The control: the error must be the injected failure's, so the Nth call happened.
        if (r != VK_ERROR_OUT_OF_HOST_MEMORY || allocator.failed() != 1 || allocator.live() != 0 ||
            !(after == before)) {
            std::printf(
                "inject: FAIL at N=%u (want VK_ERROR_OUT_OF_HOST_MEMORY after the "
                "injected failure, nothing left allocated, no fd or syncobj growth)\n",
                n);
            return false;
        }
    }
    std::printf("inject: FAIL no success within %u allocations\n", kMaxFailAt);
    return false;
}

// vkCreateDevice (the loader, the layer and the driver below it) with its allocation callbacks
// failing the Nth call, N = 1, 2, ... until it succeeds: OUT_OF_HOST_MEMORY each time, nothing
// left; the device that succeeds frees everything it took at vkDestroyDevice.
bool check_device_allocation_failures(const Gpu& gpu) {
    for (unsigned n = 1; n <= kMaxFailAt; ++n) {
        const Resources before = Resources::now();
        CountingAllocator allocator(n);
        VkDevice device = VK_NULL_HANDLE;
        const VkResult r = create_swapchain_device(gpu.physical_device(), gpu.queue_family(),
                                                   allocator.callbacks(), &device);
        if (r == VK_SUCCESS) {
            const unsigned calls = allocator.calls();
            vkDestroyDevice(device, allocator.callbacks());
            const Resources after = Resources::now();
            std::printf("inject: device N=%u result=0 calls=%u live_after_destroy=%zu\n", n, calls,
                        allocator.live());
            if (n == 1 || allocator.live() != 0 || !(after == before)) {
                std::printf(
                    "inject: FAIL the successful device: %u calls through the callbacks "
                    "(want > 0), %zu still allocated, fds %d -> %d\n",
                    calls, allocator.live(), before.fds.value_or(-1), after.fds.value_or(-1));
                return false;
            }
            std::printf(
                "inject: device allocation failures: %u attempts failed cleanly, then "
                "success\n",
                n - 1);
            return true;
        }
        const Resources after = Resources::now();
        std::printf("inject: device N=%u result=%d calls=%u failed=%u live=%zu fds=%d->%d\n", n, r,
                    allocator.calls(), allocator.failed(), allocator.live(),
                    before.fds.value_or(-1), after.fds.value_or(-1));
        if (r != VK_ERROR_OUT_OF_HOST_MEMORY || allocator.failed() != 1 || allocator.live() != 0 ||
            !(after == before)) {
            std::printf(
                "inject: FAIL device at N=%u (want VK_ERROR_OUT_OF_HOST_MEMORY after the "
                "injected failure, nothing left allocated, no fd growth)\n",
                n);
            return false;
        }
    }
    std::printf("inject: FAIL no device within %u allocations\n", kMaxFailAt);
    return false;
}

// The first thread the layer starts during vkCreateSwapchainKHR fails to start.
bool check_thread_start_failure(const Gpu& gpu, const Options& options, VkExtent2D wanted) {
    // The one place the app knows of the layer: its test switch, set only around this call.
    const char* kSwitch = "SYNCBRIDGE_TEST_FAIL_THREAD_START";
    const Resources before = Resources::now();
    SwapchainState state;
    ::setenv(kSwitch, "1", 1);
    const VkResult r = create_swapchain(gpu, options, wanted, VK_NULL_HANDLE, &state);
    ::unsetenv(kSwitch);
    if (r == VK_SUCCESS) {
        destroy_swapchain(gpu.device(), &state);
    }
    const Resources after = Resources::now();
    std::printf("inject: thread result=%d fds=%d->%d syncobjs=%d->%d\n", r, before.fds.value_or(-1),
                after.fds.value_or(-1), before.syncobjs, after.syncobjs);
    // Success here is the control failing: no thread start was made to fail.
    if (r >= 0 || !(after == before)) {
        std::printf(
            "inject: FAIL a failed thread start must fail vkCreateSwapchainKHR and "
            "leave nothing behind\n");
        return false;
    }
    return true;
}

}  // namespace

bool check_injected_failures(const Gpu& gpu, const Options& options, VkExtent2D wanted) {
    return check_device_allocation_failures(gpu) &&
           check_allocation_failures(gpu, options, wanted) &&
           check_thread_start_failure(gpu, options, wanted);
}

}  // namespace sb::swapchain_app
