#include "wsi/formats.hpp"

#include <drm_fourcc.h>

#include <unordered_set>

namespace sb::wsi {
namespace {

struct FormatPair {
    VkFormat format;
    uint32_t opaque;
    uint32_t alpha;
};

// DRM fourccs name the bytes as a little-endian word: B8G8R8A8 in memory is ARGB8888.
// SRGB first: the order apps that take the first entry get the right colours with.
constexpr FormatPair kFormats[] = {
    {VK_FORMAT_B8G8R8A8_SRGB, DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888},
    {VK_FORMAT_B8G8R8A8_UNORM, DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888},
    {VK_FORMAT_R8G8B8A8_SRGB, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888},
    {VK_FORMAT_R8G8B8A8_UNORM, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888},
};

}  // namespace

uint32_t drm_format_for(VkFormat format, bool alpha) {
    for (const FormatPair& pair : kFormats) {
        if (pair.format == format) {
            return alpha ? pair.alpha : pair.opaque;
        }
    }
    return 0;
}

std::optional<uint64_t> linear_modifier_for(const std::vector<FormatModifier>& consumer,
                                            uint32_t drm_format) {
    bool implicit = false;
    for (const FormatModifier& offer : consumer) {
        if (offer.drm_format != drm_format) {
            continue;
        }
        if (offer.modifier == DRM_FORMAT_MOD_LINEAR) {
            return DRM_FORMAT_MOD_LINEAR;
        }
        implicit = implicit || offer.modifier == DRM_FORMAT_MOD_INVALID;
    }
    if (implicit) {
        return DRM_FORMAT_MOD_INVALID;
    }
    return std::nullopt;
}

std::optional<ConsumerFormat> consumer_format_for(const std::vector<FormatModifier>& consumer,
                                                  VkFormat format, bool alpha) {
    const uint32_t preferred = drm_format_for(format, alpha);
    if (preferred == 0) {
        return std::nullopt;
    }
    if (auto modifier = linear_modifier_for(consumer, preferred)) {
        return ConsumerFormat{preferred, *modifier};
    }
    if (!alpha) {
        const uint32_t with_alpha = drm_format_for(format, true);
        if (auto modifier = linear_modifier_for(consumer, with_alpha)) {
            return ConsumerFormat{with_alpha, *modifier};
        }
    }
    return std::nullopt;
}

std::vector<uint64_t> unique_modifiers(std::initializer_list<std::span<const uint64_t>> lists) {
    std::vector<uint64_t> unique;
    std::unordered_set<uint64_t> seen;
    for (std::span<const uint64_t> list : lists) {
        for (uint64_t modifier : list) {
            if (seen.insert(modifier).second) {
                unique.push_back(modifier);
            }
        }
    }
    return unique;
}

std::vector<VkFormat> presentable_formats(const std::vector<FormatModifier>& consumer) {
    std::vector<VkFormat> formats;
    for (const FormatPair& pair : kFormats) {
        if (consumer_format_for(consumer, pair.format, false)) {
            formats.push_back(pair.format);
        }
    }
    return formats;
}

}  // namespace sb::wsi
