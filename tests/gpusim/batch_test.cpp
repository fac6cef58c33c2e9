// gpusim's pNext chain copies and submit batches, without Vulkan: what is copied, what is dropped,
// and that semaphore lists and their parallel arrays stay in step when gpusim filters them.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include "gpusim/batch.hpp"
#include "gpusim/chain.hpp"

namespace sb::gpusim {
namespace {

// Distinct fake handles: addresses nobody dereferences.
char g_objects[16];

VkSemaphore handle(size_t n) {
    return reinterpret_cast<VkSemaphore>(&g_objects[n % sizeof(g_objects)]);
}

TEST(StructSize, KnowsTheRegistrysStructures) {
    EXPECT_EQ(struct_size(VK_STRUCTURE_TYPE_SUBMIT_INFO), sizeof(VkSubmitInfo));
    EXPECT_EQ(struct_size(VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT),
              sizeof(VkImportMemoryHostPointerInfoEXT));
    EXPECT_EQ(struct_size(VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT),
              sizeof(VkImageDrmFormatModifierExplicitCreateInfoEXT));
    EXPECT_EQ(struct_size(static_cast<VkStructureType>(0x7ffffff0)), 0u);
}

TEST(ChainCopy, DropsWhatItIsToldAndKeepsTheRestInOrder) {
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    VkExportMemoryAllocateInfo exporting{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO};
    VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
    dedicated.pNext = &exporting;
    exporting.pNext = &flags;
    flags.deviceMask = 0x3;

    ChainCopy chain;
    ASSERT_TRUE(chain.copy(&dedicated, {VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO}));
    const auto* first = static_cast<const VkBaseInStructure*>(chain.head());
    ASSERT_NE(first, nullptr);
    EXPECT_NE(static_cast<const void*>(first), static_cast<const void*>(&dedicated));
    EXPECT_EQ(first->sType, VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO);
    ASSERT_NE(first->pNext, nullptr);
    EXPECT_EQ(first->pNext->sType, VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO);
    EXPECT_EQ(first->pNext->pNext, nullptr);
    // The copy is gpusim's to change; the app's chain is untouched.
    chain.find<VkMemoryAllocateFlagsInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO)
        ->deviceMask = 0x1;
    EXPECT_EQ(flags.deviceMask, 0x3u);
    EXPECT_EQ(dedicated.pNext, &exporting);

    VkImportMemoryHostPointerInfoEXT host{VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
    chain.prepend(&host);
    EXPECT_EQ(chain.head(), &host);
    EXPECT_EQ(host.pNext, first);
}

TEST(ChainCopy, RefusesAStructureItCannotSize) {
    VkBaseInStructure unknown{static_cast<VkStructureType>(0x7ffffff0), nullptr};
    ChainCopy chain;
    EXPECT_FALSE(chain.copy(&unknown));
}

TEST(Batch, FilteringKeepsTimelineValuesAndDeviceIndicesInStep) {
    const VkSemaphore waits[3] = {handle(1), handle(2), handle(3)};
    const VkPipelineStageFlags stages[3] = {1, 2, 4};
    const uint64_t wait_values[3] = {7, 8, 9};
    const VkSemaphore signals[2] = {handle(4), handle(5)};
    const uint64_t signal_values[2] = {11, 12};
    const uint32_t wait_indices[3] = {0, 1, 0};
    const uint32_t signal_indices[2] = {1, 0};
    VkTimelineSemaphoreSubmitInfo timeline{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
    timeline.waitSemaphoreValueCount = 3;
    timeline.pWaitSemaphoreValues = wait_values;
    timeline.signalSemaphoreValueCount = 2;
    timeline.pSignalSemaphoreValues = signal_values;
    VkDeviceGroupSubmitInfo group{VK_STRUCTURE_TYPE_DEVICE_GROUP_SUBMIT_INFO};
    group.pNext = &timeline;
    group.waitSemaphoreCount = 3;
    group.pWaitSemaphoreDeviceIndices = wait_indices;
    group.signalSemaphoreCount = 2;
    group.pSignalSemaphoreDeviceIndices = signal_indices;
    VkSubmitInfo info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    info.pNext = &group;
    info.waitSemaphoreCount = 3;
    info.pWaitSemaphores = waits;
    info.pWaitDstStageMask = stages;
    info.signalSemaphoreCount = 2;
    info.pSignalSemaphores = signals;

    Batch batch;
    ASSERT_TRUE(batch.copy_from(info));
    // gpusim takes the middle wait and the first signal for itself.
    batch.waits.erase(batch.waits.begin() + 1);
    batch.signals.erase(batch.signals.begin());
    const VkSubmitInfo& out = batch.build_submit_info();

    ASSERT_EQ(out.waitSemaphoreCount, 2u);
    EXPECT_EQ(out.pWaitSemaphores[0], waits[0]);
    EXPECT_EQ(out.pWaitSemaphores[1], waits[2]);
    EXPECT_EQ(out.pWaitDstStageMask[1], 4u);
    ASSERT_EQ(out.signalSemaphoreCount, 1u);
    EXPECT_EQ(out.pSignalSemaphores[0], signals[1]);
    const auto* out_group = static_cast<const VkDeviceGroupSubmitInfo*>(out.pNext);
    ASSERT_EQ(out_group->sType, VK_STRUCTURE_TYPE_DEVICE_GROUP_SUBMIT_INFO);
    EXPECT_EQ(out_group->waitSemaphoreCount, 2u);
    EXPECT_EQ(out_group->pWaitSemaphoreDeviceIndices[1], 0u);
    EXPECT_EQ(out_group->pSignalSemaphoreDeviceIndices[0], 0u);
    const auto* out_timeline = static_cast<const VkTimelineSemaphoreSubmitInfo*>(out_group->pNext);
    ASSERT_EQ(out_timeline->sType, VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO);
    EXPECT_EQ(out_timeline->waitSemaphoreValueCount, 2u);
    EXPECT_EQ(out_timeline->pWaitSemaphoreValues[1], 9u);
    EXPECT_EQ(out_timeline->signalSemaphoreValueCount, 1u);
    EXPECT_EQ(out_timeline->pSignalSemaphoreValues[0], 12u);
    EXPECT_EQ(out_timeline->pNext, nullptr);
}

TEST(Batch, Submit2RoundTrips) {
    VkSemaphoreSubmitInfo wait{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    wait.semaphore = handle(1);
    wait.value = 5;
    wait.stageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
    VkCommandBufferSubmitInfo cb{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    cb.commandBuffer = reinterpret_cast<VkCommandBuffer>(&g_objects[9]);
    VkSubmitInfo2 info{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    info.flags = VK_SUBMIT_PROTECTED_BIT;
    info.waitSemaphoreInfoCount = 1;
    info.pWaitSemaphoreInfos = &wait;
    info.commandBufferInfoCount = 1;
    info.pCommandBufferInfos = &cb;

    Batch batch;
    ASSERT_TRUE(batch.copy_from(info));
    const VkSubmitInfo2& out = batch.build_submit_info2();
    EXPECT_EQ(out.flags, static_cast<VkSubmitFlags>(VK_SUBMIT_PROTECTED_BIT));
    ASSERT_EQ(out.waitSemaphoreInfoCount, 1u);
    EXPECT_EQ(out.pWaitSemaphoreInfos[0].semaphore, wait.semaphore);
    EXPECT_EQ(out.pWaitSemaphoreInfos[0].value, 5u);
    EXPECT_EQ(out.pWaitSemaphoreInfos[0].stageMask, VK_PIPELINE_STAGE_2_COPY_BIT);
    ASSERT_EQ(out.commandBufferInfoCount, 1u);
    EXPECT_EQ(out.pCommandBufferInfos[0].commandBuffer, cb.commandBuffer);
    EXPECT_EQ(out.signalSemaphoreInfoCount, 0u);
}

}  // namespace
}  // namespace sb::gpusim
