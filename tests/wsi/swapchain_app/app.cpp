#include "wsi/swapchain_app/app.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "wsi/swapchain_app/fd_count.hpp"
#include "wsi/swapchain_app/record.hpp"

namespace sb::swapchain_app {
namespace {

using Clock = std::chrono::steady_clock;

// A frame's fence must signal long before this; vgem's own fence timeout is ~10 s.
constexpr uint64_t kFenceTimeoutNs = 8'000'000'000;
// Consecutive OUT_OF_DATE recreations without a frame in between before the app gives up.
constexpr uint32_t kMaxRetriesInARow = 5;
// Frames drawn after the app's own connection died while Vulkan still reports success.
constexpr uint32_t kFramesAfterDisplayDeath = 120;
constexpr uint32_t kFdCheckFrame = 10;

const char* reason_name(Reason reason) {
    switch (reason) {
        case Reason::requested:
            return "requested";
        case Reason::configure:
            return "configure";
        case Reason::suboptimal:
            return "suboptimal";
        case Reason::out_of_date:
            return "out_of_date";
        case Reason::count:
            break;
    }
    return "?";
}

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

}  // namespace

App::~App() {
    ring_.destroy();
    destroy_swapchain(gpu_.device(), &swapchain_, swapchain_alloc_);
}

uint32_t App::total_frames() const {
    if (options_.recreate == 0) {
        return options_.frames;
    }
    return std::max(options_.frames, (options_.recreate + 1) * options_.recreate_every);
}

bool App::build_swapchain(Reason reason) {
    (void)vkDeviceWaitIdle(gpu_.device());
    const Size size = window_.size();
    SwapchainState next;
    const VkResult r = create_swapchain(gpu_, options_, VkExtent2D{size.width, size.height},
                                        swapchain_.handle, &next, swapchain_alloc_);
    ring_.destroy();
    destroy_swapchain(gpu_.device(), &swapchain_,
                      swapchain_alloc_);  // retired by the create, whatever its result
    if (r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: vkCreateSwapchainKHR (%s): %s\n", reason_name(reason),
                     vk_result_name(r));
        destroy_swapchain(gpu_.device(), &next, swapchain_alloc_);
        end_ = r == VK_ERROR_SURFACE_LOST_KHR ? End::surface_lost : End::error;
        return false;
    }
    swapchain_ = next;
    const auto slots = static_cast<uint32_t>(std::max<size_t>(swapchain_.images.size() - 1, 1));
    if (VkResult ring = ring_.create(gpu_.device(), gpu_.queue_family(), slots);
        ring != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: frame ring: %s\n", vk_result_name(ring));
        end_ = End::error;
        return false;
    }
    return true;
}

App::Step App::stop_with(End end) {
    end_ = end;
    return Step::stop;
}

int App::run() {
    if (!build_swapchain(Reason::requested)) {
        const int status = exit_status();
        print_result(status);
        return status;
    }
    std::fprintf(stderr, "swapchain-app: %zu images %ux%u, present mode %s, %zu frames in flight\n",
                 swapchain_.images.size(), swapchain_.extent.width, swapchain_.extent.height,
                 present_mode_name(options_.present_mode), ring_.size());
    if (options_.present_thread) {
        present_thread_ = std::make_unique<PresentThread>();
    }
    if (options_.render_only) {
        if (VkResult r = offscreen_.create(gpu_.physical_device(), gpu_.device(), swapchain_.format,
                                           swapchain_.extent,
                                           static_cast<uint32_t>(swapchain_.images.size()));
            r != VK_SUCCESS) {
            std::fprintf(stderr, "swapchain-app: --render-only images: %s\n", vk_result_name(r));
            end_ = End::error;
            print_result(exit_status());
            return kExitError;
        }
    }
    started_ = Clock::now();
    loop();
    finish();
    const int status = exit_status();
    std::printf("%s\n", pacing_line(pacing_).c_str());
    print_result(status);
    return status;
}

void App::loop() {
    const uint32_t total = total_frames();
    uint32_t frame = 0;
    while (frame < total) {
        if (!before_frame(frame)) {
            return;
        }
        switch (draw_frame(frame)) {
            case Step::next:
                retries_in_a_row_ = 0;
                ++frame;
                if (options_.sample_every != 0 && frame % options_.sample_every == 0) {
                    print_sample(frame);
                }
                break;
            case Step::retry:
                if (++retries_in_a_row_ > kMaxRetriesInARow) {
                    std::fprintf(stderr,
                                 "swapchain-app: frame %u: still out of date after %u "
                                 "recreations\n",
                                 frame, kMaxRetriesInARow);
                    end_ = End::error;
                    return;
                }
                break;
            case Step::stop:
                return;
        }
        if (frame == kFdCheckFrame && options_.fd_check) {
            (void)vkDeviceWaitIdle(gpu_.device());
            fds_after_10_ = settled_open_fds();
            syncobjs_after_10_ = count_syncobj_handles();
        }
    }
}

// The soak's growth sample. With the GPU idle, so that sync_files and fences of frames in
// flight do not count; -1 for what could not be read.
void App::print_sample(uint32_t frame) const {
    if (options_.leak_fd_control) {
        (void)open("/dev/null", O_RDONLY | O_CLOEXEC);  // NOLINT: leaked on purpose
    }
    (void)vkDeviceWaitIdle(gpu_.device());
    const std::optional<ThreadsAndMemory> process = threads_and_memory();
    std::printf("sample: frame=%u fds=%d threads=%d rss_kb=%ld syncobjs=%d\n", frame,
                settled_open_fds().value_or(-1), process ? process->threads : -1,
                process ? process->resident_kb : -1L, count_syncobj_handles());
    std::fflush(stdout);
}

// Events, then any recreation due. False when the loop must end.
bool App::before_frame(uint32_t frame) {
    if (!display_dead_ && !window_.dispatch_pending()) {
        display_dead_ = true;
        std::fprintf(stderr,
                     "swapchain-app: frame %u: the app's Wayland connection is gone; "
                     "going on until Vulkan reports it\n",
                     frame);
    }
    if (display_dead_ && ++frames_since_display_died_ > kFramesAfterDisplayDeath) {
        std::fprintf(stderr,
                     "swapchain-app: the Wayland connection died %u frames ago and "
                     "Vulkan still reports no VK_ERROR_SURFACE_LOST_KHR\n",
                     kFramesAfterDisplayDeath);
        end_ = End::error;
        return false;
    }
    if (window_.closed()) {
        std::fprintf(stderr, "swapchain-app: frame %u: the compositor closed the toplevel\n",
                     frame);
        end_ = End::error;
        return false;
    }
    std::optional<Reason> reason = std::exchange(pending_recreate_, std::nullopt);
    if (window_.take_resize()) {
        reason = Reason::configure;
    } else if (!reason && requested_done_ < options_.recreate && frame != 0 &&
               frame % options_.recreate_every == 0) {
        reason = Reason::requested;
        ++requested_done_;
        if (options_.leak_syncobj_control && !leak_one_syncobj()) {
            std::fprintf(stderr, "swapchain-app: no DRM fd with timeline syncobjs to leak on\n");
        }
    }
    if (!reason) {
        return true;
    }
    if (*reason != Reason::requested) {
        std::fprintf(stderr, "swapchain-app: frame %u: recreating the swapchain (%s) at %ux%u\n",
                     frame, reason_name(*reason), window_.size().width, window_.size().height);
    }
    recreations_[static_cast<int>(*reason)]++;
    return build_swapchain(*reason);
}

App::Step App::draw_frame(uint32_t frame) {
    FrameSlot& slot = ring_.slot(frame);
    if (VkResult r = vkWaitForFences(gpu_.device(), 1, &slot.done, VK_TRUE, kFenceTimeoutNs);
        r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: frame %u: vkWaitForFences: %s\n", frame,
                     vk_result_name(r));
        return stop_with(End::error);
    }
    if (options_.render_only) {
        return render_only(frame);
    }
    uint32_t index = 0;
    if (Step step = acquire(slot, frame, &index); step != Step::next) {
        return step;
    }
    if (!submit(slot, index, frame)) {
        return stop_with(End::error);
    }
    if (!present_thread_) {
        return present(index, frame);
    }
    Step step = Step::stop;
    present_thread_->run([&] { step = present(index, frame); });
    return step;
}

// --render-only: the frame's commands into an image of its own, the fence only: no acquire, no
// present. Counted as presented, so that the pacing line's fps compares with a presenting run.
App::Step App::render_only(uint32_t frame) {
    FrameSlot& slot = ring_.slot(frame);
    VkResult r = vkResetFences(gpu_.device(), 1, &slot.done);
    if (r == VK_SUCCESS) {
        r = vkResetCommandPool(gpu_.device(), slot.pool, 0);
    }
    if (r == VK_SUCCESS) {
        r = record_frame(slot.commands, offscreen_.image(frame), frame);
    }
    if (r == VK_SUCCESS) {
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &slot.commands;
        r = vkQueueSubmit(gpu_.queue(), 1, &submit, slot.done);
    }
    if (r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: frame %u: render only: %s\n", frame,
                     vk_result_name(r));
        return stop_with(End::error);
    }
    ++presented_;
    return Step::next;
}

App::Step App::acquire(FrameSlot& slot, uint32_t frame, uint32_t* index) {
    const auto before = Clock::now();
    const VkFence fence = options_.acquire_fence ? slot.acquire_done : VK_NULL_HANDLE;
    const VkResult r = vkAcquireNextImageKHR(
        gpu_.device(), swapchain_.handle, options_.acquire_timeout_ns, slot.acquired, fence, index);
    const auto waited = Clock::now() - before;
    switch (r) {
        case VK_SUCCESS:
        case VK_SUBOPTIMAL_KHR:
            pacing_.acquire_us.add(micros(waited));
            if (r == VK_SUBOPTIMAL_KHR) {
                pending_recreate_ = Reason::suboptimal;
            }
            return wait_for_acquire_fence(fence, frame);
        case VK_ERROR_OUT_OF_DATE_KHR:
            pending_recreate_ = Reason::out_of_date;
            return Step::retry;
        case VK_TIMEOUT:
        case VK_NOT_READY:
            return on_acquire_timeout(r, waited, slot);
        case VK_ERROR_SURFACE_LOST_KHR:
            std::fprintf(stderr, "swapchain-app: frame %u: vkAcquireNextImageKHR: %s\n", frame,
                         vk_result_name(r));
            return stop_with(End::surface_lost);
        default:
            std::fprintf(stderr, "swapchain-app: frame %u: vkAcquireNextImageKHR: %s\n", frame,
                         vk_result_name(r));
            return stop_with(End::error);
    }
}

// --acquire-fence: the image is the app's once the fence signals; then it is reset for reuse.
App::Step App::wait_for_acquire_fence(VkFence fence, uint32_t frame) {
    if (fence == VK_NULL_HANDLE) {
        return Step::next;
    }
    VkResult r = vkWaitForFences(gpu_.device(), 1, &fence, VK_TRUE, kFenceTimeoutNs);
    if (r == VK_SUCCESS) {
        r = vkResetFences(gpu_.device(), 1, &fence);
    }
    if (r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: frame %u: the acquire fence: %s\n", frame,
                     vk_result_name(r));
        return stop_with(End::error);
    }
    return Step::next;
}

// No image in time: how long it took, then whether a zero-timeout acquire says VK_NOT_READY.
App::Step App::on_acquire_timeout(VkResult first, std::chrono::nanoseconds waited,
                                  FrameSlot& slot) {
    const double waited_ms = std::chrono::duration<double, std::milli>(waited).count();
    const double timeout_ms = static_cast<double>(options_.acquire_timeout_ns) / 1e6;
    std::fprintf(stderr,
                 "swapchain-app: vkAcquireNextImageKHR(timeout %.1f ms): %s after %.1f ms\n",
                 timeout_ms, vk_result_name(first), waited_ms);
    saw_timeout_ = first == VK_TIMEOUT;
    saw_not_ready_ = first == VK_NOT_READY;
    // Not early, and not much later than asked (a TCG VM is slow: 1 s of slack).
    timeout_in_bounds_ = waited_ms >= timeout_ms * 0.95 && waited_ms <= timeout_ms + 1000.0;
    uint32_t index = 0;
    const VkResult again = vkAcquireNextImageKHR(gpu_.device(), swapchain_.handle, 0, slot.acquired,
                                                 VK_NULL_HANDLE, &index);
    std::fprintf(stderr, "swapchain-app: vkAcquireNextImageKHR(timeout 0): %s\n",
                 vk_result_name(again));
    saw_not_ready_ = saw_not_ready_ || again == VK_NOT_READY;
    if (again == VK_SUCCESS || again == VK_SUBOPTIMAL_KHR) {
        std::fprintf(stderr, "swapchain-app: an image became free in the meantime\n");
    }
    return stop_with(End::acquire_timeout);
}

bool App::submit(FrameSlot& slot, uint32_t index, uint32_t frame) {
    VkResult r = vkResetFences(gpu_.device(), 1, &slot.done);
    if (r == VK_SUCCESS) {
        r = vkResetCommandPool(gpu_.device(), slot.pool, 0);
    }
    if (r == VK_SUCCESS) {
        r = record_frame(slot.commands, swapchain_.images[index], frame);
    }
    if (r == VK_SUCCESS) {
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.waitSemaphoreCount = 1;
        submit.pWaitSemaphores = &slot.acquired;
        submit.pWaitDstStageMask = &kAcquireWaitStage;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &slot.commands;
        submit.signalSemaphoreCount = 1;
        submit.pSignalSemaphores = &swapchain_.render_done[index];
        r = vkQueueSubmit(gpu_.queue(), 1, &submit, slot.done);
    }
    if (r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: frame %u: recording or submitting: %s\n", frame,
                     vk_result_name(r));
    }
    return r == VK_SUCCESS;
}

App::Step App::present(uint32_t index, uint32_t frame) {
    VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    info.waitSemaphoreCount = 1;
    info.pWaitSemaphores = &swapchain_.render_done[index];
    info.swapchainCount = 1;
    info.pSwapchains = &swapchain_.handle;
    info.pImageIndices = &index;
    if (!display_dead_) {
        feedback_.request(window_.surface());  // rides on the layer's next commit
    }
    const auto before = Clock::now();
    const VkResult r = vkQueuePresentKHR(gpu_.queue(), &info);
    const auto spent = Clock::now() - before;
    switch (r) {
        case VK_SUCCESS:
        case VK_SUBOPTIMAL_KHR:
            pacing_.present_us.add(micros(spent));
            ++presented_;
            if (resized()) {
                ++presented_after_resize_;
            }
            if (r == VK_SUBOPTIMAL_KHR) {
                pending_recreate_ = Reason::suboptimal;
            }
            return Step::next;
        case VK_ERROR_OUT_OF_DATE_KHR:
            pending_recreate_ = Reason::out_of_date;
            return Step::retry;  // the same frame again, on the new swapchain
        case VK_ERROR_SURFACE_LOST_KHR:
            std::fprintf(stderr, "swapchain-app: frame %u: vkQueuePresentKHR: %s\n", frame,
                         vk_result_name(r));
            return stop_with(End::surface_lost);
        default:
            std::fprintf(stderr, "swapchain-app: frame %u: vkQueuePresentKHR: %s\n", frame,
                         vk_result_name(r));
            return stop_with(End::error);
    }
}

// The GPU idle, the last frames' presentation feedback in (or a bounded wait for it), the fds.
void App::finish() {
    pacing_.frames = presented_;
    pacing_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (VkResult r = vkDeviceWaitIdle(gpu_.device()); r != VK_SUCCESS) {
        std::fprintf(stderr, "swapchain-app: vkDeviceWaitIdle: %s\n", vk_result_name(r));
    }
    if (!display_dead_ && end_ == End::frames) {
        display_dead_ = !window_.dispatch_until([this] { return feedback_.outstanding() == 0; },
                                                static_cast<int>(options_.feedback_drain_ms));
    }
    feedback_.report(&pacing_);
    if (options_.fd_check) {
        fds_at_end_ = settled_open_fds();
        syncobjs_at_end_ = count_syncobj_handles();
    }
}

bool App::resized() const {
    return recreations_[static_cast<int>(Reason::configure)] +
               recreations_[static_cast<int>(Reason::suboptimal)] +
               recreations_[static_cast<int>(Reason::out_of_date)] !=
           0;
}

bool App::fds_ok() const {
    return !options_.fd_check || (fds_after_10_ && fds_at_end_ && *fds_at_end_ <= *fds_after_10_ &&
                                  syncobjs_at_end_ <= syncobjs_after_10_);
}

int App::exit_status() const {
    if (end_ == End::error) {
        return kExitError;
    }
    switch (options_.expect) {
        case Expect::frames:
            if (end_ == End::surface_lost) {
                return kExitSurfaceLost;
            }
            if (end_ == End::acquire_timeout) {
                return kExitAcquireTimeout;
            }
            return fds_ok() ? kExitOk : kExitFdGrowth;
        case Expect::surface_lost:
            return end_ == End::surface_lost ? kExitOk : kExitNotAsExpected;
        case Expect::timeout:
            return end_ == End::acquire_timeout && saw_timeout_ && saw_not_ready_ &&
                           timeout_in_bounds_
                       ? kExitOk
                       : kExitNotAsExpected;
        case Expect::recreate:
            if (end_ != End::frames || presented_after_resize_ == 0) {
                return kExitNotAsExpected;
            }
            return fds_ok() ? kExitOk : kExitFdGrowth;
    }
    return kExitError;
}

void App::print_result(int status) const {
    static constexpr const char* kEndNames[] = {"frames", "surface-lost", "acquire-timeout",
                                                "error"};
    std::printf(
        "result: end=%s expect=%s status=%d frames=%u presented=%llu "
        "presented_after_resize=%llu recreated: requested=%u configure=%u suboptimal=%u "
        "out_of_date=%u timeout=%d not_ready=%d timeout_in_bounds=%d fds=%d->%d syncobjs=%d->%d\n",
        kEndNames[static_cast<int>(end_)], expect_name(options_.expect), status, total_frames(),
        static_cast<unsigned long long>(presented_),
        static_cast<unsigned long long>(presented_after_resize_),
        recreations_[static_cast<int>(Reason::requested)],
        recreations_[static_cast<int>(Reason::configure)],
        recreations_[static_cast<int>(Reason::suboptimal)],
        recreations_[static_cast<int>(Reason::out_of_date)], saw_timeout_ ? 1 : 0,
        saw_not_ready_ ? 1 : 0, timeout_in_bounds_ ? 1 : 0, fds_after_10_.value_or(-1),
        fds_at_end_.value_or(-1), syncobjs_after_10_, syncobjs_at_end_);
    if (options_.fd_check && status == kExitFdGrowth) {
        std::printf(
            "swapchain-app: FD GROWTH: %d open fds and %d syncobjs after %u frames, %d and %d at "
            "the end\n",
            fds_after_10_.value_or(-1), syncobjs_after_10_, kFdCheckFrame, fds_at_end_.value_or(-1),
            syncobjs_at_end_);
    }
    std::fflush(stdout);
}

}  // namespace sb::swapchain_app
