// The frame loop: acquire, clear to the frame's colour, submit, present; recreation on resize,
// SUBOPTIMAL, OUT_OF_DATE and on request; the run's outcome and exit status.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "wsi/swapchain_app/feedback.hpp"
#include "wsi/swapchain_app/frame_ring.hpp"
#include "wsi/swapchain_app/gpu.hpp"
#include "wsi/swapchain_app/offscreen.hpp"
#include "wsi/swapchain_app/options.hpp"
#include "wsi/swapchain_app/pacing.hpp"
#include "wsi/swapchain_app/present_thread.hpp"
#include "wsi/swapchain_app/swapchain.hpp"
#include "wsi/swapchain_app/window.hpp"

namespace sb::swapchain_app {

// Exit statuses (usage()).
enum ExitStatus : int {
    kExitOk = 0,
    kExitError = 1,
    kExitFdGrowth = 2,
    kExitSurfaceLost = 3,
    kExitNotAsExpected = 4,
    kExitAcquireTimeout = 5,
    kExitUsage = 64,
};

// Why the swapchain was recreated.
enum class Reason : uint8_t { requested, configure, suboptimal, out_of_date, count };

class App {
  public:
    // `swapchain_alloc` (it must outlive the App) goes to every vkCreateSwapchainKHR and
    // vkDestroySwapchainKHR.
    App(const Options& options, Window& window, Gpu& gpu,
        const VkAllocationCallbacks* swapchain_alloc = nullptr)
        : options_(options),
          window_(window),
          gpu_(gpu),
          swapchain_alloc_(swapchain_alloc),
          feedback_(window.presentation(), window.presentation_clock()) {}
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Runs the frames and returns the exit status; prints the result and pacing lines.
    int run();

  private:
    enum class Step : uint8_t { next, retry, stop };
    // How the frame loop ended.
    enum class End : uint8_t { frames, surface_lost, acquire_timeout, error };

    [[nodiscard]] uint32_t total_frames() const;
    bool build_swapchain(Reason reason);
    void loop();
    bool before_frame(uint32_t frame);
    Step draw_frame(uint32_t frame);
    Step render_only(uint32_t frame);
    Step acquire(FrameSlot& slot, uint32_t frame, uint32_t* index);
    Step wait_for_acquire_fence(VkFence fence, uint32_t frame);
    Step on_acquire_timeout(VkResult first, std::chrono::nanoseconds waited, FrameSlot& slot);
    bool submit(FrameSlot& slot, uint32_t index, uint32_t frame);
    Step present(uint32_t index, uint32_t frame);
    Step stop_with(End end);
    void finish();
    void print_sample(uint32_t frame) const;
    [[nodiscard]] bool resized() const;
    [[nodiscard]] bool fds_ok() const;
    [[nodiscard]] int exit_status() const;
    void print_result(int status) const;

    const Options& options_;
    Window& window_;
    Gpu& gpu_;
    const VkAllocationCallbacks* swapchain_alloc_;
    FeedbackRecorder feedback_;
    SwapchainState swapchain_;
    FrameRing ring_;
    Pacing pacing_;
    std::unique_ptr<PresentThread> present_thread_;  // --present-thread
    OffscreenImages offscreen_;                      // --render-only

    End end_ = End::frames;
    std::optional<Reason> pending_recreate_;
    uint32_t recreations_[static_cast<int>(Reason::count)] = {};
    uint32_t requested_done_ = 0;
    uint64_t presented_ = 0;
    uint64_t presented_after_resize_ = 0;
    uint32_t retries_in_a_row_ = 0;
    uint32_t frames_since_display_died_ = 0;
    bool display_dead_ = false;
    bool saw_timeout_ = false;
    bool saw_not_ready_ = false;
    bool timeout_in_bounds_ = false;
    std::optional<int> fds_after_10_;
    std::optional<int> fds_at_end_;
    int syncobjs_after_10_ = 0;  // live DRM syncobj handles (fd_count.hpp)
    int syncobjs_at_end_ = 0;
    std::chrono::steady_clock::time_point started_;
};

}  // namespace sb::swapchain_app
