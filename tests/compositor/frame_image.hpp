// A copy of one frame's visible pixels, kept so that a person can look at what the compositor
// read (--png). Rows are packed: 4 bytes per pixel, `width * 4` bytes per row, top row first.
#pragma once

#include <cstdint>
#include <vector>

#include "compositor/content.hpp"

namespace sb::compositor {

struct FrameImage {
    int32_t width = 0;
    int32_t height = 0;
    uint32_t format = 0;         // DRM fourcc of the buffer it came from
    uint64_t frame_checked = 0;  // Counters::frames_checked when it was read (1-based)
    std::vector<uint8_t> pixels;
};

// Copies `rect` out of `memory` into packed rows. An empty image when the rectangle does not
// fit (the caller's buffer import already refuses such a layout).
FrameImage copy_pixels(const uint8_t* memory, size_t memory_size, const PixelRect& rect);

}  // namespace sb::compositor
