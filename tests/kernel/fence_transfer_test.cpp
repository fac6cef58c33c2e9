// The bridge's two fence transfers, end to end on a real kernel: gpusim renders (slowly, with
// explicit sync only) into a dma-buf swapchain-style image, and the test plays the compositor,
// an implicit-sync consumer. Each bridged case has its control: the same frame without the
// transfer shows the bug the bridge exists to prevent.
#include <chrono>
#include <cstring>
#include <thread>

#include "bridge/fence_transfer.hpp"
#include "dispatch/dispatch_table.hpp"
#include "gpusim/harness.hpp"
#include "kernel/fixture.hpp"
#include "wsi/dma_buf_image.hpp"

namespace sb::test {
namespace {

using gpusim::test::check;
using gpusim::test::Vk;

constexpr uint64_t kVkSoon = 2'000'000'000;  // ns
constexpr auto kLatency = 200ms;             // the simulated GPU's time per submit
// B8G8R8A8 words of the clear colours, as a CPU reading the dma-buf sees them.
constexpr uint32_t kRed = 0xFFFF0000u;
constexpr uint32_t kGreen = 0xFF00FF00u;

class FenceTransfer : public VgemTest {
  protected:
    void SetUp() override {
        VgemTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        vk_ = std::make_unique<Vk>(
            gpusim::test::dma_buf_device(static_cast<uint32_t>(kLatency.count())));
        dispatch::load_device_table(next_, vk_->device, vkGetDeviceProcAddr);
        VkPhysicalDeviceMemoryProperties props;
        vkGetPhysicalDeviceMemoryProperties(vk_->gpu, &props);
        wsi::DmaBufImageInfo info;
        info.extent = {64, 64};
        info.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
        check(wsi::create_dma_buf_image(next_, vk_->device, props, info, nullptr, &image_),
              "create_dma_buf_image");
        mapping_ = must(image_.dma_buf.map(image_.size, Access::read));
    }
    void TearDown() override {
        if (vk_) {
            vkDeviceWaitIdle(vk_->device);
            wsi::destroy_dma_buf_image(next_, vk_->device, nullptr, &image_);
        }
    }

    // What a CPU consumer reads at the image's first pixel, without waiting for any fence: the
    // witness of what is in memory right now.
    uint32_t pixel_now() const {
        uint32_t word = 0;
        std::memcpy(&word, static_cast<const char*>(mapping_.data()) + image_.offset, 4);
        return word;
    }

    // The app's frame: clears the image to `colour` on the GPU.
    void render(uint32_t colour, const std::vector<VkSemaphore>& waits,
                const std::vector<VkSemaphore>& signals, VkFence fence) {
        VkCommandBuffer cb = vk_->begin_commands();
        VkImageMemoryBarrier to_dst{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        to_dst.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_dst.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        to_dst.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        to_dst.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_dst.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_dst.image = image_.image;
        to_dst.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             0, 0, nullptr, 0, nullptr, 1, &to_dst);
        VkClearColorValue value{};
        value.float32[0] = colour == kRed ? 1.0f : 0.0f;
        value.float32[1] = colour == kGreen ? 1.0f : 0.0f;
        value.float32[3] = 1.0f;
        vkCmdClearColorImage(cb, image_.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &value, 1,
                             &to_dst.subresourceRange);
        vk_->submit(cb, fence, waits, signals);
    }

    void render_and_wait(uint32_t colour) {
        VkFence done = vk_->create_fence();
        render(colour, {}, {}, done);
        check(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), "vkWaitForFences");
        vkDestroyFence(vk_->device, done, nullptr);
        ASSERT_EQ(pixel_now(), colour);
    }

    // The compositor starts reading: a read fence on the buffer that it signals when done.
    uint32_t consumer_starts_reading() {
        const uint32_t handle = must(vgem().import_dma_buf(image_.dma_buf));
        return must(vgem().attach_fence(handle, Access::read));
    }

    std::unique_ptr<Vk> vk_;
    dispatch::DeviceTable next_;
    wsi::DmaBufImage image_;
    kernel::DmaBufMapping mapping_;
};

TEST_F(FenceTransfer, TheImageIsAnExportedLinearDmaBuf) {
    EXPECT_TRUE(image_.dma_buf.valid());
    EXPECT_EQ(image_.modifier, 0u);  // DRM_FORMAT_MOD_LINEAR
    EXPECT_GE(image_.stride, 64u * 4u);
    EXPECT_GE(must(image_.dma_buf.size()), image_.size);
}

// Present: with the render-done fence in the dma-buf, an implicit-sync consumer waits for it.
TEST_F(FenceTransfer, PresentBridgedTheConsumerSeesTheFinishedFrame) {
    VkSemaphore rendered = vk_->create_semaphore();
    render(kRed, {}, {rendered}, VK_NULL_HANDLE);
    VkSemaphore carrier = VK_NULL_HANDLE;
    check(bridge::create_exportable_semaphore(next_, vk_->device, &carrier), "carrier");
    SyncFile render_done;
    check(bridge::export_render_done(next_, vk_->device, vk_->queue, &rendered, 1, carrier,
                                     &render_done),
          "export_render_done");
    EXPECT_FALSE(must(render_done.is_signalled())) << "the simulated GPU cannot be done yet";
    ASSERT_OK(image_.dma_buf.import_sync_file(render_done, Access::write));

    // The consumer, as a GPU compositor samples: implicitly waiting for the write fences.
    EXPECT_EQ(must(image_.dma_buf.wait_idle(Access::read, kSoon)), WaitOutcome::ready);
    EXPECT_EQ(pixel_now(), kRed);
    vkQueueWaitIdle(vk_->queue);
    vkDestroySemaphore(vk_->device, carrier, nullptr);
    vkDestroySemaphore(vk_->device, rendered, nullptr);
}

TEST_F(FenceTransfer, PresentControlWithoutTheBridgeTheConsumerReadsAStaleFrame) {
    VkSemaphore rendered = vk_->create_semaphore();
    render(kRed, {}, {rendered}, VK_NULL_HANDLE);
    // No transfer: the dma-buf carries no fence, so the consumer does not wait...
    EXPECT_EQ(must(image_.dma_buf.wait_idle(Access::read, 0ms)), WaitOutcome::ready);
    // ...and reads what was there before the frame.
    EXPECT_EQ(pixel_now(), 0u);
    VkFence done = vk_->create_fence();
    vk_->submit(vk_->begin_commands(), done, {rendered}, {});
    check(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), "vkWaitForFences");
    EXPECT_EQ(pixel_now(), kRed) << "the frame did arrive, only too late for the consumer";
    vkDestroyFence(vk_->device, done, nullptr);
    vkDestroySemaphore(vk_->device, rendered, nullptr);
}

// Acquire: the consumer's pending reads become the acquire semaphore's payload, so the next
// frame's GPU work waits for them and never overwrites what the consumer is reading.
TEST_F(FenceTransfer, AcquireBridgedTheNextFrameWaitsForTheConsumersReads) {
    render_and_wait(kRed);
    const uint32_t reading = consumer_starts_reading();

    VkSemaphore acquired = vk_->create_semaphore();
    check(
        bridge::import_consumer_reads(next_, vk_->device, image_.dma_buf, acquired, VK_NULL_HANDLE),
        "import_consumer_reads");
    VkFence done = vk_->create_fence();
    render(kGreen, {acquired}, {}, done);

    std::this_thread::sleep_for(kLatency * 2);
    EXPECT_EQ(vkGetFenceStatus(vk_->device, done), VK_NOT_READY);
    EXPECT_EQ(pixel_now(), kRed) << "overwritten while the consumer was still reading";

    ASSERT_OK(vgem().signal(reading));
    check(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), "vkWaitForFences");
    EXPECT_EQ(pixel_now(), kGreen);
    vkDestroyFence(vk_->device, done, nullptr);
    vkDestroySemaphore(vk_->device, acquired, nullptr);
}

TEST_F(FenceTransfer, AcquireControlWithoutTheBridgeTheAppOverwritesWhatIsBeingRead) {
    render_and_wait(kRed);
    const uint32_t reading = consumer_starts_reading();
    VkFence done = vk_->create_fence();
    render(kGreen, {}, {}, done);
    check(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), "vkWaitForFences");
    // The consumer's read fence is still pending, yet its buffer already holds the next frame.
    EXPECT_EQ(must(image_.dma_buf.wait_idle(Access::write, 0ms)), WaitOutcome::timed_out);
    EXPECT_EQ(pixel_now(), kGreen);
    ASSERT_OK(vgem().signal(reading));
    vkDestroyFence(vk_->device, done, nullptr);
}

TEST_F(FenceTransfer, AcquireFenceWaitsForTheConsumerToo) {
    render_and_wait(kRed);
    const uint32_t reading = consumer_starts_reading();
    VkFence acquired = vk_->create_fence();
    check(
        bridge::import_consumer_reads(next_, vk_->device, image_.dma_buf, VK_NULL_HANDLE, acquired),
        "import_consumer_reads");
    EXPECT_EQ(vkWaitForFences(vk_->device, 1, &acquired, VK_TRUE, 100'000'000), VK_TIMEOUT);
    ASSERT_OK(vgem().signal(reading));
    EXPECT_EQ(vkWaitForFences(vk_->device, 1, &acquired, VK_TRUE, kVkSoon), VK_SUCCESS);
    vkDestroyFence(vk_->device, acquired, nullptr);
}

TEST_F(FenceTransfer, AcquiringAnIdleBufferDoesNotWait) {
    VkFence acquired = vk_->create_fence();
    VkSemaphore semaphore = vk_->create_semaphore();
    check(bridge::import_consumer_reads(next_, vk_->device, image_.dma_buf, semaphore, acquired),
          "import_consumer_reads");
    EXPECT_EQ(vkWaitForFences(vk_->device, 1, &acquired, VK_TRUE, 0), VK_SUCCESS);
    VkFence done = vk_->create_fence();
    vk_->submit(vk_->begin_commands(), done, {semaphore}, {});
    EXPECT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
    vkDestroyFence(vk_->device, done, nullptr);
    vkDestroyFence(vk_->device, acquired, nullptr);
    vkDestroySemaphore(vk_->device, semaphore, nullptr);
}

}  // namespace
}  // namespace sb::test

int main(int argc, char** argv) {
    sb::gpusim::test::use_build_tree_manifest(GPUSIM_MANIFEST_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
