#include "gpusim/config.hpp"

#include <cerrno>
#include <cstdlib>

#include "gpusim/log.hpp"

namespace sb::gpusim {
namespace {

bool read_switch(const char* name, bool fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        return fallback;
    }
    if (text[0] == '0' && text[1] == '\0') {
        return false;
    }
    if (text[0] == '1' && text[1] == '\0') {
        return true;
    }
    GPUSIM_LOG(error, "%s=%s is neither 0 nor 1; using %d", name, text, fallback ? 1 : 0);
    return fallback;
}

uint64_t read_number(const char* name, uint64_t fallback, uint64_t max) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        return fallback;
    }
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || text[0] == '-' || value > max) {
        GPUSIM_LOG(error, "%s=%s is not a number in 0..%llu; using %llu", name, text,
                   static_cast<unsigned long long>(max), static_cast<unsigned long long>(fallback));
        return fallback;
    }
    return value;
}

}  // namespace

Config read_config() {
    Config config;
    config.sync_fd = read_switch("GPUSIM_SYNC_FD", config.sync_fd);
    config.dma_buf = read_switch("GPUSIM_DMA_BUF", config.dma_buf);
    config.blocking_export = read_switch("GPUSIM_BLOCKING_EXPORT", config.blocking_export);
    config.dma_buf_export = read_switch("GPUSIM_DMA_BUF_EXPORT", config.dma_buf_export);
    // An hour is far beyond any test; a bigger number is a typo.
    constexpr uint64_t kMaxMs = uint64_t{3600} * 1000;
    config.latency_ms =
        static_cast<uint32_t>(read_number("GPUSIM_LATENCY_MS", config.latency_ms, kMaxMs));
    config.jitter_ms =
        static_cast<uint32_t>(read_number("GPUSIM_JITTER_MS", config.jitter_ms, kMaxMs));
    config.seed = read_number("GPUSIM_SEED", config.seed, UINT64_MAX);
    config.device_lost_after =
        read_number("GPUSIM_DEVICE_LOST_AFTER", config.device_lost_after, UINT64_MAX);
    if (const char* device = std::getenv("GPUSIM_MEMORY_DEVICE"); device != nullptr) {
        config.memory_device = device;
    }
    return config;
}

Offer make_offer(const Config& config, bool have_vgem) {
    Offer offer;
    offer.dma_buf = have_vgem && config.dma_buf;
    offer.dma_buf_export = offer.dma_buf && config.dma_buf_export;
    offer.sync_fd = have_vgem && config.sync_fd;
    if (offer.dma_buf) {
        offer.drm_device = config.memory_device;
    }
    return offer;
}

}  // namespace sb::gpusim
