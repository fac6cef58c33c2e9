// Pacing figures: CPU time inside vkQueuePresentKHR and vkAcquireNextImageKHR, and the
// present-to-display latency from wp_presentation feedback.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::swapchain_app {

// A sample of durations (any unit) and its summary.
class Samples {
  public:
    void add(double value) { values_.push_back(value); }
    [[nodiscard]] size_t count() const { return values_.size(); }
    [[nodiscard]] double mean() const;
    // The q-quantile (0..1) by the nearest-rank method; 0 for an empty sample.
    [[nodiscard]] double quantile(double q) const;
    // "mean=M p50=A p99=B" with `decimals` decimals.
    [[nodiscard]] std::string summary(int decimals) const;

  private:
    std::vector<double> values_;
};

struct Pacing {
    uint64_t frames = 0;
    double seconds = 0;
    Samples present_us;  // CPU time inside vkQueuePresentKHR
    Samples acquire_us;  // CPU time inside vkAcquireNextImageKHR
    Samples latency_ms;  // present call to wp_presentation_feedback.presented
    uint64_t feedback_discarded = 0;
    uint64_t feedback_outstanding = 0;
};

// One line: frames, seconds, fps, present/acquire µs and latency ms (mean/p50/p99).
std::string pacing_line(const Pacing& pacing);

}  // namespace sb::swapchain_app
