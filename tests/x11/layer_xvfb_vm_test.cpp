// Through the loader, in the test VM, where syncbridge bridges gpusim (vgem: SYNC_FD and the
// dma-buf sync-file ioctls): an XCB app on an X server without DRI3 (Xvfb) gets the driver's own
// WSI with the layer on, and runs exactly as without it. The layer must have looked (its log says
// why it leaves the window to the driver), or the test proves nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <string>
#include <vector>

#include "x11/x_server.hpp"
#include "x11/xcb_app.hpp"

namespace sb::test::x11 {
namespace {

using namespace std::chrono_literals;

TEST(LayerOnXvfb, WithoutDri3TheDriverPresentsAsWithoutTheLayer) {
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_MODE", "import", 1);  // the device is bridged, not passed through
    std::string error;
    auto server = XServer::start_xvfb(10s, &error);
    ASSERT_NE(server, nullptr) << error;
    auto window = AppWindow::open(server->display(), 160, 120);
    ASSERT_NE(window, nullptr);
    constexpr uint32_t kFrames = 30;

    Answers without;
    {
        XcbApp app(*window, {"VK_LAYER_SYNCBRIDGE_gpusim"});
        without = app.run(kFrames);
    }
    Answers with;
    testing::internal::CaptureStderr();
    {
        XcbApp app(*window, {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"});
        with = app.run(kFrames);
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("x11: the X server has no DRI3"), std::string::npos)
        << "the layer never looked at the X server (was the device bridged?); its log:\n"
        << log;

    EXPECT_EQ(without.frames_presented, kFrames)
        << "the driver alone: VkResult " << without.last_result;
    EXPECT_EQ(with.frames_presented, kFrames) << "through the layer: VkResult " << with.last_result;
    EXPECT_EQ(with.supported, without.supported);
    EXPECT_EQ(with.presentation_support, without.presentation_support);
    EXPECT_EQ(with.caps.minImageCount, without.caps.minImageCount);
    EXPECT_EQ(with.caps.maxImageCount, without.caps.maxImageCount);
    EXPECT_EQ(with.caps.currentExtent.width, 160U);
    EXPECT_EQ(with.caps.currentExtent.height, without.caps.currentExtent.height);
    EXPECT_EQ(with.caps.supportedUsageFlags, without.caps.supportedUsageFlags);
    EXPECT_EQ(with.caps.supportedCompositeAlpha, without.caps.supportedCompositeAlpha);
    ASSERT_EQ(with.formats.size(), without.formats.size());
    for (size_t i = 0; i < with.formats.size(); ++i) {
        EXPECT_EQ(with.formats[i].format, without.formats[i].format) << i;
    }
    EXPECT_EQ(with.modes, without.modes);
    std::printf(
        "[x11] Xvfb (no DRI3): %u frames through the layer, %u without; %zu formats, %zu "
        "present modes, min %u images, both from the driver\n",
        with.frames_presented, without.frames_presented, with.formats.size(), with.modes.size(),
        with.caps.minImageCount);
}

}  // namespace
}  // namespace sb::test::x11
