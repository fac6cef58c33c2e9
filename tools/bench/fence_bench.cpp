// What one present and one acquire cost the app's thread in the bridge's kernel and Vulkan
// calls: Google Benchmark over gpusim (latency 0) in the test VM. Run:
//   tools/vm/run -- build/tools/bench/syncbridge-fence-bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

#include "bridge/fence_transfer.hpp"
#include "dispatch/dispatch_table.hpp"
#include "gpusim/harness.hpp"
#include "kernel/dma_buf.hpp"
#include "support/vgem.hpp"
#include "wsi/dma_buf_image.hpp"

namespace {

using sb::gpusim::test::Settings;
using sb::gpusim::test::Vk;

struct Rig {
    Rig() {
        const Settings s = sb::gpusim::test::dma_buf_device(0);
        vk = std::make_unique<Vk>(s);
        sb::dispatch::load_device_table(next, vk->device, vkGetDeviceProcAddr);
        VkPhysicalDeviceMemoryProperties props;
        vkGetPhysicalDeviceMemoryProperties(vk->gpu, &props);
        sb::wsi::DmaBufImageInfo info;
        info.extent = {256, 256};
        ok = sb::wsi::create_dma_buf_image(next, vk->device, props, info, nullptr, &image) ==
             VK_SUCCESS;
    }
    ~Rig() {
        vkDeviceWaitIdle(vk->device);
        sb::wsi::destroy_dma_buf_image(next, vk->device, nullptr, &image);
    }
    std::unique_ptr<Vk> vk;
    sb::dispatch::DeviceTable next;
    sb::wsi::DmaBufImage image;
    bool ok = false;
};

Rig& rig() {
    static Rig r;
    return r;
}

// Present: submit + SYNC_FD export of the render-done semaphore + import into the dma-buf.
void BM_PresentFenceTransfer(benchmark::State& state) {
    Rig& r = rig();
    if (!r.ok) {
        state.SkipWithError("no dma-buf image (is vgem there?)");
        return;
    }
    VkSemaphore rendered = r.vk->create_semaphore();
    VkSemaphore carrier = VK_NULL_HANDLE;
    (void)sb::bridge::create_exportable_semaphore(r.next, r.vk->device, &carrier);
    for (auto _ : state) {
        r.vk->submit(r.vk->begin_commands(), VK_NULL_HANDLE, {}, {rendered});
        sb::kernel::SyncFile done;
        if (sb::bridge::export_render_done(r.next, r.vk->device, r.vk->queue, &rendered, 1, carrier,
                                           &done) != VK_SUCCESS ||
            !r.image.dma_buf.import_sync_file(done, sb::kernel::Access::write)) {
            state.SkipWithError("present transfer failed");
            break;
        }
        state.PauseTiming();
        vkQueueWaitIdle(r.vk->queue);
        vkResetCommandPool(r.vk->device, r.vk->pool, 0);
        state.ResumeTiming();
    }
    vkDestroySemaphore(r.vk->device, carrier, nullptr);
    vkDestroySemaphore(r.vk->device, rendered, nullptr);
}
BENCHMARK(BM_PresentFenceTransfer)->Unit(benchmark::kMicrosecond);

// Acquire: export of the dma-buf's fences + temporary SYNC_FD import into a semaphore.
void BM_AcquireFenceTransfer(benchmark::State& state) {
    Rig& r = rig();
    if (!r.ok) {
        state.SkipWithError("no dma-buf image (is vgem there?)");
        return;
    }
    VkSemaphore acquired = r.vk->create_semaphore();
    for (auto _ : state) {
        if (sb::bridge::import_consumer_reads(r.next, r.vk->device, r.image.dma_buf, acquired,
                                              VK_NULL_HANDLE) != VK_SUCCESS) {
            state.SkipWithError("acquire transfer failed");
            break;
        }
        state.PauseTiming();
        VkFence waited = r.vk->create_fence();
        r.vk->submit(r.vk->begin_commands(), waited, {acquired}, {});
        vkWaitForFences(r.vk->device, 1, &waited, VK_TRUE, 2'000'000'000);
        vkDestroyFence(r.vk->device, waited, nullptr);
        vkResetCommandPool(r.vk->device, r.vk->pool, 0);
        state.ResumeTiming();
    }
    vkDestroySemaphore(r.vk->device, acquired, nullptr);
}
BENCHMARK(BM_AcquireFenceTransfer)->Unit(benchmark::kMicrosecond);

// The kernel calls alone: dma-buf export + import of a sync_file.
void BM_DmaBufExportImport(benchmark::State& state) {
    auto vgem = sb::test::Vgem::open();
    if (!vgem) {
        state.SkipWithError("no vgem");
        return;
    }
    auto buf = vgem->new_dma_buf();
    for (auto _ : state) {
        auto fence = buf->export_sync_file(sb::kernel::Access::write);
        benchmark::DoNotOptimize(buf->import_sync_file(*fence, sb::kernel::Access::read).ok());
    }
}
BENCHMARK(BM_DmaBufExportImport)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
    sb::gpusim::test::use_build_tree_manifest(GPUSIM_MANIFEST_DIR);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
