// Present-to-display latency from wp_presentation: before each vkQueuePresentKHR the app asks for
// feedback on its surface (its own request, on its own queue), so that the layer's next commit
// of the surface carries it; `presented` minus the CPU time of the present call is the latency.
#pragma once

#include <time.h>
#include <wayland-client.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "presentation-time-client-protocol.h"
#include "wsi/swapchain_app/pacing.hpp"

namespace sb::swapchain_app {

class FeedbackRecorder {
  public:
    // `presentation` may be null (no wp_presentation): then nothing is recorded.
    FeedbackRecorder(wp_presentation* presentation, clockid_t clock)
        : presentation_(presentation), clock_(clock) {}
    ~FeedbackRecorder();
    FeedbackRecorder(const FeedbackRecorder&) = delete;
    FeedbackRecorder& operator=(const FeedbackRecorder&) = delete;

    // Asks for feedback on the surface's next commit, stamped with the time now (the present
    // call follows at once).
    void request(wl_surface* surface);
    [[nodiscard]] uint64_t outstanding() const { return pending_.size(); }
    // Latencies (ms) and the discarded count into `pacing`.
    void report(Pacing* pacing) const;

  private:
    struct Pending {
        FeedbackRecorder* owner;
        struct wp_presentation_feedback* feedback;
        timespec presented_at_cpu;
    };
    void finish(Pending* pending);

    static void on_sync_output(void* data, struct wp_presentation_feedback* feedback,
                               wl_output* output);
    static void on_presented(void* data, struct wp_presentation_feedback* feedback,
                             uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
                             uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags);
    static void on_discarded(void* data, struct wp_presentation_feedback* feedback);

    wp_presentation* presentation_;
    clockid_t clock_;
    std::vector<std::unique_ptr<Pending>> pending_;
    Samples latency_ms_;
    uint64_t discarded_ = 0;
};

}  // namespace sb::swapchain_app
