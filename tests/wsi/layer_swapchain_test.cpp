// The layer's Wayland swapchain through the real loader, as the Vulkan CTS's dEQP-VK.wsi.wayland
// groups drive it: syncbridge over gpusim in the test VM, in front of the test compositor. Each
// test is a CTS finding (issue #16) made a regression test:
//  - query_surface_counters: the EXT capabilities query answered by the layer, as the KHR one;
//  - private_data: private data on a layer-owned swapchain never reaches the driver;
//  - (debug names and tags: the same class of bug, found by reading);
//  - image_swapchain_create_info: an image aliasing a swapchain image, made and bound through
//    structs that name the layer's swapchain;
//  - simulate_oom: every allocation of a swapchain's creation may fail, and the result is
//    VK_ERROR_OUT_OF_HOST_MEMORY with nothing leaked or freed through the wrong allocator; and an
//    allocator that refuses zero-byte requests (the CTS's) sees no bad free in vkCreateDevice.
#include <gtest/gtest.h>
#include <stdlib.h>
#define VK_USE_PLATFORM_WAYLAND_KHR
#include <vulkan/vulkan.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "layer/vk_app.hpp"
#include "support/recording_allocator.hpp"
#include "wayland/compositor_process.hpp"
#include "wayland/test_app.hpp"

namespace sb::test {
namespace {

using namespace std::chrono_literals;
using wayland::CompositorProcess;
using wayland::TestApp;

bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name) {
    return std::any_of(list.begin(), list.end(), [&](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, name) == 0;
    });
}

std::vector<VkExtensionProperties> instance_extensions() {
    uint32_t count = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> list(count);
    vkEnumerateInstanceExtensionProperties(nullptr, &count, list.data());
    list.resize(count);
    return list;
}

class LayerSwapchain : public ::testing::Test {
  protected:
    void SetUp() override {
        ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
        ::setenv("SYNCBRIDGE_MODE", "import", 1);
        // Read once, at the layer's first load: the probe's result is logged at info.
        ::setenv("SYNCBRIDGE_LOG", "info", 1);
        std::string error;
        compositor_ = CompositorProcess::start(SYNCBRIDGE_TEST_COMPOSITOR, {}, 10s, &error);
        ASSERT_NE(compositor_, nullptr) << error;
        app_ = TestApp::connect_name(compositor_->socket_name().c_str());
        ASSERT_NE(app_, nullptr);
    }

    void TearDown() override {
        if (device_ != VK_NULL_HANDLE) {
            vkDestroyDevice(device_, alloc());
        }
        if (surface_ != VK_NULL_HANDLE) {
            vkDestroySurfaceKHR(instance_, surface_, alloc());
        }
        if (instance_ != VK_NULL_HANDLE) {
            vkDestroyInstance(instance_, alloc());
        }
        EXPECT_EQ(allocator_.live(), 0U) << "allocations of the instance, surface or device";
        EXPECT_EQ(allocator_.errors(), std::vector<std::string>{});
    }

    // Instance (syncbridge over gpusim), Wayland surface and device, all through the recording
    // allocator (never failing), as the CTS's OOM cases make them.
    void create_device() {
        const auto available = instance_extensions();
        std::vector<const char*> extensions = {VK_KHR_SURFACE_EXTENSION_NAME,
                                               VK_KHR_WAYLAND_SURFACE_EXTENSION_NAME,
                                               VK_KHR_GET_SURFACE_CAPABILITIES_2_EXTENSION_NAME};
        for (const char* optional :
             {VK_EXT_DEBUG_UTILS_EXTENSION_NAME, VK_KHR_DISPLAY_EXTENSION_NAME,
              VK_EXT_DISPLAY_SURFACE_COUNTER_EXTENSION_NAME}) {
            if (has_extension(available, optional)) {
                extensions.push_back(optional);
            }
        }
        has_surface_counter_ =
            has_extension(available, VK_EXT_DISPLAY_SURFACE_COUNTER_EXTENSION_NAME);
        has_debug_utils_ = has_extension(available, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        const char* layers[] = {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"};
        VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
        app.apiVersion = VK_API_VERSION_1_3;
        VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
        info.pApplicationInfo = &app;
        info.enabledLayerCount = 2;
        info.ppEnabledLayerNames = layers;
        info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
        info.ppEnabledExtensionNames = extensions.data();
        ASSERT_EQ(vkCreateInstance(&info, alloc(), &instance_), VK_SUCCESS);
        uint32_t count = 1;
        ASSERT_GE(vkEnumeratePhysicalDevices(instance_, &count, &gpu_), VK_SUCCESS);
        ASSERT_EQ(count, 1U);

        VkWaylandSurfaceCreateInfoKHR surface_info{
            VK_STRUCTURE_TYPE_WAYLAND_SURFACE_CREATE_INFO_KHR};
        surface_info.display = app_->display();
        surface_info.surface = app_->surface();
        ASSERT_EQ(vkCreateWaylandSurfaceKHR(instance_, &surface_info, alloc(), &surface_),
                  VK_SUCCESS);

        VkPhysicalDeviceProperties props{};
        vkGetPhysicalDeviceProperties(gpu_, &props);
        core_private_data_ = props.apiVersion >= VK_API_VERSION_1_3;
        VkPhysicalDevicePrivateDataFeatures private_data{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRIVATE_DATA_FEATURES};
        private_data.privateData = VK_TRUE;
        const float priority = 1.0F;
        VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        queue.queueCount = 1;
        queue.pQueuePriorities = &priority;
        const char* device_extensions[] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME,
                                           VK_EXT_PRIVATE_DATA_EXTENSION_NAME};
        VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
        device_info.pNext = &private_data;
        device_info.queueCreateInfoCount = 1;
        device_info.pQueueCreateInfos = &queue;
        device_info.enabledExtensionCount = 2;
        device_info.ppEnabledExtensionNames = device_extensions;
        ASSERT_EQ(vkCreateDevice(gpu_, &device_info, alloc(), &device_), VK_SUCCESS);
    }

    [[nodiscard]] VkSwapchainCreateInfoKHR swapchain_info() const {
        VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
        info.surface = surface_;
        info.minImageCount = 3;
        info.imageFormat = VK_FORMAT_B8G8R8A8_UNORM;
        info.imageColorSpace = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
        info.imageExtent = {64, 64};
        info.imageArrayLayers = 1;
        info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
        info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
        info.preTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
        info.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
        info.presentMode = VK_PRESENT_MODE_FIFO_KHR;
        info.clipped = VK_TRUE;
        return info;
    }

    template <typename F>
    F instance_proc(const char* name) {
        return reinterpret_cast<F>(vkGetInstanceProcAddr(instance_, name));
    }
    template <typename F>
    F device_proc(const char* name) {
        return reinterpret_cast<F>(vkGetDeviceProcAddr(device_, name));
    }
    [[nodiscard]] const VkAllocationCallbacks* alloc() const { return allocator_.callbacks(); }

    RecordingAllocator allocator_;
    std::unique_ptr<CompositorProcess> compositor_;
    std::unique_ptr<TestApp> app_;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkPhysicalDevice gpu_ = VK_NULL_HANDLE;
    VkSurfaceKHR surface_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    bool has_surface_counter_ = false;
    bool has_debug_utils_ = false;
    bool core_private_data_ = false;
};

// simulate_oom (the CTS's 11 aborts, `free(): invalid pointer`, inside vkCreateDevice): the CTS's
// allocator answers a zero-byte request with NULL. lavapipe 22.3.6 asks for zero bytes when it
// records a barrier with no barriers of a kind (vkCmdWaitEvents goes through
// vk_common_CmdPipelineBarrier), takes the NULL as a failure, and its error path hands pfnFree
// two pointers into its own stack. The layer's SYNC_FD export probe records such a
// vkCmdWaitEvents in vkCreateDevice: its command pool must not take the app's callbacks. With the
// pool on the device's allocator, this allocator sees the bad frees (and the CTS aborted).
TEST_F(LayerSwapchain, DeviceCreationWithAnAllocatorThatRefusesZeroBytes) {
    allocator_.refuse_zero_size();
    testing::internal::CaptureStderr();
    create_device();
    const std::string log = testing::internal::GetCapturedStderr();
    ASSERT_NE(log.find("SYNC_FD export is"), std::string::npos)
        << "the probe did not run: the test proves nothing; the layer's log:\n"
        << log;
    EXPECT_EQ(allocator_.errors(), std::vector<std::string>{});
}

// The layer presents to this surface: its answers differ from lavapipe's own Wayland WSI (image
// counts 2..8), so an EXT query that fell through to the driver disagrees with the KHR one.
TEST_F(LayerSwapchain, SurfaceCapabilities2EXTAgreesWithKHR) {
    create_device();
    if (!has_surface_counter_) {
        GTEST_SKIP() << "no VK_EXT_display_surface_counter in this loader and driver";
    }
    auto get_ext = instance_proc<PFN_vkGetPhysicalDeviceSurfaceCapabilities2EXT>(
        "vkGetPhysicalDeviceSurfaceCapabilities2EXT");
    ASSERT_NE(get_ext, nullptr);
    VkSurfaceCapabilitiesKHR khr{};
    ASSERT_EQ(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu_, surface_, &khr), VK_SUCCESS);
    EXPECT_EQ(khr.maxImageCount, 8U) << "not the layer's answer: the test proves nothing";
    VkSurfaceCapabilities2EXT ext{VK_STRUCTURE_TYPE_SURFACE_CAPABILITIES_2_EXT};
    ASSERT_EQ(get_ext(gpu_, surface_, &ext), VK_SUCCESS);
    EXPECT_EQ(ext.minImageCount, khr.minImageCount);
    EXPECT_EQ(ext.maxImageCount, khr.maxImageCount);
    EXPECT_EQ(ext.currentExtent.width, khr.currentExtent.width);
    EXPECT_EQ(ext.currentExtent.height, khr.currentExtent.height);
    EXPECT_EQ(ext.minImageExtent.width, khr.minImageExtent.width);
    EXPECT_EQ(ext.maxImageExtent.width, khr.maxImageExtent.width);
    EXPECT_EQ(ext.maxImageArrayLayers, khr.maxImageArrayLayers);
    EXPECT_EQ(ext.supportedTransforms, khr.supportedTransforms);
    EXPECT_EQ(ext.currentTransform, khr.currentTransform);
    EXPECT_EQ(ext.supportedCompositeAlpha, khr.supportedCompositeAlpha);
    EXPECT_EQ(ext.supportedUsageFlags, khr.supportedUsageFlags);
    EXPECT_EQ(ext.supportedSurfaceCounters, 0U);
}

// Private data on the layer's swapchain round-trips, stays apart from the same slot's data on
// a driver object (a swapchain image), and goes when the slot goes. Without the layer's own
// handling the driver reads the layer's handle as its object (the CTS saw lavapipe segfault).
TEST_F(LayerSwapchain, PrivateDataOnTheLayersSwapchain) {
    create_device();
    const VkSwapchainCreateInfoKHR info = swapchain_info();
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateSwapchainKHR(device_, &info, alloc(), &swapchain), VK_SUCCESS);
    uint32_t count = 1;
    VkImage image = VK_NULL_HANDLE;
    ASSERT_GE(vkGetSwapchainImagesKHR(device_, swapchain, &count, &image), VK_SUCCESS);

    struct Api {
        const char* suffix;
        PFN_vkCreatePrivateDataSlot create;
        PFN_vkDestroyPrivateDataSlot destroy;
        PFN_vkSetPrivateData set;
        PFN_vkGetPrivateData get;
    };
    std::vector<Api> apis = {
        {"EXT", device_proc<PFN_vkCreatePrivateDataSlot>("vkCreatePrivateDataSlotEXT"),
         device_proc<PFN_vkDestroyPrivateDataSlot>("vkDestroyPrivateDataSlotEXT"),
         device_proc<PFN_vkSetPrivateData>("vkSetPrivateDataEXT"),
         device_proc<PFN_vkGetPrivateData>("vkGetPrivateDataEXT")}};
    if (core_private_data_) {
        apis.push_back({"core", device_proc<PFN_vkCreatePrivateDataSlot>("vkCreatePrivateDataSlot"),
                        device_proc<PFN_vkDestroyPrivateDataSlot>("vkDestroyPrivateDataSlot"),
                        device_proc<PFN_vkSetPrivateData>("vkSetPrivateData"),
                        device_proc<PFN_vkGetPrivateData>("vkGetPrivateData")});
    }
    const auto chain = reinterpret_cast<uint64_t>(swapchain);
    const auto img = reinterpret_cast<uint64_t>(image);
    for (const Api& api : apis) {
        SCOPED_TRACE(api.suffix);
        ASSERT_NE(api.create, nullptr);
        ASSERT_NE(api.get, nullptr);
        const VkPrivateDataSlotCreateInfo slot_info{
            VK_STRUCTURE_TYPE_PRIVATE_DATA_SLOT_CREATE_INFO};
        VkPrivateDataSlot slot = VK_NULL_HANDLE;
        ASSERT_EQ(api.create(device_, &slot_info, alloc(), &slot), VK_SUCCESS);
        uint64_t value = 1;
        api.get(device_, VK_OBJECT_TYPE_SWAPCHAIN_KHR, chain, slot, &value);
        EXPECT_EQ(value, 0U) << "nothing set yet";
        EXPECT_EQ(api.set(device_, VK_OBJECT_TYPE_SWAPCHAIN_KHR, chain, slot, 0x5b0001),
                  VK_SUCCESS);
        EXPECT_EQ(api.set(device_, VK_OBJECT_TYPE_IMAGE, img, slot, 0x5b0002), VK_SUCCESS);
        api.get(device_, VK_OBJECT_TYPE_SWAPCHAIN_KHR, chain, slot, &value);
        EXPECT_EQ(value, 0x5b0001U);
        api.get(device_, VK_OBJECT_TYPE_IMAGE, img, slot, &value);
        EXPECT_EQ(value, 0x5b0002U);
        api.destroy(device_, slot, alloc());
    }
    vkDestroySwapchainKHR(device_, swapchain, alloc());
}

// Names and tags of the layer's swapchain are taken (VK_SUCCESS) and never reach the driver,
// which would write them into the layer's record as into an object of its own (an ASan build
// sees the overflow).
TEST_F(LayerSwapchain, DebugNamesOfTheLayersSwapchain) {
    create_device();
    if (!has_debug_utils_) {
        GTEST_SKIP() << "no VK_EXT_debug_utils";
    }
    const VkSwapchainCreateInfoKHR info = swapchain_info();
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateSwapchainKHR(device_, &info, alloc(), &swapchain), VK_SUCCESS);
    auto set_name = instance_proc<PFN_vkSetDebugUtilsObjectNameEXT>("vkSetDebugUtilsObjectNameEXT");
    auto set_tag = instance_proc<PFN_vkSetDebugUtilsObjectTagEXT>("vkSetDebugUtilsObjectTagEXT");
    ASSERT_NE(set_name, nullptr);
    ASSERT_NE(set_tag, nullptr);
    VkDebugUtilsObjectNameInfoEXT name{VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT};
    name.objectType = VK_OBJECT_TYPE_SWAPCHAIN_KHR;
    name.objectHandle = reinterpret_cast<uint64_t>(swapchain);
    name.pObjectName = "a swapchain the driver never made, with a name longer than its record";
    EXPECT_EQ(set_name(device_, &name), VK_SUCCESS);
    const uint32_t tag_data = 7;
    VkDebugUtilsObjectTagInfoEXT tag{VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_TAG_INFO_EXT};
    tag.objectType = VK_OBJECT_TYPE_SWAPCHAIN_KHR;
    tag.objectHandle = name.objectHandle;
    tag.tagName = 1;
    tag.tagSize = sizeof(tag_data);
    tag.pTag = &tag_data;
    EXPECT_EQ(set_tag(device_, &tag), VK_SUCCESS);
    // A driver object still gets its name.
    uint32_t count = 1;
    VkImage image = VK_NULL_HANDLE;
    ASSERT_GE(vkGetSwapchainImagesKHR(device_, swapchain, &count, &image), VK_SUCCESS);
    name.objectType = VK_OBJECT_TYPE_IMAGE;
    name.objectHandle = reinterpret_cast<uint64_t>(image);
    EXPECT_EQ(set_name(device_, &name), VK_SUCCESS);
    vkDestroySwapchainKHR(device_, swapchain, alloc());
}

// image_swapchain_create_info: an image made with VkImageSwapchainCreateInfoKHR and bound with
// VkBindImageMemorySwapchainInfoKHR is the swapchain image's memory: what the GPU clears through
// the alias is what a copy from the swapchain image reads. The app asks for OPTIMAL tiling, as the
// CTS does; the layer makes the alias as it made the images.
TEST_F(LayerSwapchain, AnImageBoundToASwapchainImageAliasesIt) {
    create_device();
    const VkSwapchainCreateInfoKHR info = swapchain_info();
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateSwapchainKHR(device_, &info, alloc(), &swapchain), VK_SUCCESS);
    uint32_t count = 0;
    ASSERT_EQ(vkGetSwapchainImagesKHR(device_, swapchain, &count, nullptr), VK_SUCCESS);
    std::vector<VkImage> images(count);
    ASSERT_EQ(vkGetSwapchainImagesKHR(device_, swapchain, &count, images.data()), VK_SUCCESS);
    ASSERT_GE(count, 2U);
    const uint32_t index = 1;

    VkImageSwapchainCreateInfoKHR of_swapchain{VK_STRUCTURE_TYPE_IMAGE_SWAPCHAIN_CREATE_INFO_KHR};
    of_swapchain.swapchain = swapchain;
    VkImageCreateInfo image_info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    image_info.pNext = &of_swapchain;
    image_info.imageType = VK_IMAGE_TYPE_2D;
    image_info.format = info.imageFormat;
    image_info.extent = {info.imageExtent.width, info.imageExtent.height, 1};
    image_info.mipLevels = 1;
    image_info.arrayLayers = 1;
    image_info.samples = VK_SAMPLE_COUNT_1_BIT;
    image_info.tiling = VK_IMAGE_TILING_OPTIMAL;
    image_info.usage = info.imageUsage;
    VkImage alias = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateImage(device_, &image_info, alloc(), &alias), VK_SUCCESS);
    VkBindImageMemorySwapchainInfoKHR bind_swapchain{
        VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_SWAPCHAIN_INFO_KHR};
    bind_swapchain.swapchain = swapchain;
    bind_swapchain.imageIndex = index;
    VkBindImageMemoryInfo bind{VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO};
    bind.pNext = &bind_swapchain;
    bind.image = alias;
    ASSERT_EQ(vkBindImageMemory2(device_, 1, &bind), VK_SUCCESS);

    // A host-visible buffer for one pixel row, and one command buffer: clear the alias, copy
    // pixel (0, 0) of swapchain image `index` into the buffer.
    HostBuffer host;
    ASSERT_TRUE(create_host_buffer(gpu_, device_, 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &host));

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateCommandPool(device_, &pool_info, nullptr, &pool), VK_SUCCESS);
    VkCommandBufferAllocateInfo commands_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    commands_info.commandPool = pool;
    commands_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    commands_info.commandBufferCount = 1;
    VkCommandBuffer commands = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateCommandBuffers(device_, &commands_info, &commands), VK_SUCCESS);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    ASSERT_EQ(vkBeginCommandBuffer(commands, &begin), VK_SUCCESS);
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageMemoryBarrier to_clear{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    to_clear.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_clear.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_clear.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_clear.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_clear.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    to_clear.image = alias;
    to_clear.subresourceRange = range;
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                         VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_clear);
    VkClearColorValue colour{};
    colour.float32[0] = 1.0F;  // B8G8R8A8: blue 1, green 0, red 1, alpha 1
    colour.float32[2] = 1.0F;
    colour.float32[3] = 1.0F;
    vkCmdClearColorImage(commands, alias, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1, &range);
    // The swapchain image sees the clear: same memory, so a barrier on it orders the copy.
    VkImageMemoryBarrier to_copy = to_clear;
    to_copy.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_copy.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    to_copy.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_copy.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    to_copy.image = images[index];
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         0, 0, nullptr, 0, nullptr, 1, &to_copy);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {1, 1, 1};
    vkCmdCopyImageToBuffer(commands, images[index], VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                           host.buffer, 1, &region);
    ASSERT_EQ(vkEndCommandBuffer(commands), VK_SUCCESS);
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(device_, 0, 0, &queue);
    ASSERT_EQ(submit_and_wait(device_, queue, commands), VK_SUCCESS);
    const uint32_t pixel = read_host_buffer(device_, host, 0);
    EXPECT_EQ(pixel, 0xFFFF00FFU)
        << "the swapchain image does not hold what the alias was cleared to";

    vkDestroyCommandPool(device_, pool, nullptr);
    destroy_host_buffer(device_, host);
    vkDestroyImage(device_, alias, alloc());
    vkDestroySwapchainKHR(device_, swapchain, alloc());
}

// simulate_oom: the first N allocations of vkCreateSwapchainKHR succeed and the rest fail, for
// N = 0, 1, ... until creation succeeds. Each attempt gives VK_SUCCESS or
// VK_ERROR_OUT_OF_HOST_MEMORY, leaves no allocation behind once destroyed, and never frees
// through the wrong allocator (the CTS saw `free(): invalid pointer`). As in the CTS, the
// swapchain has an allocator of its own: the device's cannot be the yardstick. Its count once
// fell under the baseline before the first attempt (CI: 71 live vs 73): a driver may free its
// own submissions (the export probe's, at vkCreateDevice) on its queue thread after the fence
// signalled, whenever that thread gets to it (Mesa's vk_queue does).
TEST_F(LayerSwapchain, CreationSurvivesEveryFailedAllocation) {
    create_device();
    RecordingAllocator swapchain_allocator;
    const VkSwapchainCreateInfoKHR info = swapchain_info();
    bool created = false;
    uint32_t attempts = 0;
    for (size_t passing = 0; passing < 1000 && !created; ++passing, ++attempts) {
        SCOPED_TRACE("allocations allowed: " + std::to_string(passing));
        VkSwapchainKHR swapchain = VK_NULL_HANDLE;
        swapchain_allocator.fail_after(passing);
        const VkResult r =
            vkCreateSwapchainKHR(device_, &info, swapchain_allocator.callbacks(), &swapchain);
        const size_t refused = swapchain_allocator.failed();
        swapchain_allocator.never_fail();
        ASSERT_TRUE(r == VK_SUCCESS || r == VK_ERROR_OUT_OF_HOST_MEMORY) << "VkResult " << r;
        if (r == VK_SUCCESS) {
            created = true;
            EXPECT_EQ(refused, 0U) << "an allocation failed, yet creation says it succeeded";
            vkDestroySwapchainKHR(device_, swapchain, swapchain_allocator.callbacks());
        } else {
            EXPECT_EQ(swapchain, VK_NULL_HANDLE);
        }
        ASSERT_EQ(swapchain_allocator.live(), 0U) << "allocations left behind";
        ASSERT_EQ(swapchain_allocator.errors(), std::vector<std::string>{});
        ASSERT_EQ(allocator_.errors(), std::vector<std::string>{});
    }
    EXPECT_TRUE(created);
    EXPECT_GT(attempts, 3U) << "the swapchain made almost no allocations: the sweep proves little";
    std::printf("[layer-swapchain] creation succeeded with %u allocations allowed\n", attempts - 1);
}

}  // namespace
}  // namespace sb::test
