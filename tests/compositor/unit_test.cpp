// The test compositor's pure parts: frame colours, content checks, options.
#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "compositor/content.hpp"
#include "compositor/frame_colour.hpp"
#include "compositor/options.hpp"
#include "compositor/stats.hpp"

namespace sb::compositor {
namespace {

TEST(CompositorFrameColour, EveryFrameRoundTripsAndNeighboursDifferInEveryChannel) {
    for (uint32_t frame : {0u, 1u, 2u, 59u, 60u, 1000u, 65535u, kMaxFrame}) {
        for (PixelOrder order : {PixelOrder::argb, PixelOrder::abgr}) {
            const uint32_t pixel = frame_pixel(frame, order);
            EXPECT_EQ(pixel >> 24, 0xFFu);
            ASSERT_TRUE(frame_from_pixel(pixel, order).has_value());
            EXPECT_EQ(*frame_from_pixel(pixel, order), frame);
        }
    }
    for (uint32_t frame = 0; frame < 1000; ++frame) {
        const uint32_t a = frame_rgb(frame);
        const uint32_t b = frame_rgb(frame + 1);
        for (int shift : {0, 8, 16}) {
            EXPECT_NE((a >> shift) & 0xFF, (b >> shift) & 0xFF) << "frame " << frame;
        }
    }
}

TEST(CompositorFrameColour, BlackIsNoFrameAndAlphaIsIgnored) {
    EXPECT_FALSE(frame_from_pixel(0x0000'0000u).has_value());
    EXPECT_FALSE(frame_from_pixel(0xFF00'0000u).has_value());
    EXPECT_EQ(frame_from_pixel(frame_pixel(7) & 0x00FF'FFFFu), 7u);
    // The other byte order reads as another frame, not as the same one.
    EXPECT_NE(frame_from_pixel(frame_pixel(7, PixelOrder::abgr), PixelOrder::argb), 7u);
}

TEST(CompositorFrameColour, ClearColourConvertsBackToTheSameBytes) {
    for (uint32_t frame : {0u, 1u, 77u, 12345u}) {
        const ClearColour c = frame_clear_colour(frame);
        // Vulkan's float -> UNORM8 conversion: round(c * 255).
        auto unorm = [](float f) { return static_cast<uint32_t>(std::lround(f * 255.0f)); };
        EXPECT_EQ((unorm(c.r) << 16) | (unorm(c.g) << 8) | unorm(c.b), frame_rgb(frame));
        EXPECT_EQ(c.a, 1.0f);
    }
}

std::vector<uint8_t> solid(uint32_t stride, int32_t height, uint32_t pixel, int32_t width) {
    std::vector<uint8_t> memory(static_cast<size_t>(stride) * height, 0xAB);  // padding: junk
    for (int32_t y = 0; y < height; ++y) {
        for (int32_t x = 0; x < width; ++x) {
            std::memcpy(
                memory.data() + static_cast<size_t>(y) * stride + static_cast<size_t>(x) * 4,
                &pixel, 4);
        }
    }
    return memory;
}

TEST(CompositorContent, SolidFrameIsUniformAndPaddingDoesNotCount) {
    const PixelRect rect{0, 80, 16, 8};
    auto memory = solid(80, 8, frame_pixel(3), 16);
    Content a = inspect_pixels(memory.data(), memory.size(), rect);
    EXPECT_TRUE(a.uniform);
    EXPECT_EQ(a.first_pixel, frame_pixel(3));
    memory[64] = 0x00;  // padding after row 0
    Content b = inspect_pixels(memory.data(), memory.size(), rect);
    EXPECT_TRUE(b.uniform);
    EXPECT_EQ(a.hash, b.hash);
}

TEST(CompositorContent, OnePixelOffIsTornAndChangesTheHash) {
    const PixelRect rect{0, 64, 16, 8};
    auto memory = solid(64, 8, frame_pixel(3), 16);
    const Content whole = inspect_pixels(memory.data(), memory.size(), rect);
    const uint32_t other = frame_pixel(4);
    std::memcpy(memory.data() + size_t{7 * 64 + 15 * 4}, &other, 4);  // the last pixel
    const Content torn = inspect_pixels(memory.data(), memory.size(), rect);
    EXPECT_FALSE(torn.uniform);
    EXPECT_NE(torn.hash, whole.hash);
    EXPECT_EQ(torn.first_pixel, frame_pixel(3));
}

TEST(CompositorContent, OffsetRectAndBounds) {
    auto memory = solid(64, 9, frame_pixel(1), 16);
    const Content c = inspect_pixels(memory.data(), memory.size(), PixelRect{64, 64, 16, 8});
    EXPECT_TRUE(c.uniform);
    EXPECT_TRUE(rect_fits({0, 64, 16, 9}, size_t{64} * 9));
    EXPECT_FALSE(rect_fits({0, 64, 16, 10}, size_t{64} * 9));
    EXPECT_FALSE(rect_fits({0, 60, 16, 2}, 1000));  // stride below width * 4
    EXPECT_FALSE(rect_fits({0, 64, 0, 2}, 1000));
    EXPECT_FALSE(rect_fits({SIZE_MAX - 10, 64, 16, 1}, SIZE_MAX));
    EXPECT_TRUE(rect_fits({size_t{64} * 8, 64, 16, 1}, size_t{64} * 9));
    // An out-of-bounds rect reads nothing.
    EXPECT_FALSE(inspect_pixels(memory.data(), memory.size(), PixelRect{0, 64, 16, 10}).uniform);
}

TEST(CompositorContent, AgnosticStaleIsUnwrittenOrUnchangedSinceTheLastRead) {
    const PixelRect rect{0, 64, 16, 8};
    auto zero = solid(64, 8, 0u, 16);
    const Content never_written = inspect_pixels(zero.data(), zero.size(), rect);
    EXPECT_TRUE(unwritten_or_unchanged(never_written, std::nullopt));

    auto memory = solid(64, 8, 0x3333'3333u, 16);  // vkcube's clear colour, with its alpha
    const uint32_t cube = 0xFF80'4020u;
    std::memcpy(memory.data() + size_t{3 * 64 + 5 * 4}, &cube, 4);
    const Content frame = inspect_pixels(memory.data(), memory.size(), rect);
    EXPECT_FALSE(unwritten_or_unchanged(frame, std::nullopt));  // first read of the buffer
    EXPECT_TRUE(unwritten_or_unchanged(frame, frame.hash));     // the same as last time
    EXPECT_FALSE(unwritten_or_unchanged(frame, frame.hash + 1));
    // Opaque black is drawn content, not an unwritten buffer.
    auto black = solid(64, 8, 0xFF00'0000u, 16);
    EXPECT_FALSE(
        unwritten_or_unchanged(inspect_pixels(black.data(), black.size(), rect), std::nullopt));
}

ParsedOptions parse(std::vector<const char*> args) {
    args.insert(args.begin(), "syncbridge-test-compositor");
    return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(CompositorOptions, DefaultsAdvertiseFourLinearFormats) {
    const auto parsed = parse({});
    ASSERT_TRUE(parsed.options.has_value()) << parsed.error;
    const Options& o = *parsed.options;
    EXPECT_TRUE(o.honour_implicit_sync);
    EXPECT_EQ(o.first_frame, 0u);
    EXPECT_EQ(o.release_misbehaviour, ReleaseMisbehaviour::none);
    EXPECT_FALSE(o.content_agnostic);
    EXPECT_FALSE(o.capture);
    const auto formats = effective_formats(o);
    ASSERT_EQ(formats.size(), 4u);
    for (const auto& f : formats) {
        EXPECT_EQ(f.modifier, DRM_FORMAT_MOD_LINEAR);
    }
    EXPECT_EQ(formats[0].fourcc, DRM_FORMAT_ARGB8888);
}

// The soak's compositor (random holds and release times, reproducible by seed) and the
// syncobj manager's removal.
TEST(CompositorOptions, RandomHoldsReleasesAndGlobalRemoval) {
    const auto parsed =
        parse({"--hold-ms", "4", "--hold-jitter-ms", "40", "--release", "random", "--seed", "99"});
    ASSERT_TRUE(parsed.options.has_value()) << parsed.error;
    EXPECT_EQ(parsed.options->hold_ms, 4u);
    EXPECT_EQ(parsed.options->hold_jitter_ms, 40u);
    EXPECT_EQ(parsed.options->release_policy, ReleasePolicy::random);
    EXPECT_EQ(parsed.options->seed, 99u);
    EXPECT_FALSE(parse({"--release", "sometimes"}).options.has_value());
    EXPECT_FALSE(parse({"--hold-jitter-ms", "-3"}).options.has_value());
    EXPECT_FALSE(parse({"--seed", "x"}).options.has_value());
    const auto removal = parse({"--remove-syncobj-after", "30"});
    ASSERT_TRUE(removal.options.has_value()) << removal.error;
    EXPECT_EQ(removal.options->remove_syncobj_after_commits, 30u);
    EXPECT_FALSE(parse({"--remove-syncobj-after", "0"}).options.has_value());
}

TEST(CompositorOptions, EveryFlag) {
    const auto parsed = parse({"--socket",
                               "wl-test",
                               "--hold-ms",
                               "75",
                               "--release",
                               "on-replace",
                               "--no-implicit-sync",
                               "--wait-timeout-ms",
                               "500",
                               "--first-frame",
                               "any",
                               "--frame-step",
                               "2",
                               "--refresh-ms",
                               "10",
                               "--size",
                               "320x200",
                               "--resize-after",
                               "5:640x480",
                               "--configure-storm",
                               "7",
                               "--format",
                               "XR24",
                               "--format",
                               "0x34324241:0",
                               "--reject-format",
                               "AR30",
                               "--release-twice",
                               "--vanish-after",
                               "3",
                               "--vanish",
                               "display",
                               "--run-for-ms",
                               "1500",
                               "--content-agnostic",
                               "--png",
                               "/tmp/frame.png",
                               "--png-frame",
                               "40"});
    ASSERT_TRUE(parsed.options.has_value()) << parsed.error;
    const Options& o = *parsed.options;
    EXPECT_EQ(o.socket_name, "wl-test");
    EXPECT_EQ(o.hold_ms, 75u);
    EXPECT_EQ(o.release_policy, ReleasePolicy::on_replace);
    EXPECT_FALSE(o.honour_implicit_sync);
    EXPECT_EQ(o.wait_timeout_ms, 500u);
    EXPECT_FALSE(o.first_frame.has_value());
    EXPECT_EQ(o.frame_step, 2u);
    EXPECT_EQ(o.refresh_ms, 10u);
    EXPECT_EQ(o.width, 320);
    EXPECT_EQ(o.height, 200);
    EXPECT_EQ(o.resize_after_commits, 5u);
    EXPECT_EQ(o.resize_width, 640);
    EXPECT_EQ(o.resize_height, 480);
    EXPECT_EQ(o.configure_storm, 7u);
    ASSERT_EQ(o.formats.size(), 2u);
    EXPECT_EQ(o.formats[0].fourcc, DRM_FORMAT_XRGB8888);
    EXPECT_EQ(o.formats[1].fourcc, DRM_FORMAT_ABGR8888);
    EXPECT_EQ(o.reject_format, DRM_FORMAT_ARGB2101010);
    EXPECT_EQ(effective_formats(o).size(), 3u);  // the rejected format is advertised too
    EXPECT_EQ(o.release_misbehaviour, ReleaseMisbehaviour::twice);
    EXPECT_EQ(o.vanish_after_commits, 3u);
    EXPECT_EQ(o.vanish_mode, VanishMode::display);
    EXPECT_EQ(o.run_for_ms, 1500u);
    EXPECT_TRUE(o.content_agnostic);
    EXPECT_EQ(o.png_path, "/tmp/frame.png");
    EXPECT_TRUE(o.capture);
    EXPECT_EQ(o.capture_frame, 40u);
}

TEST(CompositorOptions, BadInputIsAnErrorNotADefault) {
    for (auto args : std::vector<std::vector<const char*>>{{"--hold-ms"},
                                                           {"--hold-ms", "x"},
                                                           {"--hold-ms", "-1"},
                                                           {"--size", "100"},
                                                           {"--size", "0x10"},
                                                           {"--release", "sometimes"},
                                                           {"--refresh-ms", "0"},
                                                           {"--vanish", "everything"},
                                                           {"--resize-after", "3"},
                                                           {"--configure-storm", "0"},
                                                           {"--format", "ABC"},
                                                           {"--first-frame", "some"},
                                                           {"--png", ""},
                                                           {"--png-frame", "0"},
                                                           {"--bogus"}}) {
        const auto parsed = parse(args);
        EXPECT_FALSE(parsed.options.has_value()) << args[0];
        EXPECT_FALSE(parsed.error.empty());
    }
    EXPECT_TRUE(parse({"--help"}).help);
}

TEST(CompositorStats, SummaryLineNamesEveryCounterTheTestsRead) {
    Counters c;
    c.commits = 5;
    c.stale = 1;
    c.overwrites = 2;
    const std::string line = summary_line(c);
    for (const char* key : {"commits=5", "frames_checked=0", "stale=1", "torn=0", "overwrites=2",
                            "releases=0", "feedback_presented=0", "feedback_discarded=0"}) {
        EXPECT_NE(line.find(key), std::string::npos) << key << " in " << line;
    }
    EXPECT_EQ(c.sync_errors(), 3u);
}

}  // namespace
}  // namespace sb::compositor
