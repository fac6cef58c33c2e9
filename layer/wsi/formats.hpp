// Which Vulkan formats a swapchain can offer for a consumer, and the DRM fourcc each becomes.
// Only single-plane 32-bit RGB formats: what every compositor and X server takes as a dma-buf.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "wsi/window_system.hpp"

namespace sb::wsi {

// The fourcc for `format` with or without an alpha channel the consumer blends with
// (DRM_FORMAT_ARGB8888 vs DRM_FORMAT_XRGB8888 for B8G8R8A8), or 0 when there is none.
uint32_t drm_format_for(VkFormat format, bool alpha);

// The modifier to announce for a LINEAR buffer of `drm_format`: LINEAR if the consumer lists it,
// else DRM_FORMAT_MOD_INVALID (implicit modifier) if it lists that; nothing if it takes neither.
std::optional<uint64_t> linear_modifier_for(const std::vector<FormatModifier>& consumer,
                                            uint32_t drm_format);

struct ConsumerFormat {
    uint32_t drm_format = 0;
    uint64_t modifier = 0;
};

// The fourcc and modifier a swapchain of `format` gives the consumer. An opaque swapchain
// prefers the X variant (the consumer must ignore alpha) and falls back to the A variant; a
// blended one needs the A variant.
std::optional<ConsumerFormat> consumer_format_for(const std::vector<FormatModifier>& consumer,
                                                  VkFormat format, bool alpha);

// Each modifier once, in the order first listed, from the consumer's lists (DRI3's window and
// screen lists). Linear in their length: a consumer's list cannot make it quadratic.
std::vector<uint64_t> unique_modifiers(std::initializer_list<std::span<const uint64_t>> lists);

// The VkFormats, best first, that the consumer can take in some variant.
std::vector<VkFormat> presentable_formats(const std::vector<FormatModifier>& consumer);

}  // namespace sb::wsi
