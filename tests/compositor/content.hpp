// What a frame's pixels say: its first pixel, whether every pixel equals it, and a hash. Pure
// functions over memory, so host tests check them without a dma-buf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

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

// The stale rule that needs no knowledge of what the client draws (content-agnostic mode):
// every byte zero (a buffer never written), or exactly what the compositor read from this
// buffer last time (`last_read_hash`) although the client presented a new frame into it.
bool unwritten_or_unchanged(const Content& content, std::optional<uint64_t> last_read_hash);

}  // namespace sb::compositor
