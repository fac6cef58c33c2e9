// Through the loader, in the test VM: syncbridge over gpusim presenting an XCB app's frames to
// Xorg (modesetting + glamor on virtio-gpu: DRI3 1.2, Present 1.2), started by xorg_in_vm.sh.
// Each present mode must run its frames to the end: with three images, that needs every
// PresentIdleNotify to come back as a release, and the layer must say it made DRI3 pixmaps on
// the X server's own device. This shows the presenting works; whether each frame is complete
// when the server reads it is not judged here (Xorg's software glamor ignores implicit fences).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <string>

#include "x11/xcb_app.hpp"
#include "x11/xvfb_server.hpp"

namespace sb::test::x11 {
namespace {

class LayerOnXorg : public ::testing::TestWithParam<VkPresentModeKHR> {
  protected:
    void SetUp() override {
        const char* display = std::getenv("SYNCBRIDGE_TEST_X_DISPLAY");
        if (display == nullptr) {
            GTEST_SKIP() << "no SYNCBRIDGE_TEST_X_DISPLAY: run through tests/x11/xorg_in_vm.sh";
        }
        ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
        ::setenv("SYNCBRIDGE_MODE", "import", 1);
        ::setenv("SYNCBRIDGE_LOG", "debug", 1);
        window_ = AppWindow::open(display, 256, 192);
        ASSERT_NE(window_, nullptr) << "cannot connect to " << display;
    }
    std::unique_ptr<AppWindow> window_;
};

TEST_P(LayerOnXorg, PresentsEveryFrameThroughDri3) {
    constexpr uint32_t kFrames = 60;
    testing::internal::CaptureStderr();
    Answers a;
    {
        XcbApp app(*window_, {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"});
        a = app.run(kFrames, GetParam());
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("pixmaps from the swapchain's dma-bufs"), std::string::npos)
        << "the layer did not present to the X server itself; its log:\n"
        << log;
    // Xorg's modesetting driver imports only memory of its own device (BadAlloc for gpusim's
    // vgem dma-bufs): the layer must have moved the swapchain's memory there.
    EXPECT_NE(log.find(", layer memory, "), std::string::npos)
        << "the swapchain's memory is not on the X server's device; the layer's log:\n"
        << log;
    EXPECT_EQ(a.frames_presented, kFrames) << "VkResult " << a.last_result << "; log:\n" << log;
    EXPECT_EQ(a.caps.currentExtent.width, 256U);
    EXPECT_EQ(a.caps.currentExtent.height, 192U);
    std::printf("[x11] Xorg (DRI3): mode %d, %u frames, %zu formats, %zu modes\n", GetParam(),
                a.frames_presented, a.formats.size(), a.modes.size());
}

INSTANTIATE_TEST_SUITE_P(Modes, LayerOnXorg,
                         ::testing::Values(VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR,
                                           VK_PRESENT_MODE_IMMEDIATE_KHR));

}  // namespace
}  // namespace sb::test::x11
