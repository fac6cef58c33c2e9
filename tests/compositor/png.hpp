// PNG output for the frames the compositor read, so that a person can open one (--png).
// 8-bit RGB, one IDAT compressed by zlib, filter type 0 (none) on every row: small and plain,
// and any viewer reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compositor/frame_image.hpp"
#include "kernel/result.hpp"

namespace sb::compositor {

// Where red, green and blue sit in each 4-byte pixel of a DRM format (the bytes in memory
// order: DRM formats name the little-endian 32-bit word, most significant channel first).
struct RgbOffsets {
    uint8_t r = 0;
    uint8_t g = 0;
    uint8_t b = 0;
};

// The 32-bit RGB formats the compositor can accept (ARGB8888, XRGB8888, ABGR8888, XBGR8888,
// RGBA8888, RGBX8888, BGRA8888, BGRX8888) fill `out`; false for any other.
bool rgb_offsets(uint32_t drm_format, RgbOffsets& out);

// 3 bytes per pixel, packed rows, alpha dropped (what the compositor read, not blended).
kernel::Result<std::vector<uint8_t>> rgb_from_frame(const FrameImage& image);

// The bytes of a PNG file showing `rgb` (width * height * 3 bytes).
kernel::Result<std::vector<uint8_t>> encode_png_rgb(uint32_t width, uint32_t height,
                                                    const std::vector<uint8_t>& rgb);

// rgb_from_frame + encode_png_rgb, written to `path` (created or truncated, mode 0644).
kernel::Status write_png(const std::string& path, const FrameImage& image);

}  // namespace sb::compositor
