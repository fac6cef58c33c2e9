// How a test client tells the compositor which frame it drew: frame N is a solid colour f(N).
//
// The compositor cannot know a client's frame numbers, so the clients encode them in the only
// thing it reads: the pixels. f is a bijection from frame numbers to 24-bit RGB colours
// (multiplication by an odd constant modulo 2^24), so consecutive frames differ in every
// channel, and black (a never-written buffer) is no frame at all. Alpha carries nothing.
//
// Pixels are 32-bit little-endian words. For DRM_FORMAT_ARGB8888 / XRGB8888 (Vulkan
// B8G8R8A8) the word is 0xAARRGGBB; for ABGR8888 / XBGR8888 (Vulkan R8G8B8A8) it is 0xAABBGGRR.
#pragma once

#include <cstdint>
#include <optional>

namespace sb::compositor {

constexpr uint32_t kFrameColourMultiplier = 0x9E3779u;  // odd: invertible modulo 2^24
constexpr uint32_t kColourMask = 0x00FF'FFFFu;
// Frame numbers f can encode: 0 .. 2^24 - 2 (colour 0 is reserved for "no frame").
constexpr uint32_t kMaxFrame = kColourMask - 1;

namespace detail {
constexpr uint32_t inverse_mod_2_24(uint32_t odd) {
    uint32_t inv = odd;  // Newton's iteration doubles the correct low bits each step.
    for (int i = 0; i < 5; ++i) {
        inv *= 2u - odd * inv;
    }
    return inv & kColourMask;
}
}  // namespace detail

constexpr uint32_t kFrameColourInverse = detail::inverse_mod_2_24(kFrameColourMultiplier);
static_assert(((kFrameColourMultiplier * kFrameColourInverse) & kColourMask) == 1u);

// 0x00RRGGBB for frame `frame` (frame <= kMaxFrame).
constexpr uint32_t frame_rgb(uint32_t frame) {
    return ((frame + 1u) * kFrameColourMultiplier) & kColourMask;
}

// The frame a 0x00RRGGBB colour stands for; nullopt for black.
constexpr std::optional<uint32_t> frame_from_rgb(uint32_t rgb) {
    rgb &= kColourMask;
    if (rgb == 0) {
        return std::nullopt;
    }
    return ((rgb * kFrameColourInverse) & kColourMask) - 1u;
}

// Byte order of a 32-bit pixel format, as far as the frame colour is concerned.
enum class PixelOrder : uint8_t { argb, abgr };

constexpr uint32_t swap_red_blue(uint32_t pixel) {
    return (pixel & 0xFF00'FF00u) | ((pixel >> 16) & 0xFFu) | ((pixel & 0xFFu) << 16);
}

// The opaque pixel word a client writes for frame `frame`.
constexpr uint32_t frame_pixel(uint32_t frame, PixelOrder order = PixelOrder::argb) {
    const uint32_t argb = 0xFF00'0000u | frame_rgb(frame);
    return order == PixelOrder::argb ? argb : swap_red_blue(argb);
}

constexpr std::optional<uint32_t> frame_from_pixel(uint32_t pixel,
                                                   PixelOrder order = PixelOrder::argb) {
    return frame_from_rgb(order == PixelOrder::argb ? pixel : swap_red_blue(pixel));
}

// The same colour as a Vulkan clear colour {r, g, b, a} in UNORM floats: c / 255 converts back
// to exactly c in an 8-bit UNORM image.
struct ClearColour {
    float r, g, b, a;
};
constexpr ClearColour frame_clear_colour(uint32_t frame) {
    const uint32_t rgb = frame_rgb(frame);
    return ClearColour{static_cast<float>((rgb >> 16) & 0xFFu) / 255.0f,
                       static_cast<float>((rgb >> 8) & 0xFFu) / 255.0f,
                       static_cast<float>(rgb & 0xFFu) / 255.0f, 1.0f};
}

}  // namespace sb::compositor
