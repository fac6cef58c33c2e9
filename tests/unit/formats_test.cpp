// Which VkFormats a swapchain offers for a consumer's linux-dmabuf list, and the fourcc and
// modifier each becomes.
#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <chrono>

#include "wsi/formats.hpp"

namespace sb::wsi {
namespace {

TEST(Formats, OpaqueSwapchainPrefersTheXVariant) {
    const std::vector<FormatModifier> consumer = {{DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR},
                                                  {DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR}};
    auto chosen = consumer_format_for(consumer, VK_FORMAT_B8G8R8A8_UNORM, false);
    ASSERT_TRUE(chosen);
    EXPECT_EQ(chosen->drm_format, DRM_FORMAT_XRGB8888);
    EXPECT_EQ(chosen->modifier, DRM_FORMAT_MOD_LINEAR);
}

TEST(Formats, OpaqueFallsBackToAlphaButBlendedNeverToOpaque) {
    const std::vector<FormatModifier> only_alpha = {{DRM_FORMAT_ABGR8888, DRM_FORMAT_MOD_LINEAR}};
    auto opaque = consumer_format_for(only_alpha, VK_FORMAT_R8G8B8A8_SRGB, false);
    ASSERT_TRUE(opaque);
    EXPECT_EQ(opaque->drm_format, DRM_FORMAT_ABGR8888);

    const std::vector<FormatModifier> only_opaque = {{DRM_FORMAT_XBGR8888, DRM_FORMAT_MOD_LINEAR}};
    EXPECT_FALSE(consumer_format_for(only_opaque, VK_FORMAT_R8G8B8A8_UNORM, true));
}

TEST(Formats, ImplicitModifierIsTheFallbackForLinear) {
    const std::vector<FormatModifier> implicit = {{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID}};
    EXPECT_EQ(linear_modifier_for(implicit, DRM_FORMAT_XRGB8888), DRM_FORMAT_MOD_INVALID);

    const std::vector<FormatModifier> both = {{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID},
                                              {DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR}};
    EXPECT_EQ(linear_modifier_for(both, DRM_FORMAT_XRGB8888), DRM_FORMAT_MOD_LINEAR);
}

TEST(Formats, TiledOnlyConsumersGetNothing) {
    // A consumer that lists only a vendor tiling cannot take the layer's LINEAR images.
    const std::vector<FormatModifier> tiled = {{DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED},
                                               {DRM_FORMAT_ARGB8888, I915_FORMAT_MOD_Y_TILED}};
    EXPECT_TRUE(presentable_formats(tiled).empty());
}

TEST(Formats, PresentableFormatsAreSrgbFirstAndOnlyWhatTheConsumerTakes) {
    const std::vector<FormatModifier> consumer = {{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR}};
    const std::vector<VkFormat> expected = {VK_FORMAT_B8G8R8A8_SRGB, VK_FORMAT_B8G8R8A8_UNORM};
    EXPECT_EQ(presentable_formats(consumer), expected);
}

TEST(Formats, UnknownVulkanFormatsHaveNoFourcc) {
    EXPECT_EQ(drm_format_for(VK_FORMAT_R16G16B16A16_SFLOAT, false), 0u);
    EXPECT_FALSE(consumer_format_for({{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR}},
                                     VK_FORMAT_R5G6B5_UNORM_PACK16, false));
}

// DRI3's window and screen lists, merged: each modifier once, window's first, and linear in the
// lists' length (a hostile server's 2 x 100000 modifiers take well under a second).
TEST(Formats, UniqueModifiersKeepsTheFirstOfEachInOrder) {
    const std::vector<uint64_t> window = {5, DRM_FORMAT_MOD_LINEAR, 5};
    const std::vector<uint64_t> screen = {DRM_FORMAT_MOD_INVALID, DRM_FORMAT_MOD_LINEAR, 7};
    EXPECT_EQ(unique_modifiers({window, screen}),
              (std::vector<uint64_t>{5, DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID, 7}));
    std::vector<uint64_t> many(100000);
    for (size_t i = 0; i < many.size(); ++i) {
        many[i] = i;
    }
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(unique_modifiers({many, many}).size(), many.size());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace sb::wsi
