#include "wsi/swapchain_app/pacing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace sb::swapchain_app {

double Samples::mean() const {
    if (values_.empty()) {
        return 0;
    }
    return std::accumulate(values_.begin(), values_.end(), 0.0) /
           static_cast<double>(values_.size());
}

double Samples::quantile(double q) const {
    if (values_.empty()) {
        return 0;
    }
    std::vector<double> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    const double rank = std::ceil(q * static_cast<double>(sorted.size()));
    const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

std::string Samples::summary(int decimals) const {
    char text[128];
    std::snprintf(text, sizeof text, "mean=%.*f p50=%.*f p99=%.*f", decimals, mean(), decimals,
                  quantile(0.5), decimals, quantile(0.99));
    return text;
}

std::string pacing_line(const Pacing& p) {
    const double fps = p.seconds > 0 ? static_cast<double>(p.frames) / p.seconds : 0;
    char head[160];
    std::snprintf(head, sizeof head, "pacing: frames=%llu seconds=%.2f fps=%.1f",
                  static_cast<unsigned long long>(p.frames), p.seconds, fps);
    char tail[160];
    std::snprintf(tail, sizeof tail, " (presented=%zu discarded=%llu outstanding=%llu)",
                  p.latency_ms.count(), static_cast<unsigned long long>(p.feedback_discarded),
                  static_cast<unsigned long long>(p.feedback_outstanding));
    return std::string(head) + " present_us: " + p.present_us.summary(0) +
           " acquire_us: " + p.acquire_us.summary(0) + " latency_ms: " + p.latency_ms.summary(2) +
           tail;
}

}  // namespace sb::swapchain_app
