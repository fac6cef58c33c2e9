// A minimal XCB Vulkan app through the loader, for the X11 tests in the VM: an instance with the
// given layers, an XCB surface on the given window, the surface queries, and a swapchain of the
// window's size presenting frames: frame N cleared to the solid colour f(N)
// (tests/compositor/frame_colour.hpp), so that an observer can tell which frame it sees.
#pragma once

#include <xcb/xcb.h>
#define VK_USE_PLATFORM_XCB_KHR
#include <vulkan/vulkan.h>

#include <functional>
#include <vector>

#include "x11/x_server.hpp"

namespace sb::test::x11 {

struct Answers {
    VkBool32 supported = VK_FALSE;
    VkBool32 presentation_support = VK_FALSE;
    VkSurfaceCapabilitiesKHR caps{};
    std::vector<VkSurfaceFormatKHR> formats;
    std::vector<VkPresentModeKHR> modes;
    uint32_t frames_presented = 0;  // presents that gave VK_SUCCESS or VK_SUBOPTIMAL_KHR
    bool saw_suboptimal = false;
    VkResult last_result = VK_ERROR_UNKNOWN;  // the last acquire or present
    // CPU time inside each vkAcquireNextImageKHR and vkQueuePresentKHR, and the wall time of all
    // the frames: what tools/bench/frame-pacing-x11 prints.
    std::vector<double> acquire_us;
    std::vector<double> present_us;
    double seconds = 0;
    // With RunPlan::measure_latency: per frame shown, from the vkQueuePresentKHR call to the X
    // server's PresentCompleteNotify (its ust, CLOCK_MONOTONIC), in ms; skipped frames have none.
    std::vector<double> latency_ms;
};

// How run() presents: `frames` per swapchain, `swapchains` swapchains one after the other (each
// made with the last as oldSwapchain); `before_frame(n)` runs before the n-th frame overall.
struct RunPlan {
    uint32_t frames = 60;
    VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR;
    uint32_t swapchains = 1;
    std::function<void(uint32_t)> before_frame;
    // Select PresentCompleteNotify on the window (an event context of the app's own) and fill
    // Answers::latency_ms. Only for a layer that presents with Present (not PutImage).
    bool measure_latency = false;
};

// vkCreateXlibSurfaceKHR on a window opened with AppWindow::open_xlib() (xlib_window.cpp).
VkResult create_xlib_surface(VkInstance instance, const AppWindow& window, VkSurfaceKHR* surface);
VkBool32 xlib_presentation_support(VkPhysicalDevice gpu, const AppWindow& window,
                                   xcb_visualid_t visual);

class XcbApp {
  public:
    XcbApp(AppWindow& window, std::vector<const char*> layers);
    ~XcbApp();
    XcbApp(const XcbApp&) = delete;
    XcbApp& operator=(const XcbApp&) = delete;

    // The surface queries, then (if the surface has formats) the plan's presents. Stops at the
    // first acquire or present that fails (VK_SUBOPTIMAL_KHR goes on).
    Answers run(const RunPlan& plan);
    Answers run(uint32_t frames, VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR) {
        return run(RunPlan{frames, mode, 1, {}});
    }

  private:
    void present_frames(Answers& a, const RunPlan& plan);
    void present_on(VkSwapchainKHR swapchain, VkQueue queue, uint32_t first_frame, Answers& a,
                    const RunPlan& plan);
    static void record_frame(VkCommandBuffer commands, VkImage image, uint32_t frame);

    AppWindow& window_;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkPhysicalDevice gpu_ = VK_NULL_HANDLE;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
};

}  // namespace sb::test::x11
