#include "wsi/swapchain_app/feedback.hpp"

#include <algorithm>

namespace sb::swapchain_app {
namespace {

double ms_between(const timespec& from, const timespec& to) {
    return static_cast<double>(to.tv_sec - from.tv_sec) * 1e3 +
           static_cast<double>(to.tv_nsec - from.tv_nsec) / 1e6;
}

}  // namespace

FeedbackRecorder::~FeedbackRecorder() {
    for (auto& pending : pending_) {
        wp_presentation_feedback_destroy(pending->feedback);
    }
}

void FeedbackRecorder::request(wl_surface* surface) {
    if (presentation_ == nullptr) {
        return;
    }
    static constexpr wp_presentation_feedback_listener kListener = {
        .sync_output = on_sync_output, .presented = on_presented, .discarded = on_discarded};
    auto pending = std::make_unique<Pending>();
    pending->owner = this;
    pending->feedback = wp_presentation_feedback(presentation_, surface);
    clock_gettime(clock_, &pending->presented_at_cpu);
    wp_presentation_feedback_add_listener(pending->feedback, &kListener, pending.get());
    pending_.push_back(std::move(pending));
}

void FeedbackRecorder::report(Pacing* pacing) const {
    pacing->latency_ms = latency_ms_;
    pacing->feedback_discarded = discarded_;
    pacing->feedback_outstanding = pending_.size();
}

void FeedbackRecorder::finish(Pending* pending) {
    wp_presentation_feedback_destroy(pending->feedback);
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [pending](const auto& p) { return p.get() == pending; });
    if (it != pending_.end()) {
        pending_.erase(it);
    }
}

void FeedbackRecorder::on_sync_output(void* /*data*/, struct wp_presentation_feedback* /*feedback*/,
                                      wl_output* /*output*/) {}

void FeedbackRecorder::on_presented(void* data, struct wp_presentation_feedback* /*feedback*/,
                                    uint32_t tv_sec_hi, uint32_t tv_sec_lo, uint32_t tv_nsec,
                                    uint32_t /*refresh*/, uint32_t /*seq_hi*/, uint32_t /*seq_lo*/,
                                    uint32_t /*flags*/) {
    auto* pending = static_cast<Pending*>(data);
    timespec shown{};
    shown.tv_sec = static_cast<time_t>((static_cast<uint64_t>(tv_sec_hi) << 32) | tv_sec_lo);
    shown.tv_nsec = static_cast<long>(tv_nsec);
    pending->owner->latency_ms_.add(ms_between(pending->presented_at_cpu, shown));
    pending->owner->finish(pending);
}

void FeedbackRecorder::on_discarded(void* data, struct wp_presentation_feedback* /*feedback*/) {
    auto* pending = static_cast<Pending*>(data);
    pending->owner->discarded_++;
    pending->owner->finish(pending);
}

}  // namespace sb::swapchain_app
