#include "x11/xcb_app.hpp"

#include <gtest/gtest.h>

namespace sb::test::x11 {

XcbApp::XcbApp(AppWindow& window, std::vector<const char*> layers) : window_(window) {
    const char* extensions[] = {VK_KHR_SURFACE_EXTENSION_NAME, VK_KHR_XCB_SURFACE_EXTENSION_NAME};
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
Answers XcbApp::run(uint32_t frames, VkPresentModeKHR mode) {
    Answers a;
    if (instance_ == VK_NULL_HANDLE) {
        return a;
    }
    uint32_t count = 1;
    EXPECT_GE(vkEnumeratePhysicalDevices(instance_, &count, &gpu_), VK_SUCCESS);
    VkXcbSurfaceCreateInfoKHR surface_info{VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR};
    surface_info.connection = window_.connection;
    surface_info.window = window_.window;
    EXPECT_EQ(vkCreateXcbSurfaceKHR(instance_, &surface_info, nullptr, &surface_), VK_SUCCESS);
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(window_.connection)).data;
    a.presentation_support = vkGetPhysicalDeviceXcbPresentationSupportKHR(
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
    present_frames(a, frames, mode);
    return a;
}

void XcbApp::present_frames(Answers& a, uint32_t frames, VkPresentModeKHR mode) {
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
    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = surface_;
    info.minImageCount = a.caps.minImageCount;
    info.imageFormat = a.formats[0].format;
    info.imageColorSpace = a.formats[0].colorSpace;
    info.imageExtent = a.caps.currentExtent;
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    info.preTransform = a.caps.currentTransform;
    info.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    info.presentMode = mode;
    info.clipped = VK_TRUE;
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateSwapchainKHR(device_, &info, nullptr, &swapchain), VK_SUCCESS);
    VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore acquired = VK_NULL_HANDLE;
    VkSemaphore rendered = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateSemaphore(device_, &semaphore_info, nullptr, &acquired), VK_SUCCESS);
    ASSERT_EQ(vkCreateSemaphore(device_, &semaphore_info, nullptr, &rendered), VK_SUCCESS);
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    for (uint32_t f = 0; f < frames; ++f) {
        uint32_t index = 0;
        a.last_result = vkAcquireNextImageKHR(device_, swapchain, 2'000'000'000, acquired,
                                              VK_NULL_HANDLE, &index);
        if (a.last_result != VK_SUCCESS) {
            break;
        }
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &acquired;
        submit.pWaitDstStageMask = &stage;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &rendered;
        EXPECT_EQ(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE), VK_SUCCESS);
        VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
        present.waitSemaphoreCount = 1;
        present.pWaitSemaphores = &rendered;
        present.swapchainCount = 1;
        present.pSwapchains = &swapchain;
        present.pImageIndices = &index;
        a.last_result = vkQueuePresentKHR(queue, &present);
        if (a.last_result != VK_SUCCESS) {
            break;
        }
        ++a.frames_presented;
    }
    vkDeviceWaitIdle(device_);
    vkDestroySemaphore(device_, acquired, nullptr);
    vkDestroySemaphore(device_, rendered, nullptr);
    vkDestroySwapchainKHR(device_, swapchain, nullptr);
}

}  // namespace sb::test::x11
