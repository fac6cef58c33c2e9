// gpusim inside the test VM (vgem present), through the real Vulkan loader: the simulated GPU is
// dma-buf capable, explicit-sync only and slow, which is exactly the driver syncbridge is for.
// These tests show each of those properties directly, with the kernel as the witness.
#include <fcntl.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "gpusim/harness.hpp"
#include "kernel/fixture.hpp"
#include "support/fd_count.hpp"

namespace sb::test {
namespace {

using gpusim::test::Buffer;
using gpusim::test::check;
using gpusim::test::Image;
using gpusim::test::Settings;
using gpusim::test::Vk;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kVkSoon = 2'000'000'000;  // ns: a deadline for waits that must succeed
constexpr auto kLatency = 200ms;             // the simulated GPU's latency in the timing tests

Settings vm_settings(std::chrono::milliseconds latency) {
    return gpusim::test::dma_buf_device(static_cast<uint32_t>(latency.count()));
}

// The dma-buf behind a VkDeviceMemory, as another process would get it, mapped.
struct Exported {
    Exported(Vk& vk, VkDeviceMemory memory, size_t size) {
        auto get_fd = vk.device_proc<PFN_vkGetMemoryFdKHR>("vkGetMemoryFdKHR");
        VkMemoryGetFdInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
        info.memory = memory;
        info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        int fd = -1;
        check(get_fd(vk.device, &info, &fd), "vkGetMemoryFdKHR");
        buffer = DmaBuf(kernel::UniqueFd(fd));
        mapping = must(buffer.map(size, Access::read));
    }
    // Reads a word as a CPU consumer does: DMA_BUF_IOCTL_SYNC around the access (which waits
    // for the buffer's write fences, if it had any).
    uint32_t read(size_t offset = 0) const {
        if (!buffer.begin_cpu_access(Access::read)) {
            throw std::runtime_error("DMA_BUF_IOCTL_SYNC(START)");
        }
        uint32_t word = 0;
        std::memcpy(&word, static_cast<const char*>(mapping.data()) + offset, sizeof(word));
        (void)buffer.end_cpu_access(Access::read);
        return word;
    }

    DmaBuf buffer;
    kernel::DmaBufMapping mapping;
};

SyncFile export_semaphore(Vk& vk, VkSemaphore semaphore) {
    auto get_fd = vk.device_proc<PFN_vkGetSemaphoreFdKHR>("vkGetSemaphoreFdKHR");
    VkSemaphoreGetFdInfoKHR info{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
    info.semaphore = semaphore;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    int fd = -1;
    check(get_fd(vk.device, &info, &fd), "vkGetSemaphoreFdKHR");
    return SyncFile(kernel::UniqueFd(fd));
}

VkResult import_into_semaphore(Vk& vk, VkSemaphore semaphore, int fd) {
    auto import = vk.device_proc<PFN_vkImportSemaphoreFdKHR>("vkImportSemaphoreFdKHR");
    VkImportSemaphoreFdInfoKHR info{VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR};
    info.semaphore = semaphore;
    info.flags = VK_SEMAPHORE_IMPORT_TEMPORARY_BIT;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    info.fd = fd;
    return import(vk.device, &info);
}

VkResult import_into_fence(Vk& vk, VkFence fence, int fd) {
    auto import = vk.device_proc<PFN_vkImportFenceFdKHR>("vkImportFenceFdKHR");
    VkImportFenceFdInfoKHR info{VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR};
    info.fence = fence;
    info.flags = VK_FENCE_IMPORT_TEMPORARY_BIT;
    info.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
    info.fd = fd;
    return import(vk.device, &info);
}

void record_fill(Vk& vk, VkCommandBuffer cb, const Buffer& buffer, uint32_t value) {
    vkCmdFillBuffer(cb, buffer.buffer, 0, VK_WHOLE_SIZE, value);
    VkMemoryBarrier host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &host, 0, nullptr, 0, nullptr);
    (void)vk;
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class Gpusim : public VgemTest {};

// (a), (b), (c) on a buffer: the exported SYNC_FD blocks poll until the simulated GPU has
// finished; until then a dma-buf reader sees the old content, and the dma-buf itself carries no
// fence at all.
TEST_F(Gpusim, SyncFdSignalsOnlyOnceTheSimulatedGpuHasFinished) {
    Vk vk(vm_settings(kLatency));
    constexpr size_t kSize = size_t{64} * 1024;
    constexpr size_t kTail = kSize - 4096;
    Buffer buffer(vk, kSize, /*dma_buf=*/true);
    Exported seen(vk, buffer.memory, kSize);
    VkSemaphore done = vk.create_semaphore(/*export_sync_fd=*/true);
    ASSERT_EQ(seen.read(), 0u);

    VkCommandBuffer cb = vk.begin_commands();
    record_fill(vk, cb, buffer, 0xAABBCCDDu);
    const auto submitted = Clock::now();
    vk.submit(cb, VK_NULL_HANDLE, {}, {done});
    SyncFile rendered = export_semaphore(vk, done);

    // (a) not signalled at poll(0) ...
    EXPECT_FALSE(rendered.is_stub());
    EXPECT_FALSE(must(rendered.is_signalled()))
        << "polled " << ms_since(submitted) << " ms after the submit (latency " << kLatency.count()
        << " ms): a stalled test thread makes this inconclusive";
    // (b) ... a CPU read through the dma-buf does not wait and sees the old content ...
    const auto read_start = Clock::now();
    EXPECT_EQ(seen.read(), 0u);
    EXPECT_EQ(seen.read(kTail), 0u);
    const double read_ms = ms_since(read_start);
    EXPECT_LT(read_ms, 100.0);
    // (c) ... because the dma-buf has no fence: idle for readers and writers, and what a
    // compositor would export from it is already signalled.
    EXPECT_EQ(must(seen.buffer.wait_idle(Access::write, 0ms)), WaitOutcome::ready);
    SyncFile implicit = must(seen.buffer.export_sync_file(Access::write));
    EXPECT_TRUE(must(implicit.is_signalled()));
    EXPECT_FALSE(must(rendered.is_signalled()));

    // (a) later: signalled once the work is done, and the new content is there.
    ASSERT_EQ(must(rendered.wait(kSoon)), WaitOutcome::ready);
    const double signalled_ms = ms_since(submitted);
    EXPECT_GE(signalled_ms, 0.75 * kLatency.count());
    EXPECT_EQ(seen.read(), 0xAABBCCDDu);
    EXPECT_EQ(seen.read(kTail), 0xAABBCCDDu);
    std::printf(
        "[gpusim] latency %lld ms: sync_file signalled after %.1f ms; "
        "dma-buf read before that took %.2f ms and saw the old content\n",
        static_cast<long long>(kLatency.count()), signalled_ms, read_ms);
    vkDestroySemaphore(vk.device, done, nullptr);
}

// (a) on an image: vkCmdClearColorImage into a DRM-modifier (LINEAR) image in dma-buf memory,
// read through the dma-buf at lavapipe's row pitch; an exportable fence carries the same kind of
// payload.
TEST_F(Gpusim, ClearColorImageIsVisibleThroughTheDmaBufOnlyAfterTheFenceSignals) {
    Vk vk(vm_settings(kLatency));
    Image image(vk, 100, 75, /*dma_buf=*/true);
    // lavapipe's LINEAR layout (vm-facts): rows padded to 64 bytes, size from lavapipe.
    EXPECT_EQ(image.layout.rowPitch, 448u);
    EXPECT_GE(image.size, VkDeviceSize{448} * 75);
    auto modifier_props = vk.device_proc<PFN_vkGetImageDrmFormatModifierPropertiesEXT>(
        "vkGetImageDrmFormatModifierPropertiesEXT");
    VkImageDrmFormatModifierPropertiesEXT modifier{
        VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_PROPERTIES_EXT};
    check(modifier_props(vk.device, image.image, &modifier), "modifier properties");
    EXPECT_EQ(modifier.drmFormatModifier, 0u);  // DRM_FORMAT_MOD_LINEAR

    Exported seen(vk, image.memory, image.size);
    VkFence fence = vk.create_fence(/*export_sync_fd=*/true);
    VkCommandBuffer cb = vk.begin_commands();
    const float blue[4] = {0.0f, 0.0f, 1.0f, 1.0f};
    gpusim::test::record_clear(cb, image, blue);
    vk.submit(cb, fence);

    auto get_fd = vk.device_proc<PFN_vkGetFenceFdKHR>("vkGetFenceFdKHR");
    VkFenceGetFdInfoKHR info{VK_STRUCTURE_TYPE_FENCE_GET_FD_INFO_KHR};
    info.fence = fence;
    info.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
    int fd = -1;
    check(get_fd(vk.device, &info, &fd), "vkGetFenceFdKHR");
    ASSERT_GE(fd, 0);
    SyncFile fence_file{kernel::UniqueFd(fd)};
    EXPECT_TRUE(has_cloexec(fence_file.fd()));
    EXPECT_FALSE(must(fence_file.is_signalled()));
    const size_t last = image.layout.offset + 74 * image.layout.rowPitch + size_t{99} * 4;
    EXPECT_EQ(seen.read(0), 0u);
    EXPECT_EQ(seen.read(last), 0u);

    ASSERT_EQ(must(fence_file.wait(kSoon)), WaitOutcome::ready);
    int wrong = 0;
    for (uint32_t y = 0; y < 75; ++y) {
        for (uint32_t x = 0; x < 100; ++x) {
            wrong += seen.read(image.layout.offset + y * image.layout.rowPitch + size_t{4} * x) !=
                     0xFFFF0000u;  // RGBA8 (0, 0, 255, 255), little-endian
        }
    }
    EXPECT_EQ(wrong, 0);
    vkDestroyFence(vk.device, fence, nullptr);
}

// (d) A pending vgem fence imported into a semaphore holds a later submit until it signals.
TEST_F(Gpusim, ImportedPendingSyncFileHoldsALaterSubmit) {
    Vk vk(vm_settings(10ms));
    Buffer buffer(vk, 4096, /*dma_buf=*/true);
    Exported seen(vk, buffer.memory, 4096);
    VkSemaphore acquire = vk.create_semaphore();
    VkFence fence = vk.create_fence();

    PendingFence release = must(vgem().pending_sync_file());
    SyncFile handed = must(release.file.duplicate());
    ASSERT_EQ(import_into_semaphore(vk, acquire, handed.fd()), VK_SUCCESS);
    (void)handed.take_fd().release();  // ownership went to the semaphore

    VkCommandBuffer cb = vk.begin_commands();
    record_fill(vk, cb, buffer, 0x5EA5EA5Eu);
    vk.submit(cb, fence, {acquire});

    std::this_thread::sleep_for(300ms);  // 30x the latency
    EXPECT_EQ(vkGetFenceStatus(vk.device, fence), VK_NOT_READY);
    EXPECT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, 50'000'000), VK_TIMEOUT);
    EXPECT_EQ(seen.read(), 0u);

    const auto signalled = Clock::now();
    ASSERT_OK(vgem().signal(release.fence_id));
    ASSERT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, kVkSoon), VK_SUCCESS);
    std::printf("[gpusim] submit held by an imported vgem fence ran %.1f ms after the signal\n",
                ms_since(signalled));
    EXPECT_EQ(seen.read(), 0x5EA5EA5Eu);
    vkDestroyFence(vk.device, fence, nullptr);
    vkDestroySemaphore(vk.device, acquire, nullptr);
}

// Temporary fence imports: a pending payload holds waits, a reset restores the permanent
// payload; fd -1 is an already signalled payload.
TEST_F(Gpusim, ImportedFencePayloadsAreHonouredByWaitsAndResets) {
    Vk vk(vm_settings(10ms));
    VkFence fence = vk.create_fence();
    PendingFence pending = must(vgem().pending_sync_file());
    SyncFile handed = must(pending.file.duplicate());
    ASSERT_EQ(import_into_fence(vk, fence, handed.fd()), VK_SUCCESS);
    (void)handed.take_fd().release();

    EXPECT_EQ(vkGetFenceStatus(vk.device, fence), VK_NOT_READY);
    EXPECT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, 50'000'000), VK_TIMEOUT);
    ASSERT_OK(vgem().signal(pending.fence_id));
    EXPECT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, kVkSoon), VK_SUCCESS);
    EXPECT_EQ(vkGetFenceStatus(vk.device, fence), VK_SUCCESS);
    ASSERT_EQ(vkResetFences(vk.device, 1, &fence), VK_SUCCESS);
    EXPECT_EQ(vkGetFenceStatus(vk.device, fence), VK_NOT_READY);

    ASSERT_EQ(import_into_fence(vk, fence, -1), VK_SUCCESS);
    EXPECT_EQ(vkGetFenceStatus(vk.device, fence), VK_SUCCESS);
    // Not a sync_file: refused, and the fd stays the caller's.
    const int not_a_sync_file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_EQ(import_into_fence(vk, fence, not_a_sync_file), VK_ERROR_INVALID_EXTERNAL_HANDLE);
    EXPECT_EQ(::close(not_a_sync_file), 0);
    vkDestroyFence(vk.device, fence, nullptr);
}

// An exported SYNC_FD semaphore payload waited on by a second submit: gpusim holds that submit
// on its queue thread until the first one is done (in order, across batches of one submit).
TEST_F(Gpusim, SyncFdSemaphoreChainsSubmitsInOrder) {
    Vk vk(vm_settings(30ms));
    Buffer buffer(vk, 4096, /*dma_buf=*/true);
    Exported seen(vk, buffer.memory, 4096);
    VkSemaphore link = vk.create_semaphore(/*export_sync_fd=*/true);
    VkFence fence = vk.create_fence();
    VkCommandBuffer first = vk.begin_commands();
    record_fill(vk, first, buffer, 1u);
    check(vkEndCommandBuffer(first), "vkEndCommandBuffer");
    VkCommandBuffer second = vk.begin_commands();
    record_fill(vk, second, buffer, 2u);
    check(vkEndCommandBuffer(second), "vkEndCommandBuffer");
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo batches[2] = {{VK_STRUCTURE_TYPE_SUBMIT_INFO}, {VK_STRUCTURE_TYPE_SUBMIT_INFO}};
    batches[0].commandBufferCount = 1;
    batches[0].pCommandBuffers = &first;
    batches[0].signalSemaphoreCount = 1;
    batches[0].pSignalSemaphores = &link;
    batches[1].waitSemaphoreCount = 1;
    batches[1].pWaitSemaphores = &link;
    batches[1].pWaitDstStageMask = &stage;
    batches[1].commandBufferCount = 1;
    batches[1].pCommandBuffers = &second;
    ASSERT_EQ(vkQueueSubmit(vk.queue, 2, batches, fence), VK_SUCCESS);
    ASSERT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, kVkSoon), VK_SUCCESS);
    EXPECT_EQ(seen.read(), 2u);
    vkDestroyFence(vk.device, fence, nullptr);
    vkDestroySemaphore(vk.device, link, nullptr);
}

// (e) The switches: what is switched off is reported absent; the rest stays.
TEST_F(Gpusim, SwitchesReportCapabilitiesAbsent) {
    auto semaphore_features = [](Vk& vk) {
        VkPhysicalDeviceExternalSemaphoreInfo info{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO};
        info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
        VkExternalSemaphoreProperties props{VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES};
        vkGetPhysicalDeviceExternalSemaphoreProperties(vk.gpu, &info, &props);
        return props.externalSemaphoreFeatures;
    };
    auto fence_features = [](Vk& vk) {
        VkPhysicalDeviceExternalFenceInfo info{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO};
        info.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
        VkExternalFenceProperties props{VK_STRUCTURE_TYPE_EXTERNAL_FENCE_PROPERTIES};
        vkGetPhysicalDeviceExternalFenceProperties(vk.gpu, &info, &props);
        return props.externalFenceFeatures;
    };
    auto dma_buf_features = [](Vk& vk) {
        VkPhysicalDeviceExternalImageFormatInfo external{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_IMAGE_FORMAT_INFO};
        external.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        VkPhysicalDeviceImageFormatInfo2 info{
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_IMAGE_FORMAT_INFO_2};
        info.pNext = &external;
        info.format = VK_FORMAT_B8G8R8A8_UNORM;
        info.type = VK_IMAGE_TYPE_2D;
        info.tiling = VK_IMAGE_TILING_LINEAR;
        info.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
        VkExternalImageFormatProperties out{VK_STRUCTURE_TYPE_EXTERNAL_IMAGE_FORMAT_PROPERTIES};
        VkImageFormatProperties2 props{VK_STRUCTURE_TYPE_IMAGE_FORMAT_PROPERTIES_2};
        props.pNext = &out;
        if (vkGetPhysicalDeviceImageFormatProperties2(vk.gpu, &info, &props) != VK_SUCCESS) {
            return VkExternalMemoryFeatureFlags{0};
        }
        return out.externalMemoryProperties.externalMemoryFeatures;
    };
    constexpr VkExternalMemoryFeatureFlags kShareable =
        VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT;
    constexpr VkExternalSemaphoreFeatureFlags kSemaphore =
        VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT;
    constexpr VkExternalFenceFeatureFlags kFence =
        VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_FENCE_FEATURE_IMPORTABLE_BIT;
    {
        Vk vk(vm_settings(8ms));
        EXPECT_EQ(semaphore_features(vk), kSemaphore);
        EXPECT_EQ(fence_features(vk), kFence);
        EXPECT_EQ(dma_buf_features(vk), kShareable);
        EXPECT_TRUE(vk.has_device_extension(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME));
        EXPECT_TRUE(vk.has_device_extension(VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME));
        EXPECT_TRUE(vk.has_device_extension(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME));
        EXPECT_TRUE(vk.has_device_extension(VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME));
    }
    {
        Settings s = vm_settings(8ms);
        s.sync_fd = false;
        Vk vk(s);
        EXPECT_EQ(semaphore_features(vk), 0u);
        EXPECT_EQ(fence_features(vk), 0u);
        EXPECT_FALSE(vk.has_device_extension(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME));
        EXPECT_FALSE(vk.has_device_extension(VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME));
        EXPECT_EQ(dma_buf_features(vk), kShareable);
    }
    {
        Settings s = vm_settings(8ms);
        s.dma_buf = false;
        Vk vk(s);
        EXPECT_EQ(dma_buf_features(vk), 0u);
        EXPECT_FALSE(vk.has_device_extension(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME));
        EXPECT_FALSE(vk.has_device_extension(VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME));
        EXPECT_EQ(semaphore_features(vk), kSemaphore);
    }
}

// DRM format modifier queries and explicit layouts, as such a driver answers them.
TEST_F(Gpusim, DrmFormatModifierIsLinearWithLavapipesLayout) {
    Vk vk(vm_settings(8ms));
    VkDrmFormatModifierPropertiesListEXT list{
        VK_STRUCTURE_TYPE_DRM_FORMAT_MODIFIER_PROPERTIES_LIST_EXT};
    VkFormatProperties2 props{VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2};
    props.pNext = &list;
    vkGetPhysicalDeviceFormatProperties2(vk.gpu, VK_FORMAT_B8G8R8A8_UNORM, &props);
    ASSERT_EQ(list.drmFormatModifierCount, 1u);
    VkDrmFormatModifierPropertiesEXT entry{};
    list.pDrmFormatModifierProperties = &entry;
    vkGetPhysicalDeviceFormatProperties2(vk.gpu, VK_FORMAT_B8G8R8A8_UNORM, &props);
    EXPECT_EQ(entry.drmFormatModifier, 0u);
    EXPECT_EQ(entry.drmFormatModifierPlaneCount, 1u);
    EXPECT_EQ(entry.drmFormatModifierTilingFeatures, props.formatProperties.linearTilingFeatures);

    auto create = [&](VkDeviceSize row_pitch, VkImage* image) {
        VkSubresourceLayout plane{};
        plane.rowPitch = row_pitch;
        VkImageDrmFormatModifierExplicitCreateInfoEXT explicit_info{
            VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT};
        explicit_info.drmFormatModifier = 0;
        explicit_info.drmFormatModifierPlaneCount = 1;
        explicit_info.pPlaneLayouts = &plane;
        VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
        info.pNext = &explicit_info;
        info.imageType = VK_IMAGE_TYPE_2D;
        info.format = VK_FORMAT_B8G8R8A8_UNORM;
        info.extent = {100, 75, 1};
        info.mipLevels = 1;
        info.arrayLayers = 1;
        info.samples = VK_SAMPLE_COUNT_1_BIT;
        info.tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT;
        info.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
        return vkCreateImage(vk.device, &info, nullptr, image);
    };
    VkImage image = VK_NULL_HANDLE;
    EXPECT_EQ(create(400, &image), VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT);
    ASSERT_EQ(create(448, &image), VK_SUCCESS);
    vkDestroyImage(vk.device, image, nullptr);
}

// Import of a dma-buf as memory: the fd becomes gpusim's, and both allocations share the pages.
TEST_F(Gpusim, ImportedDmaBufSharesMemoryAndTakesTheFd) {
    Vk vk(vm_settings(8ms));
    Buffer source(vk, 8192, /*dma_buf=*/true);
    Exported seen(vk, source.memory, 8192);
    kernel::UniqueFd handed = must(kernel::UniqueFd::duplicate(seen.buffer.fd()));

    VkBuffer target = VK_NULL_HANDLE;
    VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.pNext = &external;
    buffer_info.size = 8192;
    buffer_info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    check(vkCreateBuffer(vk.device, &buffer_info, nullptr, &target), "vkCreateBuffer");
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(vk.device, target, &req);
    VkImportMemoryFdInfoKHR import{VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR};
    import.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    import.fd = handed.get();
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.pNext = &import;
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = vk.memory_type(req.memoryTypeBits, 0);
    VkDeviceMemory memory = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateMemory(vk.device, &alloc, nullptr, &memory), VK_SUCCESS);
    // Vulkan: the import owns the fd now (gpusim keeps its own reference and closed this one).
    const int consumed = handed.release();
    EXPECT_EQ(::fcntl(consumed, F_GETFD), -1);
    check(vkBindBufferMemory(vk.device, target, memory, 0), "vkBindBufferMemory");

    VkFence fence = vk.create_fence();
    VkCommandBuffer cb = vk.begin_commands();
    vkCmdFillBuffer(cb, target, 0, VK_WHOLE_SIZE, 0x0DDBA11u);
    vk.submit(cb, fence);
    ASSERT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, kVkSoon), VK_SUCCESS);
    EXPECT_EQ(seen.read(4096), 0x0DDBA11u);
    vkDestroyFence(vk.device, fence, nullptr);
    vkDestroyBuffer(vk.device, target, nullptr);
    vkFreeMemory(vk.device, memory, nullptr);
}

// (f) No fd growth: allocate, export, free, and signal-and-export a semaphore, 50 times.
TEST_F(Gpusim, NoFdGrowthOverManyCycles) {
    Vk vk(vm_settings(1ms));
    VkSemaphore semaphore = vk.create_semaphore(/*export_sync_fd=*/true);
    auto cycle = [&] {
        constexpr size_t kSize = size_t{16} * 1024;
        Buffer buffer(vk, kSize, /*dma_buf=*/true);
        Exported seen(vk, buffer.memory, kSize);
        EXPECT_TRUE(has_cloexec(seen.buffer.fd()));
        vk.submit(VK_NULL_HANDLE, VK_NULL_HANDLE, {}, {semaphore});
        SyncFile done = export_semaphore(vk, semaphore);
        EXPECT_TRUE(has_cloexec(done.fd()));
        EXPECT_EQ(must(done.wait(kSoon)), WaitOutcome::ready);
    };
    cycle();  // warm-up: the loader, lavapipe and gpusim open what they keep
    const int before = open_fd_count();
    for (int i = 0; i < 50; ++i) {
        cycle();
    }
    ASSERT_EQ(vkQueueWaitIdle(vk.queue), VK_SUCCESS);
    EXPECT_EQ(open_fd_count(), before);
    vkDestroySemaphore(vk.device, semaphore, nullptr);
}

// What gpusim asks of lavapipe is valid Vulkan: the validation layer sits between them.
TEST_F(Gpusim, ValidationBelowGpusimSeesNothingWrong) {
    Settings s = vm_settings(8ms);
    s.validation_below = true;
    Vk vk(s);
    {
        Image image(vk, 64, 64, /*dma_buf=*/true);
        Exported seen(vk, image.memory, image.size);
        VkSemaphore done = vk.create_semaphore(/*export_sync_fd=*/true);
        VkFence fence = vk.create_fence(/*export_sync_fd=*/true);
        VkCommandBuffer cb = vk.begin_commands();
        const float white[4] = {1.0f, 1.0f, 1.0f, 1.0f};
        gpusim::test::record_clear(cb, image, white);
        vk.submit(cb, fence, {}, {done});
        SyncFile file = export_semaphore(vk, done);
        ASSERT_EQ(vkWaitForFences(vk.device, 1, &fence, VK_TRUE, kVkSoon), VK_SUCCESS);
        EXPECT_EQ(must(file.wait(kSoon)), WaitOutcome::ready);
        EXPECT_EQ(seen.read(), 0xFFFFFFFFu);
        vkDestroyFence(vk.device, fence, nullptr);
        vkDestroySemaphore(vk.device, done, nullptr);
    }
    EXPECT_EQ(vk.validation_messages(), 0) << vk.first_validation_message();
}

}  // namespace
}  // namespace sb::test

int main(int argc, char** argv) {
    utsname uts{};
    if (::uname(&uts) == 0) {
        std::printf("[gpusim-kernel-tests] kernel %s %s\n", uts.sysname, uts.release);
    }
    std::fflush(stdout);
    // Self-contained: gpusim's build-tree manifest, whatever the environment had.
    sb::gpusim::test::use_build_tree_manifest(GPUSIM_MANIFEST_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
