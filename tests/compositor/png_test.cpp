// The PNG writer, decoded the long way round: chunks walked by hand, every CRC recomputed with
// a bitwise CRC-32 of the test's own (not zlib's table), the image data inflated, each row's
// filter byte and every pixel compared with what the frame held.
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "compositor/png.hpp"

namespace sb::compositor {
namespace {

uint32_t be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// CRC-32 as PNG (ISO 3309) defines it, one bit at a time.
uint32_t reference_crc(const uint8_t* data, size_t size) {
    uint32_t crc = 0xFFFF'FFFFu;
    for (size_t i = 0; i < size; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB8'8320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

struct Chunk {
    std::string type;
    std::vector<uint8_t> data;
};

// Splits a PNG file into chunks, checking the signature and every CRC.
std::vector<Chunk> chunks_of(const std::vector<uint8_t>& png) {
    const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    EXPECT_GE(png.size(), 8u);
    EXPECT_EQ(std::memcmp(png.data(), signature, 8), 0);
    std::vector<Chunk> chunks;
    size_t at = 8;
    while (at + 12 <= png.size()) {
        const uint32_t length = be32(&png[at]);
        EXPECT_LE(at + 12 + length, png.size());
        if (at + 12 + length > png.size()) {
            break;
        }
        Chunk chunk;
        chunk.type.assign(reinterpret_cast<const char*>(&png[at + 4]), 4);
        chunk.data.assign(png.begin() + static_cast<long>(at + 8),
                          png.begin() + static_cast<long>(at + 8 + length));
        EXPECT_EQ(be32(&png[at + 8 + length]), reference_crc(&png[at + 4], 4 + length))
            << "CRC of " << chunk.type;
        chunks.push_back(std::move(chunk));
        at += 12 + length;
    }
    EXPECT_EQ(at, png.size()) << "bytes after the last chunk";
    return chunks;
}

// The RGB pixels of an 8-bit RGB, non-interlaced PNG with filter type 0 on every row.
std::vector<uint8_t> decode_rgb(const std::vector<uint8_t>& png, uint32_t& width,
                                uint32_t& height) {
    const auto chunks = chunks_of(png);
    EXPECT_EQ(chunks.size(), 3u);
    if (chunks.size() != 3) {
        return {};
    }
    EXPECT_EQ(chunks[0].type, "IHDR");
    EXPECT_EQ(chunks[1].type, "IDAT");
    EXPECT_EQ(chunks[2].type, "IEND");
    EXPECT_TRUE(chunks[2].data.empty());
    const auto& ihdr = chunks[0].data;
    EXPECT_EQ(ihdr.size(), 13u);
    width = be32(&ihdr[0]);
    height = be32(&ihdr[4]);
    EXPECT_EQ(ihdr[8], 8);   // bit depth
    EXPECT_EQ(ihdr[9], 2);   // colour type RGB
    EXPECT_EQ(ihdr[10], 0);  // deflate
    EXPECT_EQ(ihdr[11], 0);  // filter method 0
    EXPECT_EQ(ihdr[12], 0);  // no interlace

    const size_t row = static_cast<size_t>(width) * 3 + 1;
    std::vector<uint8_t> raw(row * height + 1);  // one spare byte: a longer stream shows
    uLongf raw_size = raw.size();
    // uncompress checks the zlib header and the Adler-32 of the inflated data.
    EXPECT_EQ(uncompress(raw.data(), &raw_size, chunks[1].data.data(), chunks[1].data.size()),
              Z_OK);
    EXPECT_EQ(raw_size, row * height);
    std::vector<uint8_t> rgb;
    for (uint32_t y = 0; y < height && (y + 1) * row <= raw_size; ++y) {
        EXPECT_EQ(raw[y * row], 0) << "filter type of row " << y;
        rgb.insert(rgb.end(), raw.begin() + static_cast<long>(y * row + 1),
                   raw.begin() + static_cast<long>((y + 1) * row));
    }
    return rgb;
}

// A 3x2 frame of distinct 32-bit words, stored little-endian as a DRM buffer holds them.
FrameImage frame_of(uint32_t format, const std::vector<uint32_t>& words) {
    FrameImage image;
    image.width = 3;
    image.height = 2;
    image.format = format;
    image.pixels.resize(words.size() * 4);
    for (size_t i = 0; i < words.size(); ++i) {
        for (int b = 0; b < 4; ++b) {
            image.pixels[i * 4 + b] = static_cast<uint8_t>(words[i] >> (8 * b));
        }
    }
    return image;
}

struct FormatCase {
    uint32_t format;
    // The word a pixel with red 0xR0, green 0xG0, blue 0xB0 and alpha 0x77 has in this format.
    uint32_t (*word)(uint8_t r, uint8_t g, uint8_t b);
};

const FormatCase kFormats[] = {
    {DRM_FORMAT_ARGB8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return 0x7700'0000u | uint32_t{r} << 16 | uint32_t{g} << 8 | b;
     }},
    {DRM_FORMAT_XRGB8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return 0x7700'0000u | uint32_t{r} << 16 | uint32_t{g} << 8 | b;
     }},
    {DRM_FORMAT_ABGR8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return 0x7700'0000u | uint32_t{b} << 16 | uint32_t{g} << 8 | r;
     }},
    {DRM_FORMAT_XBGR8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return 0x7700'0000u | uint32_t{b} << 16 | uint32_t{g} << 8 | r;
     }},
    {DRM_FORMAT_RGBA8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return uint32_t{r} << 24 | uint32_t{g} << 16 | uint32_t{b} << 8 | 0x77u;
     }},
    {DRM_FORMAT_BGRX8888,
     [](uint8_t r, uint8_t g, uint8_t b) {
         return uint32_t{b} << 24 | uint32_t{g} << 16 | uint32_t{r} << 8 | 0x77u;
     }},
};

TEST(CompositorPng, EveryFormatDecodesToTheSameRgbPixels) {
    std::vector<uint8_t> expected;
    for (uint8_t i = 0; i < 6; ++i) {
        expected.insert(expected.end(),
                        {static_cast<uint8_t>(0x10 + i), static_cast<uint8_t>(0x80 + i),
                         static_cast<uint8_t>(0xF0 + i)});
    }
    for (const FormatCase& c : kFormats) {
        std::vector<uint32_t> words;
        for (size_t i = 0; i < 6; ++i) {
            words.push_back(c.word(expected[i * 3], expected[i * 3 + 1], expected[i * 3 + 2]));
        }
        auto rgb = rgb_from_frame(frame_of(c.format, words));
        ASSERT_TRUE(rgb.ok()) << rgb.error().describe();
        EXPECT_EQ(*rgb, expected) << "format 0x" << std::hex << c.format;
        auto png = encode_png_rgb(3, 2, *rgb);
        ASSERT_TRUE(png.ok()) << png.error().describe();
        uint32_t width = 0;
        uint32_t height = 0;
        EXPECT_EQ(decode_rgb(*png, width, height), expected);
        EXPECT_EQ(width, 3u);
        EXPECT_EQ(height, 2u);
    }
}

TEST(CompositorPng, ALargeFrameRoundTrips) {
    constexpr uint32_t kWidth = 500;  // vkcube's window
    constexpr uint32_t kHeight = 500;
    std::vector<uint8_t> rgb(size_t{kWidth} * kHeight * 3);
    for (size_t i = 0; i < rgb.size(); ++i) {
        rgb[i] = static_cast<uint8_t>((i * 7) ^ (i >> 9));
    }
    auto png = encode_png_rgb(kWidth, kHeight, rgb);
    ASSERT_TRUE(png.ok());
    uint32_t width = 0;
    uint32_t height = 0;
    EXPECT_EQ(decode_rgb(*png, width, height), rgb);
    EXPECT_EQ(width, kWidth);
    EXPECT_EQ(height, kHeight);
}

TEST(CompositorPng, RefusesWhatItCannotShow) {
    FrameImage rgb565 = frame_of(DRM_FORMAT_XRGB8888, std::vector<uint32_t>(6, 0));
    rgb565.format = DRM_FORMAT_RGB565;
    EXPECT_FALSE(rgb_from_frame(rgb565).ok());
    FrameImage short_pixels = frame_of(DRM_FORMAT_XRGB8888, std::vector<uint32_t>(5, 0));
    EXPECT_FALSE(rgb_from_frame(short_pixels).ok());
    EXPECT_FALSE(rgb_from_frame(FrameImage{}).ok());
    EXPECT_FALSE(encode_png_rgb(0, 2, {}).ok());
    EXPECT_FALSE(encode_png_rgb(3, 2, std::vector<uint8_t>(17)).ok());
}

TEST(CompositorPng, WritePngWritesTheFileAndReportsAMissingDirectory) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    const std::string path =
        (dir / ("syncbridge-png-test-" + std::to_string(::getpid()) + ".png")).string();
    const FrameImage image =
        frame_of(DRM_FORMAT_XRGB8888, {0xFF0000u, 0x00FF00u, 0x0000FFu, 0u, 0xFFFFFFu, 0x808080u});
    ASSERT_TRUE(write_png(path, image).ok());
    std::ifstream file(path, std::ios::binary);
    const std::vector<uint8_t> png((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
    std::filesystem::remove(path);
    uint32_t width = 0;
    uint32_t height = 0;
    const std::vector<uint8_t> expected = {255, 0, 0, 0,   255, 0,   0,   0,   255,
                                           0,   0, 0, 255, 255, 255, 128, 128, 128};
    EXPECT_EQ(decode_rgb(png, width, height), expected);
    EXPECT_FALSE(write_png((dir / "no-such-directory/x.png").string(), image).ok());
}

}  // namespace
}  // namespace sb::compositor
