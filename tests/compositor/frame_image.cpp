#include "compositor/frame_image.hpp"

#include <cstring>

namespace sb::compositor {

FrameImage copy_pixels(const uint8_t* memory, size_t memory_size, const PixelRect& rect) {
    FrameImage image;
    if (!rect_fits(rect, memory_size)) {
        return image;
    }
    image.width = rect.width;
    image.height = rect.height;
    const size_t row_bytes = static_cast<size_t>(rect.width) * 4;
    image.pixels.resize(row_bytes * static_cast<size_t>(rect.height));
    for (int32_t y = 0; y < rect.height; ++y) {
        std::memcpy(image.pixels.data() + row_bytes * static_cast<size_t>(y),
                    memory + rect.offset + static_cast<size_t>(rect.stride) * y, row_bytes);
    }
    return image;
}

}  // namespace sb::compositor
