#include "x11/xcb_app.hpp"

#include <gtest/gtest.h>
#include <xcb/present.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "compositor/frame_colour.hpp"

namespace sb::test::x11 {

namespace {

// The app's own view of its window's presents: PresentCompleteNotify on an event context of its
// own, delivered to a special-event queue, so that the layer's events (on its own context) and
// the app's event loop are untouched. A thread of its own takes each event as it arrives: the
// completion time is the server's ust where it gives one, else the arrival (Xorg on the VM's
// CRTC-less virtio-gpu completes with ust 0), at most the 1 ms poll late.
class CompletionWatch {
  public:
    CompletionWatch(xcb_connection_t* connection, xcb_window_t window)
        : connection_(connection), window_(window) {
        const xcb_query_extension_reply_t* present =
            xcb_get_extension_data(connection_, &xcb_present_id);
        if (present == nullptr || present->present == 0) {
            return;
        }
        event_id_ = xcb_generate_id(connection_);
        queue_ = xcb_register_for_special_xge(connection_, &xcb_present_id, event_id_, nullptr);
        xcb_present_select_input(connection_, event_id_, window_,
                                 XCB_PRESENT_EVENT_MASK_COMPLETE_NOTIFY);
        xcb_flush(connection_);
        thread_ = std::thread([this] { take_events(); });
    }
    ~CompletionWatch() {
        if (queue_ == nullptr) {
            return;
        }
        stop_ = true;
        thread_.join();
        xcb_present_select_input(connection_, event_id_, window_, 0);
        xcb_unregister_for_special_event(connection_, queue_);
        xcb_flush(connection_);
    }
    CompletionWatch(const CompletionWatch&) = delete;
    CompletionWatch& operator=(const CompletionWatch&) = delete;

    // When each pixmap present completed, in order (nullopt: skipped), up to `count` of them,
    // waiting up to `timeout` for the last ones.
    std::vector<std::optional<std::chrono::steady_clock::time_point>> completions(
        size_t count, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, timeout, [&] { return completed_.size() >= count; });
        return completed_;
    }

  private:
    void take_events() {
        while (!stop_) {
            xcb_generic_event_t* event = xcb_poll_for_special_event(connection_, queue_);
            if (event == nullptr) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            const auto now = std::chrono::steady_clock::now();
            const auto* complete = reinterpret_cast<xcb_present_complete_notify_event_t*>(event);
            if (complete->event_type == XCB_PRESENT_EVENT_COMPLETE_NOTIFY &&
                complete->kind == XCB_PRESENT_COMPLETE_KIND_PIXMAP) {
                std::optional<std::chrono::steady_clock::time_point> at;
                if (complete->mode != XCB_PRESENT_COMPLETE_MODE_SKIP) {
                    // steady_clock is CLOCK_MONOTONIC, the clock of the server's ust.
                    at = complete->ust != 0 ? std::chrono::steady_clock::time_point(
                                                  std::chrono::microseconds(complete->ust))
                                            : now;
                }
                const std::lock_guard lock(mutex_);
                completed_.push_back(at);
                arrived_.notify_all();
            }
            std::free(event);
        }
    }

    xcb_connection_t* connection_;
    xcb_window_t window_;
    uint32_t event_id_ = 0;
    xcb_special_event_t* queue_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<std::optional<std::chrono::steady_clock::time_point>> completed_;
};

}  // namespace

XcbApp::XcbApp(AppWindow& window, std::vector<const char*> layers) : window_(window) {
    const char* extensions[] = {
        VK_KHR_SURFACE_EXTENSION_NAME,
        window.xlib_display != nullptr ? "VK_KHR_xlib_surface" : VK_KHR_XCB_SURFACE_EXTENSION_NAME};
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = 2;
    info.ppEnabledExtensionNames = extensions;
    EXPECT_EQ(vkCreateInstance(&info, nullptr, &instance_), VK_SUCCESS);
}

XcbApp::~XcbApp() {
    if (device_ != VK_NULL_HANDLE) {
        vkDestroyDevice(device_, nullptr);
    }
    if (surface_ != VK_NULL_HANDLE) {
        vkDestroySurfaceKHR(instance_, surface_, nullptr);
    }
    if (instance_ != VK_NULL_HANDLE) {
        vkDestroyInstance(instance_, nullptr);
    }
}
Answers XcbApp::run(const RunPlan& plan) {
    Answers a;
    if (instance_ == VK_NULL_HANDLE) {
        return a;
    }
    uint32_t count = 1;
    EXPECT_GE(vkEnumeratePhysicalDevices(instance_, &count, &gpu_), VK_SUCCESS);
    VkXcbSurfaceCreateInfoKHR surface_info{VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR};
    surface_info.connection = window_.connection;
    surface_info.window = window_.window;
    if (window_.xlib_display != nullptr) {
        EXPECT_EQ(create_xlib_surface(instance_, window_, &surface_), VK_SUCCESS);
    } else {
        EXPECT_EQ(vkCreateXcbSurfaceKHR(instance_, &surface_info, nullptr, &surface_), VK_SUCCESS);
    }
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(window_.connection)).data;
    // Only the enabled surface extension's query: the loader does not run the other.
    a.presentation_support = window_.xlib_display != nullptr
                                 ? xlib_presentation_support(gpu_, window_, screen->root_visual)
                                 : vkGetPhysicalDeviceXcbPresentationSupportKHR(
                                       gpu_, 0, window_.connection, screen->root_visual);
    EXPECT_EQ(vkGetPhysicalDeviceSurfaceSupportKHR(gpu_, 0, surface_, &a.supported), VK_SUCCESS);
    EXPECT_EQ(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu_, surface_, &a.caps), VK_SUCCESS);
    uint32_t n = 0;
    EXPECT_EQ(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu_, surface_, &n, nullptr), VK_SUCCESS);
    a.formats.resize(n);
    EXPECT_EQ(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu_, surface_, &n, a.formats.data()),
              VK_SUCCESS);
    n = 0;
    EXPECT_EQ(vkGetPhysicalDeviceSurfacePresentModesKHR(gpu_, surface_, &n, nullptr), VK_SUCCESS);
    a.modes.resize(n);
    EXPECT_EQ(vkGetPhysicalDeviceSurfacePresentModesKHR(gpu_, surface_, &n, a.modes.data()),
              VK_SUCCESS);
    if (a.formats.empty()) {
        return a;
    }
    present_frames(a, plan);
    return a;
}

void XcbApp::present_frames(Answers& a, const RunPlan& plan) {
    const float priority = 1.0F;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    const char* extension = VK_KHR_SWAPCHAIN_EXTENSION_NAME;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    device_info.enabledExtensionCount = 1;
    device_info.ppEnabledExtensionNames = &extension;
    ASSERT_EQ(vkCreateDevice(gpu_, &device_info, nullptr, &device_), VK_SUCCESS);
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(device_, 0, 0, &queue);
    VkSurfaceFormatKHR format = a.formats[0];
    for (const VkSurfaceFormatKHR& offered : a.formats) {
        if (offered.format == VK_FORMAT_B8G8R8A8_UNORM) {
            format = offered;  // frame colours are exact words only without sRGB encoding
        }
    }
    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = surface_;
    info.minImageCount = a.caps.minImageCount;
    info.imageFormat = format.format;
    info.imageColorSpace = format.colorSpace;
    info.imageExtent = a.caps.currentExtent;
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    info.preTransform = a.caps.currentTransform;
    info.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    info.presentMode = plan.mode;
    info.clipped = VK_TRUE;
    VkSwapchainKHR old = VK_NULL_HANDLE;
    for (uint32_t s = 0; s < plan.swapchains; ++s) {
        info.oldSwapchain = old;
        VkSwapchainKHR swapchain = VK_NULL_HANDLE;
        a.last_result = vkCreateSwapchainKHR(device_, &info, nullptr, &swapchain);
        vkDestroySwapchainKHR(device_, old, nullptr);
        old = swapchain;
        if (a.last_result != VK_SUCCESS) {
            break;
        }
        present_on(swapchain, queue, s * plan.frames, a, plan);
        if (a.last_result < 0) {
            break;
        }
    }
    vkDestroySwapchainKHR(device_, old, nullptr);
}

void XcbApp::present_on(VkSwapchainKHR swapchain, VkQueue queue, uint32_t first_frame, Answers& a,
                        const RunPlan& plan) {
    uint32_t count = 0;
    ASSERT_EQ(vkGetSwapchainImagesKHR(device_, swapchain, &count, nullptr), VK_SUCCESS);
    std::vector<VkImage> images(count);
    ASSERT_EQ(vkGetSwapchainImagesKHR(device_, swapchain, &count, images.data()), VK_SUCCESS);

    // Per image: its command buffer, the fence of its last submit, its render-done semaphore.
    // Acquire semaphores: a ring one longer than the images.
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    VkCommandPool pool = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateCommandPool(device_, &pool_info, nullptr, &pool), VK_SUCCESS);
    std::vector<VkCommandBuffer> commands(count);
    VkCommandBufferAllocateInfo commands_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    commands_info.commandPool = pool;
    commands_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    commands_info.commandBufferCount = count;
    ASSERT_EQ(vkAllocateCommandBuffers(device_, &commands_info, commands.data()), VK_SUCCESS);
    const VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    std::vector<VkFence> done(count);
    std::vector<VkSemaphore> rendered(count);
    std::vector<VkSemaphore> acquired(count + 1);
    for (uint32_t i = 0; i < count; ++i) {
        ASSERT_EQ(vkCreateFence(device_, &fence_info, nullptr, &done[i]), VK_SUCCESS);
        ASSERT_EQ(vkCreateSemaphore(device_, &semaphore_info, nullptr, &rendered[i]), VK_SUCCESS);
    }
    for (VkSemaphore& semaphore : acquired) {
        ASSERT_EQ(vkCreateSemaphore(device_, &semaphore_info, nullptr, &semaphore), VK_SUCCESS);
    }
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    using Clock = std::chrono::steady_clock;
    const auto micros = [](Clock::duration d) {
        return std::chrono::duration<double, std::micro>(d).count();
    };
    std::optional<CompletionWatch> watch;
    if (plan.measure_latency) {
        watch.emplace(window_.connection, window_.window);
    }
    std::vector<Clock::time_point> presented_at;
    const auto started = Clock::now();
    for (uint32_t i = 0; i < plan.frames; ++i) {
        const uint32_t f = first_frame + i;
        if (plan.before_frame) {
            plan.before_frame(f);
        }
        uint32_t index = 0;
        const VkSemaphore acquire = acquired[i % acquired.size()];
        auto before = Clock::now();
        a.last_result = vkAcquireNextImageKHR(device_, swapchain, 2'000'000'000, acquire,
                                              VK_NULL_HANDLE, &index);
        a.acquire_us.push_back(micros(Clock::now() - before));
        a.saw_suboptimal |= a.last_result == VK_SUBOPTIMAL_KHR;
        if (a.last_result != VK_SUCCESS && a.last_result != VK_SUBOPTIMAL_KHR) {
            break;
        }
        ASSERT_EQ(vkWaitForFences(device_, 1, &done[index], VK_TRUE, 5'000'000'000), VK_SUCCESS);
        ASSERT_EQ(vkResetFences(device_, 1, &done[index]), VK_SUCCESS);
        record_frame(commands[index], images[index], f);
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &acquire;
        submit.pWaitDstStageMask = &stage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &commands[index];
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &rendered[index];
        EXPECT_EQ(vkQueueSubmit(queue, 1, &submit, done[index]), VK_SUCCESS);
        VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
        present.waitSemaphoreCount = 1;
        present.pWaitSemaphores = &rendered[index];
        present.swapchainCount = 1;
        present.pSwapchains = &swapchain;
        present.pImageIndices = &index;
        before = Clock::now();
        presented_at.push_back(before);
        a.last_result = vkQueuePresentKHR(queue, &present);
        a.present_us.push_back(micros(Clock::now() - before));
        a.saw_suboptimal |= a.last_result == VK_SUBOPTIMAL_KHR;
        if (a.last_result != VK_SUCCESS && a.last_result != VK_SUBOPTIMAL_KHR) {
            break;
        }
        ++a.frames_presented;
    }
    a.seconds += std::chrono::duration<double>(Clock::now() - started).count();
    if (watch) {
        const auto completed = watch->completions(presented_at.size(), std::chrono::seconds(2));
        for (size_t k = 0; k < completed.size(); ++k) {
            if (completed[k]) {
                a.latency_ms.push_back(
                    std::chrono::duration<double, std::milli>(*completed[k] - presented_at[k])
                        .count());
            }
        }
    }
    // Every submit of this swapchain's frames done before its semaphores and pool go (a lost
    // surface leaves the app's own work to finish).
    (void)vkWaitForFences(device_, count, done.data(), VK_TRUE, 5'000'000'000);
    (void)vkQueueWaitIdle(queue);
    for (uint32_t i = 0; i < count; ++i) {
        vkDestroyFence(device_, done[i], nullptr);
        vkDestroySemaphore(device_, rendered[i], nullptr);
    }
    for (VkSemaphore semaphore : acquired) {
        vkDestroySemaphore(device_, semaphore, nullptr);
    }
    vkDestroyCommandPool(device_, pool, nullptr);
}

// Frame `frame` is the solid colour f(frame) (tests/compositor/frame_colour.hpp), as B8G8R8A8.
void XcbApp::record_frame(VkCommandBuffer commands, VkImage image, uint32_t frame) {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    ASSERT_EQ(vkBeginCommandBuffer(commands, &begin), VK_SUCCESS);
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageMemoryBarrier to_clear{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    to_clear.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_clear.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_clear.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_clear.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_clear.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_clear.image = image;
    to_clear.subresourceRange = range;
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         0, 0, nullptr, 0, nullptr, 1, &to_clear);
    const uint32_t pixel = compositor::frame_pixel(frame);
    VkClearColorValue colour{};
    colour.float32[0] = static_cast<float>((pixel >> 16) & 0xFFU) / 255.0F;
    colour.float32[1] = static_cast<float>((pixel >> 8) & 0xFFU) / 255.0F;
    colour.float32[2] = static_cast<float>(pixel & 0xFFU) / 255.0F;
    colour.float32[3] = 1.0F;
    vkCmdClearColorImage(commands, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
    VkImageMemoryBarrier to_present = to_clear;
    to_present.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_present.dstAccessMask = 0;
    to_present.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_present.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0, nullptr, 1,
                         &to_present);
    ASSERT_EQ(vkEndCommandBuffer(commands), VK_SUCCESS);
}

}  // namespace sb::test::x11
