// syncbridge through the real Vulkan loader, over lavapipe (the driver on this host, where the
// layer's strategy is pass-through): the app sees exactly what it sees without the layer.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include "layer/vk_app.hpp"

#include <atomic>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace sb::test;  // NOLINT(google-build-using-namespace)

class Loader : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(layer_available(kSyncbridge))
            << "VK_ADD_LAYER_PATH must name the build tree's manifest directory";
    }
};

TEST_F(Loader, TheLayerLoadsAndPassesUnrelatedCallsThrough) {
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    EXPECT_EQ(clear_and_read_back(with.gpu, 0xA5A5A5A5u), 0xA5A5A5A5u);
}

TEST_F(Loader, EnumerationAndPropertiesAreAsWithoutTheLayer) {
    Instance with;
    Instance without;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    ASSERT_EQ(create_instance(without, {}), VK_SUCCESS);
    EXPECT_EQ(device_extensions(with.gpu), device_extensions(without.gpu));

    // Zeroed first, so padding compares equal: the driver fills fields, not padding.
    VkPhysicalDeviceProperties a;
    VkPhysicalDeviceProperties b;
    std::memset(&a, 0, sizeof(a));
    std::memset(&b, 0, sizeof(b));
    vkGetPhysicalDeviceProperties(with.gpu, &a);
    vkGetPhysicalDeviceProperties(without.gpu, &b);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);  // NOLINT(bugprone-suspicious-memory-comparison)

    VkPhysicalDeviceFeatures fa;
    VkPhysicalDeviceFeatures fb;
    vkGetPhysicalDeviceFeatures(with.gpu, &fa);
    vkGetPhysicalDeviceFeatures(without.gpu, &fb);
    EXPECT_EQ(std::memcmp(&fa, &fb, sizeof(fa)), 0);

    for (VkFormat format : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_SRGB}) {
        VkFormatProperties pa;
        VkFormatProperties pb;
        vkGetPhysicalDeviceFormatProperties(with.gpu, format, &pa);
        vkGetPhysicalDeviceFormatProperties(without.gpu, format, &pb);
        EXPECT_EQ(std::memcmp(&pa, &pb, sizeof(pa)), 0);
    }
}

TEST_F(Loader, ThePassThroughDeviceGetsNoExtraEntryPoints) {
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    VkDevice device = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateDevice(with.gpu, &device_info, nullptr, &device), VK_SUCCESS);
    EXPECT_EQ(vkGetDeviceProcAddr(device, "vkGetSemaphoreFdKHR"), nullptr);
    EXPECT_EQ(vkGetDeviceProcAddr(device, "vkGetMemoryFdKHR"), nullptr);
    EXPECT_NE(vkGetDeviceProcAddr(device, "vkQueueSubmit"), nullptr);
    vkDestroyDevice(device, nullptr);
}

// Validation *below* syncbridge sees every call the layer makes on the app's behalf.
TEST_F(Loader, ValidationBelowTheLayerReportsNothing) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kSyncbridge, kValidation}, &messages), VK_SUCCESS);
        EXPECT_EQ(clear_and_read_back(with.gpu, 0x01020304u), 0x01020304u);
    }
    EXPECT_EQ(messages.count, 0) << messages.first;
}

// Validation *above* syncbridge: the app-facing behaviour is unchanged (still no messages).
TEST_F(Loader, ValidationAboveTheLayerSeesAnUnchangedApi) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kValidation, kSyncbridge}, &messages), VK_SUCCESS);
        EXPECT_EQ(clear_and_read_back(with.gpu, 0x0A0B0C0Du), 0x0A0B0C0Du);
    }
    EXPECT_EQ(messages.count, 0) << messages.first;
}

// The control for the two tests above: the messenger does report a real mistake.
TEST_F(Loader, TheValidationControlCatchesARealMistake) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge, kValidation}, &messages), VK_SUCCESS);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(with.gpu, &props);
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(with.gpu, VK_FORMAT_MAX_ENUM, &fp);  // invalid enum
    EXPECT_GT(messages.count, 0);
}

struct CountingAllocator {
    std::atomic<int> live{0};
    std::atomic<int> total{0};
    static void* alloc(void* user, size_t size, size_t align, VkSystemAllocationScope) {
        auto* self = static_cast<CountingAllocator*>(user);
        ++self->live;
        ++self->total;
        return std::aligned_alloc(align, (size + align - 1) / align * align);
    }
    static void* realloc(void* user, void* old, size_t size, size_t align,
                         VkSystemAllocationScope scope) {
        if (old == nullptr) {
            return alloc(user, size, align, scope);
        }
        return std::realloc(old, size);  // alignment of realloc'd blocks: fine for these sizes
    }
    static void free(void* user, void* mem) {
        if (mem != nullptr) {
            --static_cast<CountingAllocator*>(user)->live;
            std::free(mem);
        }
    }
    VkAllocationCallbacks callbacks() {
        VkAllocationCallbacks cb{};
        cb.pUserData = this;
        cb.pfnAllocation = &alloc;
        cb.pfnReallocation = &realloc;
        cb.pfnFree = &free;
        return cb;
    }
};

TEST_F(Loader, TheLayerAllocatesThroughTheAppsCallbacksAndFreesEverything) {
    CountingAllocator with_layer;
    CountingAllocator without_layer;
    const VkAllocationCallbacks a = with_layer.callbacks();
    const VkAllocationCallbacks b = without_layer.callbacks();
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kSyncbridge}, nullptr, &a), VK_SUCCESS);
        vkDestroyInstance(with.handle, &a);
        with.handle = VK_NULL_HANDLE;
        Instance without;
        ASSERT_EQ(create_instance(without, {}, nullptr, &b), VK_SUCCESS);
        vkDestroyInstance(without.handle, &b);
        without.handle = VK_NULL_HANDLE;
    }
    EXPECT_GT(with_layer.total, without_layer.total);
    EXPECT_EQ(with_layer.live, 0);
    EXPECT_EQ(without_layer.live, 0);
}

}  // namespace
