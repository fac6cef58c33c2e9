// Foreign queue-family transfers at vkQueueSubmit, end to end in the test VM. An app on gpusim
// (slow, explicit sync only) shares memory as a dma-buf with a user outside Vulkan, played here by
// the test through the kernel's implicit-sync fences; syncbridge sits between them.
// - Release: a barrier to VK_QUEUE_FAMILY_FOREIGN_EXT, submitted; the other side's implicit-sync
//   read (DMA_BUF_IOCTL_SYNC) must then see the GPU's writes, not what was there before, and
//   vkQueueSubmit must not have waited for the GPU.
// - Acquire: the other side still writes (a vgem write fence it signals when done); a barrier
//   from VK_QUEUE_FAMILY_FOREIGN_EXT, submitted; the GPU must read what it wrote once it is done.
// Each has its control: the same submit with syncbridge's transfers off
// (SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1) shows the race the bridge prevents. And each runs on
// three drivers: one with SYNC_FD (the import strategy: the driver's fences), one without
// (GPUSIM_SYNC_FD=0, the wait strategy: the app's thread waits at an acquire, the layer's vgem
// fence and thread at a release), and one whose SYNC_FD export waits for the GPU
// (GPUSIM_BLOCKING_EXPORT=1, as lavapipe 25's: the release is deferred as without SYNC_FD); and,
// where the backports prefix is there (kernel.submit-transfers-lavapipe25, Linux 6.12), on
// lavapipe 25 itself, whose export blocks. Its GPU is the CPU and fast: its release fills 32 MiB
// and the other side reads the last word, so that the control's read lands inside the fill.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "gpusim/harness.hpp"
#include "kernel/fixture.hpp"
#include "support/fd_count.hpp"

namespace sb::test {
namespace {

using gpusim::test::check;
using gpusim::test::Vk;

constexpr uint32_t kOld = 0x0BAD0BADu;  // what the memory held before
constexpr uint32_t kNew = 0xC0FFEE01u;  // what the writer of the transfer wrote
constexpr VkDeviceSize kSize = 4096;
constexpr uint64_t kVkSoon = 5'000'000'000;  // ns

enum class Sync { v1, v2 };
enum class Bridge { on, off };
// gpusim as a driver with SYNC_FD, without it, or with an export that waits for the GPU.
enum class Driver { sync_fd, no_sync_fd, blocking_export, lavapipe25 };

struct Case {
    Sync sync;
    Bridge bridge;
    Driver driver = Driver::sync_fd;
};

const char* driver_name(Driver driver) {
    switch (driver) {
        case Driver::sync_fd:
            return "SyncFd";
        case Driver::no_sync_fd:
            return "NoSyncFd";
        case Driver::blocking_export:
            return "BlockingExport";
        case Driver::lavapipe25:
            return "Lavapipe25";
    }
    return "?";
}

[[maybe_unused]] void PrintTo(const Case& c, std::ostream* out) {
    *out << (c.sync == Sync::v1 ? "vkCmdPipelineBarrier" : "vkCmdPipelineBarrier2")
         << (c.bridge == Bridge::on ? ", bridged" : ", control") << ", " << driver_name(c.driver);
}

std::string name(const ::testing::TestParamInfo<Case>& info) {
    return std::string(info.param.sync == Sync::v1 ? "Barrier1" : "Barrier2") +
           (info.param.bridge == Bridge::on ? "Bridged" : "Control") +
           (info.param.driver == Driver::sync_fd ? "" : driver_name(info.param.driver));
}

class ForeignTransfer : public VgemTest, public ::testing::WithParamInterface<Case> {
  protected:
    void SetUp() override {
        const char* backports = std::getenv("SYNCBRIDGE_BACKPORTS");
        if (lavapipe25() && (backports == nullptr || *backports == '\0')) {
            GTEST_SKIP() << "lavapipe 25 runs in kernel.submit-transfers-lavapipe25 (backports)";
        }
        VgemTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        if (GetParam().bridge == Bridge::off) {
            (void)::setenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1", 1);
        } else {
            (void)::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
        }
        (void)::setenv("GPUSIM_BLOCKING_EXPORT",
                       GetParam().driver == Driver::blocking_export ? "1" : "0", 1);
        auto settings = gpusim::test::dma_buf_device(latency_ms());
        settings.sync_fd = GetParam().driver != Driver::no_sync_fd;
        settings.gpusim = !lavapipe25();
        settings.layers_above = {"VK_LAYER_SYNCBRIDGE_wsi"};
        settings.validation_above_gpusim = validated();
        vk_ = std::make_unique<Vk>(settings);
        get_memory_fd_ = vk_->device_proc<PFN_vkGetMemoryFdKHR>("vkGetMemoryFdKHR");
    }
    void TearDown() override {
        vk_.reset();
        (void)::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
        (void)::unsetenv("GPUSIM_BLOCKING_EXPORT");
    }

    bool bridged() const { return GetParam().bridge == Bridge::on; }
    bool lavapipe25() const { return GetParam().driver == Driver::lavapipe25; }
    // The released buffer: long enough to fill on lavapipe that the other side's read can land
    // inside the fill (udmabuf's default limit is 64 MiB).
    VkDeviceSize release_size() const { return lavapipe25() ? VkDeviceSize{32} << 20 : kSize; }
    // Without SYNC_FD import the GPU cannot be made to wait: the app's thread does, in
    // vkQueueSubmit, while the other side still writes.
    bool acquire_waits_on_cpu() const { return GetParam().driver == Driver::no_sync_fd; }
    virtual bool validated() const { return false; }
    virtual uint32_t latency_ms() const { return kLatencyMs; }

    // The memory's dma-buf, as the app hands it to the other side.
    DmaBuf export_memory(VkDeviceMemory memory) {
        VkMemoryGetFdInfoKHR get{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
        get.memory = memory;
        get.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        int fd = -1;
        check(get_memory_fd_(vk_->device, &get, &fd), "vkGetMemoryFdKHR");
        return DmaBuf(kernel::UniqueFd(fd));
    }

    // One ownership transfer of `buffer` between the queue's family and FOREIGN, with either
    // barrier command.
    void transfer(VkCommandBuffer cb, VkBuffer buffer, bool release) {
        const uint32_t foreign = VK_QUEUE_FAMILY_FOREIGN_EXT;
        const uint32_t ours = vk_->queue_family;
        if (GetParam().sync == Sync::v1) {
            VkBufferMemoryBarrier barrier{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
            barrier.srcAccessMask = release ? VK_ACCESS_TRANSFER_WRITE_BIT : 0;
            barrier.dstAccessMask = release ? 0 : VK_ACCESS_TRANSFER_READ_BIT;
            barrier.srcQueueFamilyIndex = release ? ours : foreign;
            barrier.dstQueueFamilyIndex = release ? foreign : ours;
            barrier.buffer = buffer;
            barrier.size = VK_WHOLE_SIZE;
            vkCmdPipelineBarrier(
                cb, release ? VK_PIPELINE_STAGE_TRANSFER_BIT : VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                release ? VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                0, nullptr, 1, &barrier, 0, nullptr);
            return;
        }
        VkBufferMemoryBarrier2 barrier{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2};
        barrier.srcStageMask =
            release ? VK_PIPELINE_STAGE_2_TRANSFER_BIT : VK_PIPELINE_STAGE_2_NONE;
        barrier.srcAccessMask = release ? VK_ACCESS_2_TRANSFER_WRITE_BIT : VK_ACCESS_2_NONE;
        barrier.dstStageMask =
            release ? VK_PIPELINE_STAGE_2_NONE : VK_PIPELINE_STAGE_2_TRANSFER_BIT;
        barrier.dstAccessMask = release ? VK_ACCESS_2_NONE : VK_ACCESS_2_TRANSFER_READ_BIT;
        barrier.srcQueueFamilyIndex = release ? ours : foreign;
        barrier.dstQueueFamilyIndex = release ? foreign : ours;
        barrier.buffer = buffer;
        barrier.size = VK_WHOLE_SIZE;
        VkDependencyInfo dependency{VK_STRUCTURE_TYPE_DEPENDENCY_INFO};
        dependency.bufferMemoryBarrierCount = 1;
        dependency.pBufferMemoryBarriers = &barrier;
        vkCmdPipelineBarrier2(cb, &dependency);
    }

    // Ends `cb` and submits it with vkQueueSubmit or vkQueueSubmit2, as the case says.
    void submit(VkCommandBuffer cb, VkFence fence) {
        if (GetParam().sync == Sync::v1) {
            vk_->submit(cb, fence);
            return;
        }
        check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
        VkCommandBufferSubmitInfo commands{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
        commands.commandBuffer = cb;
        VkSubmitInfo2 info{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
        info.commandBufferInfoCount = 1;
        info.pCommandBufferInfos = &commands;
        check(vkQueueSubmit2(vk_->queue, 1, &info, fence), "vkQueueSubmit2");
    }

    static constexpr uint32_t kLatencyMs = 200;
    std::unique_ptr<Vk> vk_;
    PFN_vkGetMemoryFdKHR get_memory_fd_ = nullptr;
};

uint32_t word_at(const kernel::DmaBufMapping& map, VkDeviceSize offset) {
    uint32_t word = 0;
    std::memcpy(&word, static_cast<const char*>(map.data()) + offset, sizeof(word));
    return word;
}

TEST_P(ForeignTransfer, ReleaseMakesTheOtherSideWaitForTheGpusWrites) {
    const VkDeviceSize size = release_size();
    const VkDeviceSize last = size - sizeof(uint32_t);
    gpusim::test::Buffer shared(*vk_, size, /*dma_buf=*/true);
    const DmaBuf other_side = export_memory(shared.memory);
    const auto map = must(other_side.map(size, Access::read_write));
    ASSERT_OK(other_side.begin_cpu_access(Access::write));
    std::memcpy(static_cast<char*>(map.data()) + last, &kOld, sizeof(kOld));
    ASSERT_OK(other_side.end_cpu_access(Access::write));

    VkCommandBuffer cb = vk_->begin_commands();
    vkCmdFillBuffer(cb, shared.buffer, 0, VK_WHOLE_SIZE, kNew);
    transfer(cb, shared.buffer, /*release=*/true);
    VkFence done = vk_->create_fence();
    submit(cb, done);

    // vkQueueSubmit has returned: the app may now hand the buffer over. The other side reads
    // the way implicit sync does, after the buffer's write fences.
    const bool pending = !must(must(other_side.export_sync_file(Access::read)).is_signalled());
    ASSERT_OK(other_side.begin_cpu_access(Access::read));
    const uint32_t seen = word_at(map, last);
    ASSERT_OK(other_side.end_cpu_access(Access::read));
    ASSERT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
    vkDestroyFence(vk_->device, done, nullptr);

    if (bridged()) {
        EXPECT_EQ(seen, kNew) << "the other side read before the GPU's writes were done";
        // And the app's thread did not wait for the GPU: the fence was still pending. (lavapipe's
        // fill may be done by then on its own: there only the value counts.)
        if (!lavapipe25()) {
            EXPECT_TRUE(pending) << "vkQueueSubmit waited for the GPU on the app's thread";
        }
        RecordProperty("fence_pending_after_submit", pending ? "yes" : "no");
    } else {
        EXPECT_EQ(seen, kOld) << "the control does not bite: the GPU finished within the read";
        EXPECT_FALSE(pending)
            << "a write fence without the bridge: the driver is not explicit-only";
    }
}

TEST_P(ForeignTransfer, AcquireMakesTheGpuWaitForTheOtherSidesWrites) {
    gpusim::test::Buffer shared(*vk_, kSize, /*dma_buf=*/true);
    gpusim::test::Buffer readback(*vk_, kSize, /*dma_buf=*/false);
    const DmaBuf other_side = export_memory(shared.memory);
    const auto map = must(other_side.map(kSize, Access::read_write));
    ASSERT_OK(other_side.begin_cpu_access(Access::write));
    std::memcpy(map.data(), &kOld, sizeof(kOld));
    ASSERT_OK(other_side.end_cpu_access(Access::write));
    // The other side is still writing the buffer: a write fence it signals when it is done,
    // longer after the submit than the GPU takes.
    const uint32_t handle = must(vgem().import_dma_buf(other_side));
    const uint32_t writing = must(vgem().attach_fence(handle, Access::write));
    std::atomic<bool> signalling{false};  // set before the signal: a waiter sees it after
    std::atomic<bool> written{false};
    std::thread writer([&] {
        // Well after the GPU's 200 ms (the control's copy runs then) and after vkQueueSubmit
        // returns on a loaded machine or under TSan (where the GPU waits).
        std::this_thread::sleep_for(std::chrono::milliseconds(kLatencyMs + 800));
        std::memcpy(map.data(), &kNew, sizeof(kNew));  // inside the fence: no DMA_BUF_IOCTL_SYNC
        signalling = true;
        written = static_cast<bool>(vgem().signal(writing));
    });

    VkCommandBuffer cb = vk_->begin_commands();
    transfer(cb, shared.buffer, /*release=*/false);
    VkBufferCopy region{0, 0, sizeof(uint32_t)};
    vkCmdCopyBuffer(cb, shared.buffer, readback.buffer, 1, &region);
    VkFence done = vk_->create_fence();
    submit(cb, done);
    // Did vkQueueSubmit return only once the other side was done?
    const bool submit_waited = signalling.load();
    writer.join();
    ASSERT_TRUE(written.load()) << "the other side could not signal its fence";
    ASSERT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
    vkDestroyFence(vk_->device, done, nullptr);
    ASSERT_OK(vgem().close_handle(handle));

    void* data = nullptr;
    check(vkMapMemory(vk_->device, readback.memory, 0, sizeof(uint32_t), 0, &data), "vkMapMemory");
    uint32_t copied = 0;
    std::memcpy(&copied, data, sizeof(copied));
    vkUnmapMemory(vk_->device, readback.memory);

    if (bridged()) {
        EXPECT_EQ(copied, kNew) << "the copy ran while the other side still wrote";
        if (acquire_waits_on_cpu()) {
            EXPECT_TRUE(submit_waited) << "no SYNC_FD import: vkQueueSubmit must wait instead";
        } else {
            EXPECT_FALSE(submit_waited) << "the app's thread waited where the GPU could";
        }
    } else {
        EXPECT_EQ(copied, kOld) << "the control does not bite: the GPU waited anyway";
        EXPECT_FALSE(submit_waited);
    }
}

// The layer keeps one fd per dma-buf memory object, and records in command buffers share it:
// once the memory is freed and the command buffer reset, nothing of it is left open.
TEST_P(ForeignTransfer, NoFdOutlivesItsMemoryAndCommandBuffer) {
    // Counted after the first round: a deferred release opens the vgem node the device then
    // keeps for all its releases.
    int before = 0;
    for (int round = 0; round <= 10; ++round) {
        if (round == 1) {
            before = open_fd_count();
        }
        gpusim::test::Buffer shared(*vk_, kSize, /*dma_buf=*/true);
        VkCommandBuffer cb = vk_->begin_commands();
        vkCmdFillBuffer(cb, shared.buffer, 0, VK_WHOLE_SIZE, kNew);
        transfer(cb, shared.buffer, /*release=*/true);
        VkFence done = vk_->create_fence();
        submit(cb, done);
        ASSERT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
        vkDestroyFence(vk_->device, done, nullptr);
        vkFreeCommandBuffers(vk_->device, vk_->pool, 1, &cb);
    }
    EXPECT_EQ(open_fd_count(), before);
}

// 1000 transfers, released and acquired back as an app that shares a buffer every frame would, on
// a fast GPU: the layer's semaphores, fences, vgem fences and its releaser thread are reused, so
// neither the open fds nor the threads grow.
class ForeignTransferRepeated : public ForeignTransfer {
  protected:
    uint32_t latency_ms() const override { return 1; }
};

TEST_P(ForeignTransferRepeated, NoFdOrThreadGrowthOver1000Transfers) {
    gpusim::test::Buffer shared(*vk_, kSize, /*dma_buf=*/true);
    const DmaBuf other_side = export_memory(shared.memory);
    VkFence done = vk_->create_fence();
    auto round_trip = [&] {
        VkCommandBuffer cb = vk_->begin_commands();
        transfer(cb, shared.buffer, /*release=*/false);
        vkCmdFillBuffer(cb, shared.buffer, 0, VK_WHOLE_SIZE, kNew);
        transfer(cb, shared.buffer, /*release=*/true);
        submit(cb, done);
        ASSERT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
        ASSERT_EQ(vkResetFences(vk_->device, 1, &done), VK_SUCCESS);
        vkFreeCommandBuffers(vk_->device, vk_->pool, 1, &cb);
        // The other side takes it (implicit sync) and gives it straight back.
        ASSERT_EQ(must(other_side.wait_idle(Access::write, kSoon)), WaitOutcome::ready);
    };
    round_trip();  // the first one starts what the layer keeps (its thread, its fences)
    const int fds = open_fd_count();
    const int threads = thread_count();
    for (int i = 0; i < 1000 && !HasFatalFailure(); ++i) {
        round_trip();
    }
    vkDestroyFence(vk_->device, done, nullptr);
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(thread_count(), threads);
}

// The validation layer between syncbridge and gpusim checks what the layer asks of the driver
// around a release and an acquire: its batch with the imported wait and the barrier, the
// semaphores it reuses, the carrier it exports.
class ForeignTransferValidated : public ForeignTransfer {
  protected:
    void SetUp() override {
        if (!validation_installed()) {
            GTEST_SKIP() << "vulkan-validationlayers is not installed";
        }
        ForeignTransfer::SetUp();
    }
    bool validated() const override { return true; }

    static bool validation_installed() {
        uint32_t count = 0;
        (void)vkEnumerateInstanceLayerProperties(&count, nullptr);
        std::vector<VkLayerProperties> layers(count);
        (void)vkEnumerateInstanceLayerProperties(&count, layers.data());
        for (const auto& layer : layers) {
            if (std::strcmp(layer.layerName, "VK_LAYER_KHRONOS_validation") == 0) {
                return true;
            }
        }
        return false;
    }
};

TEST_P(ForeignTransferValidated, TheLayersBatchesAreValid) {
    gpusim::test::Buffer shared(*vk_, kSize, /*dma_buf=*/true);
    const DmaBuf other_side = export_memory(shared.memory);
    const uint32_t handle = must(vgem().import_dma_buf(other_side));
    for (int round = 0; round < 3; ++round) {
        // The other side takes the buffer once the last release's fence lets it (implicit
        // sync), writes, and gives it back with its write fence still pending.
        ASSERT_EQ(must(other_side.wait_idle(Access::write, kSoon)), WaitOutcome::ready);
        const uint32_t writing = must(vgem().attach_fence(handle, Access::write));
        VkCommandBuffer cb = vk_->begin_commands();
        transfer(cb, shared.buffer, /*release=*/false);
        vkCmdFillBuffer(cb, shared.buffer, 0, VK_WHOLE_SIZE, kNew);
        transfer(cb, shared.buffer, /*release=*/true);
        VkFence done = vk_->create_fence();
        submit(cb, done);
        ASSERT_OK(vgem().signal(writing));
        ASSERT_EQ(vkWaitForFences(vk_->device, 1, &done, VK_TRUE, kVkSoon), VK_SUCCESS);
        vkDestroyFence(vk_->device, done, nullptr);
        vkFreeCommandBuffers(vk_->device, vk_->pool, 1, &cb);
    }
    ASSERT_OK(vgem().close_handle(handle));
    EXPECT_EQ(vk_->validation_messages(), 0) << vk_->first_validation_message();
}

INSTANTIATE_TEST_SUITE_P(Submit, ForeignTransferValidated,
                         ::testing::Values(Case{Sync::v1, Bridge::on}, Case{Sync::v2, Bridge::on}),
                         name);

INSTANTIATE_TEST_SUITE_P(Submit, ForeignTransfer,
                         ::testing::Values(Case{Sync::v1, Bridge::on}, Case{Sync::v1, Bridge::off},
                                           Case{Sync::v2, Bridge::on}, Case{Sync::v2, Bridge::off}),
                         name);
INSTANTIATE_TEST_SUITE_P(WithoutSyncFd, ForeignTransfer,
                         ::testing::Values(Case{Sync::v1, Bridge::on, Driver::no_sync_fd},
                                           Case{Sync::v1, Bridge::off, Driver::no_sync_fd},
                                           Case{Sync::v2, Bridge::on, Driver::no_sync_fd},
                                           Case{Sync::v2, Bridge::off, Driver::no_sync_fd}),
                         name);
INSTANTIATE_TEST_SUITE_P(BlockingExport, ForeignTransfer,
                         ::testing::Values(Case{Sync::v1, Bridge::on, Driver::blocking_export},
                                           Case{Sync::v1, Bridge::off, Driver::blocking_export},
                                           Case{Sync::v2, Bridge::on, Driver::blocking_export},
                                           Case{Sync::v2, Bridge::off, Driver::blocking_export}),
                         name);
INSTANTIATE_TEST_SUITE_P(Lavapipe25, ForeignTransfer,
                         ::testing::Values(Case{Sync::v1, Bridge::on, Driver::lavapipe25},
                                           Case{Sync::v1, Bridge::off, Driver::lavapipe25},
                                           Case{Sync::v2, Bridge::on, Driver::lavapipe25},
                                           Case{Sync::v2, Bridge::off, Driver::lavapipe25}),
                         name);
INSTANTIATE_TEST_SUITE_P(Submit, ForeignTransferRepeated,
                         ::testing::Values(Case{Sync::v1, Bridge::on, Driver::sync_fd},
                                           Case{Sync::v2, Bridge::on, Driver::no_sync_fd},
                                           Case{Sync::v1, Bridge::on, Driver::blocking_export}),
                         name);
INSTANTIATE_TEST_SUITE_P(Lavapipe25, ForeignTransferRepeated,
                         ::testing::Values(Case{Sync::v1, Bridge::on, Driver::lavapipe25}), name);

}  // namespace
}  // namespace sb::test

int main(int argc, char** argv) {
    // Self-contained in the VM: find both layers in the build tree.
    (void)setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 0);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
