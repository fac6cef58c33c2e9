// syncbridge over gpusim in the test VM: a device whose strategy is import, so the layer quietly
// enables the driver's external-memory and SYNC_FD extensions, and must hide that from the app.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "layer/vk_app.hpp"

namespace sb::test {
namespace {

class OverGpusim : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!layer_available(kGpusim) || !layer_available(kSyncbridge)) {
            FAIL() << "VK_ADD_LAYER_PATH must name syncbridge's and gpusim's manifests";
        }
    }
};

constexpr const char* kHiddenUnlessEnabled[] = {
    "vkGetSemaphoreFdKHR",
    "vkImportSemaphoreFdKHR",
    "vkGetFenceFdKHR",
    "vkGetMemoryFdKHR",
    "vkGetImageDrmFormatModifierPropertiesEXT",
};

TEST_F(OverGpusim, EnumerationIsAsWithoutTheLayer) {
    Instance with;
    Instance without;
    ASSERT_EQ(create_instance(with, {kSyncbridge, kGpusim}), VK_SUCCESS);
    ASSERT_EQ(create_instance(without, {kGpusim}), VK_SUCCESS);
    const auto extensions = device_extensions(with.gpu);
    // As without the layer, less the swapchain extensions its swapchains do not implement
    // (lavapipe 22.3 has one: VK_KHR_swapchain_mutable_format).
    auto expected = device_extensions(without.gpu);
    std::erase(expected, std::string("VK_KHR_swapchain_mutable_format"));
    EXPECT_EQ(extensions, expected);
    EXPECT_NE(expected.size(), device_extensions(without.gpu).size())
        << "lavapipe no longer offers VK_KHR_swapchain_mutable_format: the filter is untested";
    // gpusim really is a dma-buf, SYNC_FD driver here: the layer has something to enable.
    EXPECT_NE(std::find(extensions.begin(), extensions.end(), "VK_EXT_external_memory_dma_buf"),
              extensions.end());
}

TEST_F(OverGpusim, CommandsOfExtensionsOnlyTheLayerEnabledStayHidden) {
    for (const auto& layers :
         {std::vector<const char*>{kSyncbridge, kGpusim}, std::vector<const char*>{kGpusim}}) {
        Instance instance;
        ASSERT_EQ(create_instance(instance, layers), VK_SUCCESS);
        VkDevice device = VK_NULL_HANDLE;
        ASSERT_EQ(create_device(instance.gpu, {}, &device), VK_SUCCESS);
        for (const char* name : kHiddenUnlessEnabled) {
            EXPECT_EQ(vkGetDeviceProcAddr(device, name), nullptr)
                << name << " with " << layers.size() << " layer(s)";
        }
        vkDestroyDevice(device, nullptr);
    }
}

TEST_F(OverGpusim, CommandsOfExtensionsTheAppEnabledAreThere) {
    Instance instance;
    ASSERT_EQ(create_instance(instance, {kSyncbridge, kGpusim}), VK_SUCCESS);
    VkDevice device = VK_NULL_HANDLE;
    ASSERT_EQ(create_device(instance.gpu, {"VK_KHR_external_semaphore_fd"}, &device), VK_SUCCESS);
    EXPECT_NE(vkGetDeviceProcAddr(device, "vkGetSemaphoreFdKHR"), nullptr);
    EXPECT_EQ(vkGetDeviceProcAddr(device, "vkGetMemoryFdKHR"), nullptr);
    vkDestroyDevice(device, nullptr);
}

// Validation between syncbridge and gpusim checks the device the layer creates on the app's
// behalf, with the extensions it enabled quietly, and a GPU round trip through it.
TEST_F(OverGpusim, ValidationBelowTheLayerAcceptsItsQuietExtensions) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    {
        Instance instance;
        ASSERT_EQ(create_instance(instance, {kSyncbridge, kValidation, kGpusim}, &messages),
                  VK_SUCCESS);
        EXPECT_EQ(clear_and_read_back(instance.gpu, 0x5EEDF00Du), 0x5EEDF00Du);
    }
    EXPECT_EQ(messages.count, 0) << messages.first;
}

}  // namespace
}  // namespace sb::test

int main(int argc, char** argv) {
    // Self-contained in the VM: find both layers in the build tree.
    (void)setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 0);
    (void)setenv("GPUSIM_LATENCY_MS", "2", 0);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
