// Through the loader, in the test VM: syncbridge over gpusim presenting an XCB app's frames to
// Xorg (modesetting + glamor on virtio-gpu: DRI3 1.2, Present 1.2), started by xorg_in_vm.sh.
// Each present mode must run its frames to the end: with three images, that needs every
// PresentIdleNotify to come back as a release, and the layer must say it made DRI3 pixmaps on
// the X server's own device. This shows the presenting works; whether each frame is complete
// when the server reads it is not judged here (Xorg's software glamor ignores implicit fences).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

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

// Every frame judged by syncbridge-x11-observer between the app and Xorg (xorg_in_vm.sh
// --observer), with a GPU slower than the observer's reads (gpusim 16 + 0..8 ms): bridged, no
// frame is stale or overwritten; the control (fence transfers off) must show the corruption.
struct Observed {
    VkPresentModeKHR mode;
    bool bridged;
    const char* strategy = "import";  // SYNCBRIDGE_MODE: import or wait
};

struct Verdict {
    uint32_t presents = 0;
    uint32_t stale = 0;
    uint32_t overwritten = 0;
    uint32_t unknown = 0;
};

// The observer's line for the next connection to close (it writes one per connection).
std::optional<Verdict> wait_for_verdict(const std::string& report, size_t line,
                                        std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(report);
        std::string text;
        for (size_t i = 0; std::getline(in, text); ++i) {
            Verdict v;
            if (i == line &&
                std::sscanf(text.c_str(), "presents=%u stale=%u overwritten=%u unknown=%u",
                            &v.presents, &v.stale, &v.overwritten, &v.unknown) == 4) {
                return v;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

class ObservedOnXorg : public ::testing::TestWithParam<Observed> {
  protected:
    static size_t& lines_seen() {
        static size_t lines = 0;
        return lines;
    }
};

TEST_P(ObservedOnXorg, EveryFrameIsWholeAndNeverOverwritten) {
    const char* display = std::getenv("SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY");
    const char* report = std::getenv("SYNCBRIDGE_TEST_X_OBSERVER_REPORT");
    if (display == nullptr || report == nullptr) {
        GTEST_SKIP() << "no observer: run through tests/x11/xorg_in_vm.sh --observer";
    }
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_MODE", GetParam().strategy, 1);
    ::setenv("GPUSIM_LATENCY_MS", "16", 1);
    ::setenv("GPUSIM_JITTER_MS", "8", 1);
    if (GetParam().bridged) {
        ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    } else {
        ::setenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1", 1);
    }
    constexpr uint32_t kFrames = 60;
    Answers a;
    {
        auto window = AppWindow::open(display, 128, 96);
        ASSERT_NE(window, nullptr) << "cannot connect to the observer at " << display;
        XcbApp app(*window, {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"});
        a = app.run(kFrames, GetParam().mode);
    }
    ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    const auto verdict = wait_for_verdict(report, lines_seen()++, std::chrono::seconds(5));
    ASSERT_TRUE(verdict.has_value()) << "the observer gave no verdict for this connection";
    std::printf(
        "[x11] observed on Xorg, mode %d, %s, %s: %u frames presented; observer: %u presents, "
        "%u stale, %u overwritten, %u unknown\n",
        GetParam().mode, GetParam().strategy, GetParam().bridged ? "bridged" : "control",
        a.frames_presented, verdict->presents, verdict->stale, verdict->overwritten,
        verdict->unknown);
    EXPECT_EQ(a.frames_presented, kFrames) << "VkResult " << a.last_result;
    EXPECT_EQ(verdict->presents, kFrames);
    EXPECT_EQ(verdict->unknown, 0U);
    if (GetParam().bridged) {
        EXPECT_EQ(verdict->stale, 0U);
        EXPECT_EQ(verdict->overwritten, 0U);
    } else {
        EXPECT_GT(verdict->stale + verdict->overwritten, 0U) << "the control did not bite";
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, ObservedOnXorg,
                         ::testing::Values(Observed{VK_PRESENT_MODE_FIFO_KHR, true},
                                           Observed{VK_PRESENT_MODE_MAILBOX_KHR, true},
                                           Observed{VK_PRESENT_MODE_IMMEDIATE_KHR, true},
                                           Observed{VK_PRESENT_MODE_FIFO_KHR, true, "wait"},
                                           Observed{VK_PRESENT_MODE_MAILBOX_KHR, true, "wait"},
                                           Observed{VK_PRESENT_MODE_FIFO_KHR, false},
                                           Observed{VK_PRESENT_MODE_MAILBOX_KHR, false}));

INSTANTIATE_TEST_SUITE_P(Modes, LayerOnXorg,
                         ::testing::Values(VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR,
                                           VK_PRESENT_MODE_IMMEDIATE_KHR));

}  // namespace
}  // namespace sb::test::x11
