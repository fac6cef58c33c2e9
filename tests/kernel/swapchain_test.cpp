// The swapchain core over gpusim in the VM, in front of a fake consumer that behaves like a GPU
// compositor with implicit sync: it samples a buffer only after the buffer's write fences
// signalled, holds a read fence on it while "compositing", and releases the previous buffer as
// soon as a new one is attached, before its read fence signals. It checks every frame: the
// content must be the frame presented (else: stale), and must not change while its read fence
// is pending (else: overwritten). The control runs the same frames with the bridge's fence
// transfers switched off and must show the corruption.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "dispatch/dispatch_table.hpp"
#include "gpusim/harness.hpp"
#include "kernel/fixture.hpp"
#include "util/fault.hpp"
#include "util/switches.hpp"
#include "wsi/swapchain.hpp"

namespace sb::test {
namespace {

using gpusim::test::check;
using gpusim::test::Settings;
using gpusim::test::Vk;

// Frame f's clear colour as the CPU sees the B8G8R8A8 word: R = f & 0xff, G = f >> 8, B = 0x55.
uint32_t frame_word(uint32_t f) {
    return 0xFF000055u | ((f & 0xFFu) << 16) | ((f >> 8 & 0xFFu) << 8);
}

struct Verdicts {
    std::atomic<int> frames{0};
    std::atomic<int> stale{0};
    std::atomic<int> overwritten{0};
};

class FakeCompositor;

class FakePresenter final : public wsi::Presenter {
  public:
    FakePresenter(FakeCompositor& compositor) : compositor_(compositor) {}
    VkResult present(const wsi::PresentRequest& request) override;

  private:
    FakeCompositor& compositor_;
};

class FakeCompositor final : public wsi::Surface {
  public:
    FakeCompositor(Vgem& vgem, std::chrono::milliseconds hold) : vgem_(vgem), hold_(hold) {}
    ~FakeCompositor() override { stop(); }

    VkResult query_formats(std::vector<wsi::FormatModifier>* formats) override {
        formats->push_back({0x34325241 /* AR24 */, 0});
        return VK_SUCCESS;
    }
    bool current_extent(VkExtent2D*) override { return false; }
    [[nodiscard]] std::span<const VkPresentModeKHR> present_modes() const override {
        return kModes;
    }
    VkResult create_presenter(const std::vector<wsi::BufferDescription>& buffers,
                              const wsi::AppDevice& /*device*/, wsi::ConsumerEvents* events,
                              std::unique_ptr<wsi::Presenter>* presenter) override {
        for (const auto& b : buffers) {
            auto dup = kernel::UniqueFd::duplicate(b.dma_buf_fd);
            buffers_.push_back(DmaBuf(std::move(dup).value()));
            offsets_.push_back(b.offset);
            handles_.push_back(must(vgem_.import_dma_buf(buffers_.back())));
            maps_.push_back(must(buffers_.back().map(b.offset + 4096, Access::read)));
        }
        events_ = events;
        thread_ = std::thread([this] { run(); });
        *presenter = std::make_unique<FakePresenter>(*this);
        return VK_SUCCESS;
    }

    // The app side tells the compositor which frame each commit carries (out of band: the
    // compositor cannot know it otherwise).
    void expect(uint32_t frame) {
        std::lock_guard lock(mutex_);
        expected_.push_back(frame);
    }
    // FIFO pacing, as a compositor's frame callbacks give it: a FIFO commit waits (at most a
    // grace) until the compositor has shown the last one.
    void commit(uint32_t image, bool fifo) {
        std::unique_lock lock(mutex_);
        if (fifo) {
            changed_.wait_for(lock, 250ms, [this] { return frames_shown_ == fifo_commits_; });
            fifo_commits_ = frames_shown_ + 1;
        }
        commits_.push_back({image, fifo});
        changed_.notify_all();
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    Verdicts verdicts;

  private:
    static constexpr VkPresentModeKHR kModes[] = {VK_PRESENT_MODE_FIFO_KHR,
                                                  VK_PRESENT_MODE_MAILBOX_KHR};
    struct Commit {
        uint32_t image;
        bool fifo;
    };
    uint32_t pixel(uint32_t image) const {
        uint32_t word = 0;
        std::memcpy(&word, static_cast<const char*>(maps_[image].data()) + offsets_[image], 4);
        return word;
    }
    void run() {
        int64_t shown = -1;
        for (;;) {
            Commit c{};
            uint32_t frame = 0;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [this] { return stopping_ || !commits_.empty(); });
                if (stopping_) {
                    return;
                }
                c = commits_.front();
                commits_.pop_front();
                frame = expected_.front();
                expected_.pop_front();
            }
            // Sample as a GPU would: implicitly after the buffer's write fences.
            (void)buffers_[c.image].wait_idle(Access::read, kSoon);
            const uint32_t seen = pixel(c.image);
            verdicts.frames++;
            if (seen != frame_word(frame)) {
                verdicts.stale++;
            }
            const uint32_t reading = must(vgem_.attach_fence(handles_[c.image], Access::read));
            // A new buffer is attached: the previous one goes back at once, its reads pending.
            if (shown >= 0 && shown != c.image) {
                events_->on_released(static_cast<uint32_t>(shown), kernel::SyncFile{});
            }
            shown = c.image;
            std::this_thread::sleep_for(hold_);
            if (pixel(c.image) != seen) {
                verdicts.overwritten++;
            }
            (void)vgem_.signal(reading);
            {
                std::lock_guard lock(mutex_);
                ++frames_shown_;
            }
            changed_.notify_all();
        }
    }

    Vgem& vgem_;
    std::chrono::milliseconds hold_;
    std::vector<DmaBuf> buffers_;
    std::vector<uint64_t> offsets_;
    std::vector<uint32_t> handles_;
    std::vector<kernel::DmaBufMapping> maps_;
    wsi::ConsumerEvents* events_ = nullptr;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Commit> commits_;
    std::deque<uint32_t> expected_;
    bool stopping_ = false;
    uint64_t frames_shown_ = 0;
    uint64_t fifo_commits_ = 0;
    std::thread thread_;
};

VkResult FakePresenter::present(const wsi::PresentRequest& request) {
    compositor_.commit(request.image, request.mode == VK_PRESENT_MODE_FIFO_KHR);
    return VK_SUCCESS;
}

struct RunResult {
    int frames;
    int stale;
    int overwritten;
};

class Swapchain : public VgemTest {
  protected:
    RunResult run_frames(VkPresentModeKHR mode, bool bridged, uint32_t frames,
                         bridge::Strategy strategy = bridge::Strategy::kernel_import) {
        // A GPU slower than the compositor's reads makes unfenced frames stale; reads held longer
        // than some renders make unfenced writes land on buffers still being read.
        const Settings s = gpusim::test::dma_buf_device(24, 20);
        Vk vk(s);
        dispatch::DeviceTable next;
        dispatch::load_device_table(next, vk.device, vkGetDeviceProcAddr);
        wsi::DeviceContext ctx;
        ctx.next = &next;
        ctx.device = vk.device;
        vkGetPhysicalDeviceMemoryProperties(vk.gpu, &ctx.memory_properties);
        ctx.strategy = strategy;
        ctx.internal_queue = vk.queue;
        ctx.disable_fence_transfer_for_tests = !bridged;
        wsi::SwapchainConfig config;
        config.extent = {64, 64};
        config.drm_format = 0x34325241;
        config.image_count = 3;
        config.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
        config.present_mode = mode;

        FakeCompositor compositor(vgem(), 20ms);
        std::unique_ptr<wsi::Swapchain> chain;
        check(wsi::Swapchain::create(ctx, compositor, config, nullptr, &chain), "create");

        std::vector<VkSemaphore> acquired(config.image_count);
        std::vector<VkSemaphore> rendered(config.image_count);
        for (uint32_t i = 0; i < config.image_count; ++i) {
            acquired[i] = vk.create_semaphore();
            rendered[i] = vk.create_semaphore();
        }
        for (uint32_t f = 0; f < frames; ++f) {
            uint32_t index = 0;
            const VkSemaphore acquire_sem = acquired[f % config.image_count];
            EXPECT_EQ(chain->acquire(2'000'000'000, acquire_sem, VK_NULL_HANDLE, &index),
                      VK_SUCCESS);
            render(vk, chain->image(index).image, f, acquire_sem, rendered[index]);
            compositor.expect(f);
            EXPECT_EQ(chain->present(vk.queue, index, &rendered[index], 1), VK_SUCCESS);
        }
        vkDeviceWaitIdle(vk.device);
        std::this_thread::sleep_for(100ms);
        compositor.stop();
        chain.reset();
        for (uint32_t i = 0; i < config.image_count; ++i) {
            vkDestroySemaphore(vk.device, acquired[i], nullptr);
            vkDestroySemaphore(vk.device, rendered[i], nullptr);
        }
        return {compositor.verdicts.frames, compositor.verdicts.stale,
                compositor.verdicts.overwritten};
    }

    static void render(Vk& vk, VkImage image, uint32_t frame, VkSemaphore wait,
                       VkSemaphore signal) {
        VkCommandBuffer cb = vk.begin_commands();
        VkImageMemoryBarrier to_dst{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
        to_dst.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_dst.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        to_dst.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        to_dst.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_dst.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        to_dst.image = image;
        to_dst.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             0, 0, nullptr, 0, nullptr, 1, &to_dst);
        VkClearColorValue value{};
        value.float32[0] = static_cast<float>(frame & 0xFFu) / 255.0f;
        value.float32[1] = static_cast<float>(frame >> 8 & 0xFFu) / 255.0f;
        value.float32[2] = static_cast<float>(0x55) / 255.0f;
        value.float32[3] = 1.0f;
        vkCmdClearColorImage(cb, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &value, 1,
                             &to_dst.subresourceRange);
        vk.submit(cb, VK_NULL_HANDLE, {wait}, {signal});
    }
};

TEST_F(Swapchain, MailboxBridgedShowsEveryFrameAndNeverOverwrites) {
    const RunResult r = run_frames(VK_PRESENT_MODE_MAILBOX_KHR, true, 60);
    std::printf("[swapchain] mailbox bridged: %d frames, %d stale, %d overwritten\n", r.frames,
                r.stale, r.overwritten);
    EXPECT_EQ(r.frames, 60);
    EXPECT_EQ(r.stale, 0);
    EXPECT_EQ(r.overwritten, 0);
}

TEST_F(Swapchain, FifoBridgedShowsEveryFrameAndNeverOverwrites) {
    const RunResult r = run_frames(VK_PRESENT_MODE_FIFO_KHR, true, 60);
    std::printf("[swapchain] fifo bridged: %d frames, %d stale, %d overwritten\n", r.frames,
                r.stale, r.overwritten);
    EXPECT_EQ(r.frames, 60);
    EXPECT_EQ(r.stale, 0);
    EXPECT_EQ(r.overwritten, 0);
}

TEST_F(Swapchain, ControlWithoutFenceTransfersShowsStaleAndOverwrittenFrames) {
    const RunResult r = run_frames(VK_PRESENT_MODE_MAILBOX_KHR, false, 60);
    std::printf("[swapchain] mailbox control: %d frames, %d stale, %d overwritten\n", r.frames,
                r.stale, r.overwritten);
    EXPECT_EQ(r.frames, 60);
    EXPECT_GT(r.stale + r.overwritten, 0) << "the control did not bite";
}

TEST_F(Swapchain, WaitStrategyShowsEveryFrameAndNeverOverwrites) {
    for (VkPresentModeKHR mode : {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_FIFO_KHR}) {
        const RunResult r = run_frames(mode, true, 60, bridge::Strategy::userspace_wait);
        std::printf("[swapchain] %s wait strategy: %d frames, %d stale, %d overwritten\n",
                    mode == VK_PRESENT_MODE_FIFO_KHR ? "fifo" : "mailbox", r.frames, r.stale,
                    r.overwritten);
        EXPECT_EQ(r.frames, 60);
        EXPECT_EQ(r.stale, 0);
        EXPECT_EQ(r.overwritten, 0);
    }
}

// Acquire's results, as the spec gives them, with a consumer that holds on to its buffers.
class SwapchainResults : public VgemTest {
  protected:
    void SetUp() override {
        VgemTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        const Settings s = gpusim::test::dma_buf_device(latency_ms());
        vk_ = std::make_unique<Vk>(s);
        dispatch::load_device_table(next_, vk_->device, vkGetDeviceProcAddr);
        ctx_.next = &next_;
        ctx_.device = vk_->device;
        vkGetPhysicalDeviceMemoryProperties(vk_->gpu, &ctx_.memory_properties);
        ctx_.internal_queue = vk_->queue;
        configure(ctx_);
        config_.extent = {32, 32};
        config_.drm_format = 0x34325241;
        config_.image_count = 2;
        config_.present_mode = VK_PRESENT_MODE_MAILBOX_KHR;
        check(wsi::Swapchain::create(ctx_, surface_, config_, nullptr, &chain_), "create");
        events_ = surface_.events;
    }
    // What a derived fixture changes about the device before the swapchain is made.
    virtual void configure(wsi::DeviceContext& /*ctx*/) {}
    virtual uint32_t latency_ms() const { return 1; }
    void TearDown() override {
        chain_.reset();
        vk_.reset();
    }

    // A consumer that never releases unless told to.
    struct HoldingSurface final : wsi::Surface {
        struct Holder final : wsi::Presenter {
            VkResult present(const wsi::PresentRequest&) override { return VK_SUCCESS; }
        };
        VkResult query_formats(std::vector<wsi::FormatModifier>*) override { return VK_SUCCESS; }
        bool current_extent(VkExtent2D*) override { return false; }
        [[nodiscard]] std::span<const VkPresentModeKHR> present_modes() const override {
            return {};
        }
        VkResult create_presenter(const std::vector<wsi::BufferDescription>&,
                                  const wsi::AppDevice& /*device*/, wsi::ConsumerEvents* e,
                                  std::unique_ptr<wsi::Presenter>* presenter) override {
            events = e;
            *presenter = std::make_unique<Holder>();
            return VK_SUCCESS;
        }
        wsi::ConsumerEvents* events = nullptr;
    };

    uint32_t acquire_and_present() {
        uint32_t index = 0;
        EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUCCESS);
        EXPECT_EQ(chain_->present(vk_->queue, index, nullptr, 0), VK_SUCCESS);
        return index;
    }

    std::unique_ptr<Vk> vk_;
    dispatch::DeviceTable next_;
    wsi::DeviceContext ctx_;
    wsi::SwapchainConfig config_;
    HoldingSurface surface_;
    wsi::ConsumerEvents* events_ = nullptr;
    std::unique_ptr<wsi::Swapchain> chain_;
};

TEST_F(SwapchainResults, TimeoutsGiveNotReadyAndTimeoutThenTheReleasedImage) {
    const uint32_t first = acquire_and_present();
    const uint32_t second = acquire_and_present();
    EXPECT_NE(first, second);
    uint32_t index = 99;
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_NOT_READY);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(chain_->acquire(50'000'000, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_TIMEOUT);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    std::thread release([&] {
        std::this_thread::sleep_for(50ms);
        events_->on_released(first, kernel::SyncFile{});
    });
    EXPECT_EQ(chain_->acquire(UINT64_MAX, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUCCESS);
    release.join();
    EXPECT_EQ(index, first);
}

TEST_F(SwapchainResults, ADoubleReleaseIsIgnoredNotObeyed) {
    const uint32_t first = acquire_and_present();
    events_->on_released(first, kernel::SyncFile{});
    events_->on_released(first, kernel::SyncFile{});
    EXPECT_EQ(chain_->ownership().refused(), 1u);
    EXPECT_EQ(chain_->ownership().owner(first), wsi::ImageOwner::released);
}

TEST_F(SwapchainResults, ALostConsumerWakesAWaitingAcquireWithSurfaceLost) {
    (void)acquire_and_present();
    (void)acquire_and_present();
    std::thread lose([&] {
        std::this_thread::sleep_for(50ms);
        events_->on_lost();
    });
    uint32_t index = 0;
    EXPECT_EQ(chain_->acquire(UINT64_MAX, VK_NULL_HANDLE, VK_NULL_HANDLE, &index),
              VK_ERROR_SURFACE_LOST_KHR);
    lose.join();
    EXPECT_EQ(chain_->present(vk_->queue, 0, nullptr, 0), VK_ERROR_SURFACE_LOST_KHR);
}

TEST_F(SwapchainResults, ResizeGivesSuboptimalOnceThenOutOfDate) {
    events_->on_resized(64, 64);
    uint32_t index = 0;
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUBOPTIMAL_KHR);
    EXPECT_EQ(chain_->present(vk_->queue, index, nullptr, 0), VK_SUBOPTIMAL_KHR);
    // Told once at a present: from then on the app must recreate.
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_ERROR_OUT_OF_DATE_KHR);
    EXPECT_EQ(chain_->status(), VK_ERROR_OUT_OF_DATE_KHR);
    chain_->retire();
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_ERROR_OUT_OF_DATE_KHR);
}

// A consumer that hands back a fence of its own with the release (an explicit-sync release
// point) rather than leaving its reads in the dma-buf: the app's acquire must not signal before
// that fence does. The control ignores the fence and signals at once.
class SwapchainReleaseFence : public SwapchainResults {
  protected:
    void configure(wsi::DeviceContext& ctx) override {
        ctx.disable_fence_transfer_for_tests = control();
    }
    virtual bool control() const { return false; }

    // Presents both images, releases the first with a pending fence, acquires it with a
    // VkFence. Returns whether that fence had signalled 100 ms later, before the release fence.
    bool acquire_signalled_before_the_release_fence() {
        const uint32_t first = acquire_and_present();
        (void)acquire_and_present();
        auto pending = vgem().pending_sync_file();
        EXPECT_TRUE(pending.ok());
        events_->on_released(first, std::move(pending->file));
        VkFence acquired = vk_->create_fence();
        uint32_t index = 99;
        EXPECT_EQ(chain_->acquire(1'000'000'000, VK_NULL_HANDLE, acquired, &index), VK_SUCCESS);
        EXPECT_EQ(index, first);
        std::this_thread::sleep_for(100ms);
        const bool early = vkGetFenceStatus(vk_->device, acquired) == VK_SUCCESS;
        EXPECT_TRUE(vgem().signal(pending->fence_id).ok());
        EXPECT_EQ(vkWaitForFences(vk_->device, 1, &acquired, VK_TRUE, 2'000'000'000), VK_SUCCESS);
        vkDestroyFence(vk_->device, acquired, nullptr);
        return early;
    }
};

TEST_F(SwapchainReleaseFence, AcquireWaitsForTheConsumersOwnFence) {
    EXPECT_FALSE(acquire_signalled_before_the_release_fence());
}

class SwapchainReleaseFenceControl : public SwapchainReleaseFence {
  protected:
    bool control() const override { return true; }
};

TEST_F(SwapchainReleaseFenceControl, WithoutTheBridgeTheAppGetsTheImageMidRead) {
    EXPECT_TRUE(acquire_signalled_before_the_release_fence()) << "the control did not bite";
}

// A release fence the kernel cannot put into the dma-buf (an old kernel's ENOTTY, here the
// import_release_fence test fault) is waited for by acquire itself: that wait must be bounded by
// the app's acquire timeout (VK_TIMEOUT), not by the layer's 5 s render timeout, and the image
// is acquirable once the fence signals.
class SwapchainUnimportedReleaseFence : public SwapchainResults {
  protected:
    void SetUp() override {
        ::setenv(util::switch_info(util::Switch::test_fault).name, "import_release_fence:every", 1);
        util::reset_faults_for_test();
        SwapchainResults::SetUp();
    }
    void TearDown() override {
        SwapchainResults::TearDown();
        ::unsetenv(util::switch_info(util::Switch::test_fault).name);
        util::reset_faults_for_test();
    }
};

TEST_F(SwapchainUnimportedReleaseFence, AcquireWaitsForItWithinTheAppsTimeout) {
    const uint32_t first = acquire_and_present();
    (void)acquire_and_present();
    auto pending = vgem().pending_sync_file();
    ASSERT_TRUE(pending.ok());
    events_->on_released(first, std::move(pending->file));
    uint32_t index = 99;
    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(chain_->acquire(100'000'000, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_TIMEOUT);
    const auto waited = std::chrono::steady_clock::now() - before;
    EXPECT_GE(waited, 95ms);
    EXPECT_LT(waited, 1s) << "acquire waited past the app's 100 ms for the release fence";
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_NOT_READY);
    ASSERT_TRUE(vgem().signal(pending->fence_id).ok());
    VkFence acquired = vk_->create_fence();
    EXPECT_EQ(chain_->acquire(1'000'000'000, VK_NULL_HANDLE, acquired, &index), VK_SUCCESS);
    EXPECT_EQ(index, first);
    EXPECT_EQ(vkWaitForFences(vk_->device, 1, &acquired, VK_TRUE, 2'000'000'000), VK_SUCCESS);
    vkDestroyFence(vk_->device, acquired, nullptr);
}

// The wait strategy's last resort (no SYNC_FD anywhere): a released image whose consumer reads
// are still pending is not yet available, and the acquire timeout covers that wait.
// Destroying a swapchain right after a present whose render still runs on the (slow) GPU: the
// layer's present batch waits for that render and names the swapchain's carrier semaphore, so
// destroy must not return before it has run (without vkDeviceWaitIdle, which the app's other
// threads' submits would race).
class SwapchainDestroy : public SwapchainResults {
  protected:
    uint32_t latency_ms() const override { return 300; }
};

TEST_F(SwapchainDestroy, WaitsForThePresentBatchThatNamesItsCarrier) {
    uint32_t index = 0;
    ASSERT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUCCESS);
    VkSemaphore rendered = vk_->create_semaphore();
    VkFence render_done = vk_->create_fence();
    vk_->submit(vk_->begin_commands(), render_done, {}, {rendered});
    ASSERT_EQ(chain_->present(vk_->queue, index, &rendered, 1), VK_SUCCESS);
    EXPECT_EQ(vkGetFenceStatus(vk_->device, render_done), VK_NOT_READY)
        << "the render was done before destroy: the test proves nothing";
    chain_.reset();
    // The present batch ran after the render, so the render is done too.
    EXPECT_EQ(vkGetFenceStatus(vk_->device, render_done), VK_SUCCESS);
    vkDeviceWaitIdle(vk_->device);
    vkDestroyFence(vk_->device, render_done, nullptr);
    vkDestroySemaphore(vk_->device, rendered, nullptr);
}

class SwapchainLastResort : public SwapchainResults {
  protected:
    void configure(wsi::DeviceContext& ctx) override {
        ctx.strategy = bridge::Strategy::userspace_wait;
        ctx.disable_fence_transfer_for_tests = control();
    }
    virtual bool control() const { return false; }

    // Presents both images, then releases `first` with a consumer read fence still pending on
    // it (the compositor's own vgem fence). Returns the fence to signal.
    uint32_t release_with_pending_reads(uint32_t* first) {
        *first = acquire_and_present();
        (void)acquire_and_present();
        // The hand-over thread presents once the render is done.
        for (int i = 0;
             i < 200 && chain_->ownership().owner(*first) != wsi::ImageOwner::held_by_consumer;
             ++i) {
            std::this_thread::sleep_for(5ms);
        }
        auto handle = vgem().import_dma_buf(chain_->image(*first).dma_buf);
        EXPECT_TRUE(handle.ok());
        auto fence = vgem().attach_fence(*handle, kernel::Access::read);
        EXPECT_TRUE(fence.ok());
        events_->on_released(*first, kernel::SyncFile{});
        return *fence;
    }
};

TEST_F(SwapchainLastResort, AReleasedImageIsNotAvailableUntilItsReadsAreDone) {
    uint32_t first = 0;
    const uint32_t fence = release_with_pending_reads(&first);
    uint32_t index = 99;
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_NOT_READY);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(chain_->acquire(50'000'000, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_TIMEOUT);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    std::thread reads_done([&] {
        std::this_thread::sleep_for(50ms);
        EXPECT_TRUE(vgem().signal(fence).ok());
    });
    EXPECT_EQ(chain_->acquire(2'000'000'000, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUCCESS);
    reads_done.join();
    EXPECT_EQ(index, first);
}

// The control: without the check the same image is handed out while the compositor reads it.
class SwapchainLastResortControl : public SwapchainLastResort {
  protected:
    bool control() const override { return true; }
};

TEST_F(SwapchainLastResortControl, HandsOutAnImageStillBeingRead) {
    uint32_t first = 0;
    const uint32_t fence = release_with_pending_reads(&first);
    uint32_t index = 99;
    EXPECT_EQ(chain_->acquire(0, VK_NULL_HANDLE, VK_NULL_HANDLE, &index), VK_SUCCESS);
    EXPECT_EQ(index, first);
    EXPECT_TRUE(vgem().signal(fence).ok());
}

}  // namespace
}  // namespace sb::test

int main(int argc, char** argv) {
    sb::gpusim::test::use_build_tree_manifest(GPUSIM_MANIFEST_DIR);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
