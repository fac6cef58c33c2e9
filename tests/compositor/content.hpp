// What a frame's pixels say: its first pixel, whether every pixel equals it, and a hash. Pure
// functions over memory, so host tests check them without a dma-buf.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sb::compositor {

struct PixelRect {
    size_t offset = 0;    // of the first row, in bytes from the start of the memory
    uint32_t stride = 0;  // bytes from one row to the next
    int32_t width = 0;    // pixels of 4 bytes
    int32_t height = 0;
};

struct Content {
    uint32_t first_pixel = 0;  // little-endian 32-bit word
    bool uniform = false;      // every visible pixel equals first_pixel
    uint64_t hash = 0;         // FNV-1a (64-bit) over the visible bytes, row by row
};

// The caller guarantees that the rectangle lies inside `memory` (size `memory_size`).
Content inspect_pixels(const uint8_t* memory, size_t memory_size, const PixelRect& rect);

// Whether `rect` (with 4-byte pixels) fits into `size` bytes; no overflow in the arithmetic.
bool rect_fits(const PixelRect& rect, size_t size);

}  // namespace sb::compositor
