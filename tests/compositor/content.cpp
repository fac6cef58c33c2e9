#include "compositor/content.hpp"

#include <cstring>

namespace sb::compositor {

bool rect_fits(const PixelRect& rect, size_t size) {
    if (rect.width <= 0 || rect.height <= 0) {
        return false;
    }
    // width and height are below 2^31 and stride below 2^32: the last row's start and length
    // fit in 64 bits; only the offset can overflow the sum, so it is compared first.
    const uint64_t row_bytes = static_cast<uint64_t>(rect.width) * 4;
    if (rect.stride < row_bytes || rect.offset > size) {
        return false;
    }
    const uint64_t span = static_cast<uint64_t>(rect.stride) * (rect.height - 1) + row_bytes;
    return span <= size - rect.offset;
}

Content inspect_pixels(const uint8_t* memory, size_t memory_size, const PixelRect& rect) {
    Content content;
    if (!rect_fits(rect, memory_size)) {
        return content;
    }
    constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
    constexpr uint64_t kFnvPrime = 0x100000001b3ull;
    uint64_t hash = kFnvOffset;
    std::memcpy(&content.first_pixel, memory + rect.offset, 4);
    bool uniform = true;
    for (int32_t y = 0; y < rect.height; ++y) {
        const uint8_t* row = memory + rect.offset + static_cast<size_t>(rect.stride) * y;
        for (int32_t x = 0; x < rect.width; ++x) {
            uint32_t pixel = 0;
            std::memcpy(&pixel, row + static_cast<size_t>(x) * 4, 4);
            uniform = uniform && pixel == content.first_pixel;
            // One 32-bit word per step: a different pixel anywhere changes the hash.
            hash = (hash ^ pixel) * kFnvPrime;
        }
    }
    content.uniform = uniform;
    content.hash = hash;
    return content;
}

bool unwritten_or_unchanged(const Content& content, std::optional<uint64_t> last_read_hash) {
    const bool all_zero = content.uniform && content.first_pixel == 0;
    return all_zero || last_read_hash == content.hash;
}

}  // namespace sb::compositor
