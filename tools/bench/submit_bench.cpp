// What foreign queue-family transfers (layer/submit) cost the app's thread: recording barriers
// and vkQueueSubmit, through syncbridge over gpusim (latency 0) against gpusim alone, in the
// test VM; and over gpusim without SYNC_FD (the wait strategy) and with an export that waits for
// the GPU (150 ms here, as lavapipe 25's), where the release is deferred to the layer's thread
// (and, for comparison, SYNCBRIDGE_BLOCKING_EXPORT=app: exported on the app's thread). Only the
// measured call is timed; the GPU's work is waited for outside the timer. Run:
//   tools/vm/run -- build/tools/bench/syncbridge-submit-bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>

#include "gpusim/harness.hpp"
#include "kernel/dma_buf.hpp"
#include "support/vgem.hpp"

namespace {

using sb::gpusim::test::Buffer;
using sb::gpusim::test::Vk;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kSoonNs = 5'000'000'000;
constexpr VkDeviceSize kSize = 4096;

enum class Layers {
    gpusim_only,
    syncbridge,
    syncbridge_no_sync_fd,       // GPUSIM_SYNC_FD=0: the wait strategy
    syncbridge_blocking_export,  // GPUSIM_BLOCKING_EXPORT=1, latency 150 ms: releases deferred
    syncbridge_export_on_app,    // the same with SYNCBRIDGE_BLOCKING_EXPORT=app
};
// gpusim's GPU time for the blocking rows: above the layer's 100 ms blocking-export probe.
constexpr uint32_t kBlockingLatencyMs = 150;
enum class Barrier { none, release, acquire, acquire_pending };

// One device, one dma-buf buffer in exportable memory (the layer tracks it), and the other
// side's view of it.
struct Rig {
    explicit Rig(Layers layers) {
        const bool blocking = layers == Layers::syncbridge_blocking_export ||
                              layers == Layers::syncbridge_export_on_app;
        auto settings = sb::gpusim::test::dma_buf_device(blocking ? kBlockingLatencyMs : 0);
        if (layers != Layers::gpusim_only) {
            settings.layers_above = {"VK_LAYER_SYNCBRIDGE_wsi"};
        }
        settings.sync_fd = layers != Layers::syncbridge_no_sync_fd;
        // Read at vkCreateDevice: set for this rig's device only.
        (void)::setenv("GPUSIM_BLOCKING_EXPORT", blocking ? "1" : "0", 1);
        if (layers == Layers::syncbridge_export_on_app) {
            (void)::setenv("SYNCBRIDGE_BLOCKING_EXPORT", "app", 1);
        }
        vk = std::make_unique<Vk>(settings);
        (void)::unsetenv("GPUSIM_BLOCKING_EXPORT");
        (void)::unsetenv("SYNCBRIDGE_BLOCKING_EXPORT");
        buffer = std::make_unique<Buffer>(*vk, kSize, /*dma_buf=*/true);
        auto get_fd = vk->device_proc<PFN_vkGetMemoryFdKHR>("vkGetMemoryFdKHR");
        VkMemoryGetFdInfoKHR get{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
        get.memory = buffer->memory;
        get.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
        int fd = -1;
        sb::gpusim::test::check(get_fd(vk->device, &get, &fd), "vkGetMemoryFdKHR");
        other_side = sb::kernel::DmaBuf(sb::kernel::UniqueFd(fd));
        auto device = sb::test::Vgem::open();
        if (device) {
            vgem.emplace(std::move(device).value());
            auto handle = vgem->import_dma_buf(other_side);
            vgem_handle = handle ? *handle : 0;
        }
    }
    ~Rig() {
        (void)vkDeviceWaitIdle(vk->device);
        buffer.reset();
    }

    // A command buffer submitted again and again (each submit waited for): a fill, and the
    // transfer barrier asked for.
    VkCommandBuffer record(Barrier barrier) const {
        VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        info.commandPool = vk->pool;
        info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        info.commandBufferCount = 1;
        VkCommandBuffer cb = VK_NULL_HANDLE;
        sb::gpusim::test::check(vkAllocateCommandBuffers(vk->device, &info, &cb),
                                "vkAllocateCommandBuffers");
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        sb::gpusim::test::check(vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer");
        VkBufferMemoryBarrier transfer{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
        transfer.buffer = buffer->buffer;
        transfer.size = VK_WHOLE_SIZE;
        transfer.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        transfer.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        if (barrier == Barrier::acquire || barrier == Barrier::acquire_pending) {
            transfer.srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT;
            transfer.dstQueueFamilyIndex = vk->queue_family;
            transfer.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                                 VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 1, &transfer, 0,
                                 nullptr);
        }
        vkCmdFillBuffer(cb, buffer->buffer, 0, VK_WHOLE_SIZE, 0x5EED);
        if (barrier == Barrier::release) {
            transfer.srcQueueFamilyIndex = vk->queue_family;
            transfer.dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT;
            transfer.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 1, &transfer,
                                 0, nullptr);
        }
        sb::gpusim::test::check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
        return cb;
    }

    std::unique_ptr<Vk> vk;
    std::unique_ptr<Buffer> buffer;
    sb::kernel::DmaBuf other_side;
    std::optional<sb::test::Vgem> vgem;
    uint32_t vgem_handle = 0;
};

// One rig per kind, made at its first benchmark.
Rig& rig(Layers layers) {
    switch (layers) {
        case Layers::gpusim_only: {
            static Rig made(Layers::gpusim_only);
            return made;
        }
        case Layers::syncbridge: {
            static Rig made(Layers::syncbridge);
            return made;
        }
        case Layers::syncbridge_no_sync_fd: {
            static Rig made(Layers::syncbridge_no_sync_fd);
            return made;
        }
        case Layers::syncbridge_blocking_export: {
            static Rig made(Layers::syncbridge_blocking_export);
            return made;
        }
        case Layers::syncbridge_export_on_app:
            break;
    }
    static Rig made(Layers::syncbridge_export_on_app);
    return made;
}

// vkQueueSubmit of one command buffer. With acquire_pending, the other side still writes (a
// vgem write fence, signalled after the submit): the layer hands that wait to the GPU.
void BM_Submit(benchmark::State& state, Layers layers, Barrier barrier) {
    Rig& r = rig(layers);
    if (!r.vgem || r.vgem_handle == 0) {
        state.SkipWithError("no vgem");
        return;
    }
    const VkCommandBuffer cb = r.record(barrier);
    VkFence done = r.vk->create_fence();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cb;
    for (auto _ : state) {
        // The other side lets go of the buffer first: its last release's fence has signalled.
        (void)r.other_side.wait_idle(sb::kernel::Access::write, std::chrono::seconds(5));
        uint32_t writing = 0;
        if (barrier == Barrier::acquire_pending) {
            auto fence = r.vgem->attach_fence(r.vgem_handle, sb::kernel::Access::write);
            if (!fence) {
                state.SkipWithError("vgem fence attach failed");
                break;
            }
            writing = *fence;
        }
        const auto start = Clock::now();
        const VkResult submitted = vkQueueSubmit(r.vk->queue, 1, &submit, done);
        state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
        if (writing != 0) {
            (void)r.vgem->signal(writing);
        }
        if (submitted != VK_SUCCESS ||
            vkWaitForFences(r.vk->device, 1, &done, VK_TRUE, kSoonNs) != VK_SUCCESS) {
            state.SkipWithError("submit failed");
            break;
        }
        (void)vkResetFences(r.vk->device, 1, &done);
    }
    (void)vkQueueWaitIdle(r.vk->queue);
    vkDestroyFence(r.vk->device, done, nullptr);
    vkFreeCommandBuffers(r.vk->device, r.vk->pool, 1, &cb);
}
BENCHMARK_CAPTURE(BM_Submit, gpusim_alone, Layers::gpusim_only, Barrier::none)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, gpusim_alone_release, Layers::gpusim_only, Barrier::release)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, syncbridge_no_transfer, Layers::syncbridge, Barrier::none)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, syncbridge_release, Layers::syncbridge, Barrier::release)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, syncbridge_acquire_idle, Layers::syncbridge, Barrier::acquire)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, syncbridge_acquire_pending, Layers::syncbridge,
                  Barrier::acquire_pending)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// Without SYNC_FD (the wait strategy): a release fenced by the layer's vgem fence and thread, an
// acquire of an idle buffer (a pending one would make the app's thread wait for the other side,
// which here signals only after the submit).
BENCHMARK_CAPTURE(BM_Submit, wait_strategy_release, Layers::syncbridge_no_sync_fd, Barrier::release)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, wait_strategy_acquire_idle, Layers::syncbridge_no_sync_fd,
                  Barrier::acquire)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
// An export that waits for the GPU (150 ms of work per submit): deferred, and on the app's thread.
BENCHMARK_CAPTURE(BM_Submit, blocking_export_release_deferred, Layers::syncbridge_blocking_export,
                  Barrier::release)
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Submit, blocking_export_release_on_app_thread,
                  Layers::syncbridge_export_on_app, Barrier::release)
    ->UseManualTime()
    ->Iterations(10)
    ->Unit(benchmark::kMicrosecond);

// Recording: 64 barriers that transfer nothing (the common case every app records), begin to
// end. What the layer's barrier intercept costs a bridged device's command buffers.
void BM_Record64Barriers(benchmark::State& state, Layers layers) {
    Rig& r = rig(layers);
    VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    info.commandPool = r.vk->pool;
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    info.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    if (vkAllocateCommandBuffers(r.vk->device, &info, &cb) != VK_SUCCESS) {
        state.SkipWithError("vkAllocateCommandBuffers failed");
        return;
    }
    VkBufferMemoryBarrier barrier{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.buffer = r.buffer->buffer;
    barrier.size = VK_WHOLE_SIZE;
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    for (auto _ : state) {
        (void)vkBeginCommandBuffer(cb, &begin);
        for (int i = 0; i < 64; ++i) {
            vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 0, 0, nullptr, 1, &barrier, 0, nullptr);
        }
        (void)vkEndCommandBuffer(cb);
    }
    vkFreeCommandBuffers(r.vk->device, r.vk->pool, 1, &cb);
}
BENCHMARK_CAPTURE(BM_Record64Barriers, gpusim_alone, Layers::gpusim_only)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Record64Barriers, syncbridge, Layers::syncbridge)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
    (void)::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 0);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
