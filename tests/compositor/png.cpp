#include "compositor/png.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>

#include "kernel/unique_fd.hpp"

namespace sb::compositor {
namespace {

void put_be32(std::vector<uint8_t>& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<uint8_t>(value >> shift));
    }
}

// length, type, data, CRC-32 of type and data (PNG spec, 5.3).
void put_chunk(std::vector<uint8_t>& out, const char (&type)[5], const std::vector<uint8_t>& data) {
    put_be32(out, static_cast<uint32_t>(data.size()));
    const size_t type_at = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    const uLong crc = crc32(0L, out.data() + type_at, static_cast<uInt>(4 + data.size()));
    put_be32(out, static_cast<uint32_t>(crc));
}

// The image data before compression: each row prefixed by its filter type, 0 (none).
std::vector<uint8_t> filtered_rows(uint32_t width, uint32_t height,
                                   const std::vector<uint8_t>& rgb) {
    const size_t row_bytes = static_cast<size_t>(width) * 3;
    std::vector<uint8_t> rows;
    rows.reserve((row_bytes + 1) * height);
    for (uint32_t y = 0; y < height; ++y) {
        rows.push_back(0);
        const auto* row = rgb.data() + row_bytes * y;
        rows.insert(rows.end(), row, row + row_bytes);
    }
    return rows;
}

kernel::Status write_all(int fd, const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return kernel::last_error("write(PNG)");
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

bool rgb_offsets(uint32_t drm_format, RgbOffsets& out) {
    switch (drm_format) {
        case DRM_FORMAT_ARGB8888:  // word 0xAARRGGBB: bytes B G R A
        case DRM_FORMAT_XRGB8888:
            out = {2, 1, 0};
            return true;
        case DRM_FORMAT_ABGR8888:  // word 0xAABBGGRR: bytes R G B A
        case DRM_FORMAT_XBGR8888:
            out = {0, 1, 2};
            return true;
        case DRM_FORMAT_RGBA8888:  // word 0xRRGGBBAA: bytes A B G R
        case DRM_FORMAT_RGBX8888:
            out = {3, 2, 1};
            return true;
        case DRM_FORMAT_BGRA8888:  // word 0xBBGGRRAA: bytes A R G B
        case DRM_FORMAT_BGRX8888:
            out = {1, 2, 3};
            return true;
        default:
            return false;
    }
}

kernel::Result<std::vector<uint8_t>> rgb_from_frame(const FrameImage& image) {
    RgbOffsets at;
    if (!rgb_offsets(image.format, at)) {
        return kernel::Error{EINVAL, "PNG: not a 32-bit RGB pixel format"};
    }
    const size_t pixels = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
    if (image.width <= 0 || image.height <= 0 || image.pixels.size() != pixels * 4) {
        return kernel::Error{EINVAL, "PNG: no image, or its size does not match its pixels"};
    }
    std::vector<uint8_t> rgb(pixels * 3);
    for (size_t i = 0; i < pixels; ++i) {
        const uint8_t* pixel = image.pixels.data() + i * 4;
        rgb[i * 3] = pixel[at.r];
        rgb[i * 3 + 1] = pixel[at.g];
        rgb[i * 3 + 2] = pixel[at.b];
    }
    return rgb;
}

kernel::Result<std::vector<uint8_t>> encode_png_rgb(uint32_t width, uint32_t height,
                                                    const std::vector<uint8_t>& rgb) {
    // PNG limits each dimension to 2^31 - 1; the compositor's are int32 and positive anyway.
    if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX ||
        rgb.size() != static_cast<size_t>(width) * height * 3) {
        return kernel::Error{EINVAL, "PNG: bad size"};
    }
    const std::vector<uint8_t> raw = filtered_rows(width, height, rgb);
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::vector<uint8_t> packed(packed_size);
    if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()),
                  Z_DEFAULT_COMPRESSION) != Z_OK) {
        return kernel::Error{ENOMEM, "PNG: zlib compress2"};
    }
    packed.resize(packed_size);

    static constexpr std::array<uint8_t, 8> kSignature = {0x89, 'P',  'N',  'G',
                                                          '\r', '\n', 0x1A, '\n'};
    std::vector<uint8_t> png(kSignature.begin(), kSignature.end());
    std::vector<uint8_t> header;
    put_be32(header, width);
    put_be32(header, height);
    // Bit depth 8, colour type 2 (RGB), compression 0, filter method 0, no interlace.
    header.insert(header.end(), {8, 2, 0, 0, 0});
    put_chunk(png, "IHDR", header);
    put_chunk(png, "IDAT", packed);
    put_chunk(png, "IEND", {});
    return png;
}

kernel::Status write_png(const std::string& path, const FrameImage& image) {
    auto rgb = rgb_from_frame(image);
    if (!rgb) {
        return rgb.error();
    }
    auto png = encode_png_rgb(static_cast<uint32_t>(image.width),
                              static_cast<uint32_t>(image.height), *rgb);
    if (!png) {
        return png.error();
    }
    const kernel::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
        return kernel::last_error("open(PNG path)");
    }
    return write_all(fd.get(), *png);
}

}  // namespace sb::compositor
