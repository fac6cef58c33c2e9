// Through the loader, in the test VM: syncbridge over gpusim presenting an XCB app's frames to
// Xorg (modesetting + glamor on virtio-gpu: DRI3 1.2, Present 1.2), started by xorg_in_vm.sh.
// Each present mode must run its frames to the end: with three images, that needs every
// PresentIdleNotify to come back as a release, and the layer must say it made DRI3 pixmaps on
// the X server's own device. This shows the presenting works; whether each frame is complete
// when the server reads it is not judged here (Xorg's software glamor ignores implicit fences).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fd_count.hpp"
#include "x11/x_server.hpp"
#include "x11/xcb_app.hpp"

namespace sb::test::x11 {
namespace {

// The driver under the layer: gpusim over Debian 12's lavapipe, or with
// SYNCBRIDGE_TEST_X_DRIVER=lavapipe25 lavapipe 25 from the backports (VK_DRIVER_FILES), alone.
std::vector<const char*> app_layers() {
    const char* driver = std::getenv("SYNCBRIDGE_TEST_X_DRIVER");
    if (driver != nullptr && std::string(driver) == "lavapipe25") {
        return {"VK_LAYER_SYNCBRIDGE_wsi"};
    }
    return {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"};
}

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
        XcbApp app(*window_, app_layers());
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
// --observer), with a GPU slower than the observer's reads (gpusim 16 + 0..16 ms): bridged, no
// frame is stale or overwritten; the control (fence transfers off) must show the corruption.
struct Observed {
    VkPresentModeKHR mode;
    bool bridged;
    const char* strategy = "import";  // SYNCBRIDGE_MODE: import or wait
    // gpusim's memory on Xorg's own device (GPUSIM_MEMORY_DEVICE, as a discrete GPU's would
    // be): Xorg then takes the driver's buffers, and the layer must use them as they are.
    bool server_memory = false;
};

struct Verdict {
    uint32_t presents = 0;
    uint32_t stale = 0;
    uint32_t overwritten = 0;
    uint32_t unknown = 0;
    uint32_t pixmaps_live = 0;
};

size_t line_count(const std::string& path) {
    std::ifstream in(path);
    size_t lines = 0;
    for (std::string text; std::getline(in, text);) {
        ++lines;
    }
    return lines;
}

// The observer's verdict on the last connection to close, once there are more than `before`
// (it writes one line per connection as it sees the client leave).
std::optional<Verdict> verdict_after(const std::string& report, size_t before,
                                     std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(report);
        std::string text;
        std::string last;
        size_t lines = 0;
        while (std::getline(in, text)) {
            last = text;
            ++lines;
        }
        Verdict v;
        if (lines > before &&
            std::sscanf(last.c_str(),
                        "presents=%u stale=%u overwritten=%u unknown=%u pixmaps_live=%u",
                        &v.presents, &v.stale, &v.overwritten, &v.unknown, &v.pixmaps_live) == 5) {
            return v;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
}

class ObservedOnXorg : public ::testing::TestWithParam<Observed> {};

TEST_P(ObservedOnXorg, EveryFrameIsWholeAndNeverOverwritten) {
    const char* display = std::getenv("SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY");
    const char* report = std::getenv("SYNCBRIDGE_TEST_X_OBSERVER_REPORT");
    if (display == nullptr || report == nullptr) {
        GTEST_SKIP() << "no observer: run through tests/x11/xorg_in_vm.sh --observer";
    }
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_MODE", GetParam().strategy, 1);
    ::setenv("SYNCBRIDGE_LOG", "debug", 1);  // read once per process: the same in every suite
    ::setenv("GPUSIM_LATENCY_MS", "16", 1);
    ::setenv("GPUSIM_JITTER_MS", "16", 1);
    if (GetParam().bridged) {
        ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    } else {
        ::setenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1", 1);
    }
    const char* server_card = std::getenv("SYNCBRIDGE_TEST_X_SERVER_CARD");
    if (GetParam().server_memory) {
        if (server_card == nullptr || std::getenv("SYNCBRIDGE_TEST_X_DRIVER") != nullptr) {
            GTEST_SKIP() << "gpusim on Xorg's device: run over gpusim through xorg_in_vm.sh";
        }
        ::setenv("GPUSIM_MEMORY_DEVICE", server_card, 1);
    }
    constexpr uint32_t kFrames = 300;
    const size_t before = line_count(report);
    Answers a;
    testing::internal::CaptureStderr();
    {
        auto window = AppWindow::open(display, 128, 96);
        if (window == nullptr) {
            (void)testing::internal::GetCapturedStderr();
            FAIL() << "cannot connect to the observer at " << display;
        }
        XcbApp app(*window, app_layers());
        a = app.run(kFrames, GetParam().mode);
    }
    const std::string log = testing::internal::GetCapturedStderr();
    ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    ::unsetenv("GPUSIM_MEMORY_DEVICE");
    // Where the swapchain's memory came from: the driver's own when it is on Xorg's device.
    const bool driver_memory = log.find(", driver memory, ") != std::string::npos;
    EXPECT_EQ(driver_memory, GetParam().server_memory)
        << (driver_memory ? "Xorg took the driver's memory"
                          : "the layer allocated on Xorg's device")
        << "; the layer's log:\n"
        << log;
    const auto verdict = verdict_after(report, before, std::chrono::seconds(5));
    ASSERT_TRUE(verdict.has_value()) << "the observer gave no verdict for this connection";
    std::printf(
        "[x11] observed on Xorg, %s, mode %d, %s, %s: %u frames presented; observer: %u presents, "
        "%u stale, %u overwritten, %u unknown\n",
        std::getenv("SYNCBRIDGE_TEST_X_DRIVER") != nullptr ? "lavapipe 25"
        : GetParam().server_memory                         ? "gpusim on Xorg's device"
                                                           : "gpusim",
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
                                           Observed{VK_PRESENT_MODE_MAILBOX_KHR, false},
                                           Observed{VK_PRESENT_MODE_FIFO_KHR, true, "import", true},
                                           Observed{VK_PRESENT_MODE_FIFO_KHR, true, "wait", true},
                                           Observed{VK_PRESENT_MODE_FIFO_KHR, false, "import",
                                                    true}));

// An Xlib app (vkCreateXlibSurfaceKHR on an Xlib Display): the same X11 surface underneath, on
// the Display's xcb connection, judged the same way.
TEST(ObservedXlibOnXorg, AnXlibAppsFramesAreWholeAndNeverOverwritten) {
    const char* display = std::getenv("SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY");
    const char* report = std::getenv("SYNCBRIDGE_TEST_X_OBSERVER_REPORT");
    if (display == nullptr || report == nullptr) {
        GTEST_SKIP() << "no observer: run through tests/x11/xorg_in_vm.sh --observer";
    }
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_MODE", "import", 1);
    ::setenv("SYNCBRIDGE_LOG", "debug", 1);  // read once per process: the same in every suite
    ::setenv("GPUSIM_LATENCY_MS", "16", 1);
    ::setenv("GPUSIM_JITTER_MS", "8", 1);
    constexpr uint32_t kFrames = 60;
    const size_t before = line_count(report);
    Answers a;
    {
        auto window = AppWindow::open_xlib(display, 128, 96);
        ASSERT_NE(window, nullptr) << "XOpenDisplay(" << display << ") failed";
        XcbApp app(*window, app_layers());
        a = app.run(kFrames, VK_PRESENT_MODE_FIFO_KHR);
    }
    const auto verdict = verdict_after(report, before, std::chrono::seconds(5));
    ASSERT_TRUE(verdict.has_value());
    std::printf(
        "[x11] Xlib app on Xorg, fifo: %u frames presented; observer: %u presents, %u "
        "stale, %u overwritten\n",
        a.frames_presented, verdict->presents, verdict->stale, verdict->overwritten);
    EXPECT_EQ(a.frames_presented, kFrames) << "VkResult " << a.last_result;
    EXPECT_EQ(verdict->presents, kFrames);
    EXPECT_EQ(verdict->stale, 0U);
    EXPECT_EQ(verdict->overwritten, 0U);
}

// The error paths, on Xorg through the observer: each must end in the right VkResult within a
// bounded time, with nothing left behind.
class XorgErrors : public ::testing::Test {
  protected:
    void SetUp() override {
        display_ = std::getenv("SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY");
        report_ = std::getenv("SYNCBRIDGE_TEST_X_OBSERVER_REPORT");
        if (display_ == nullptr || report_ == nullptr) {
            GTEST_SKIP() << "no observer: run through tests/x11/xorg_in_vm.sh --observer";
        }
        ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
        ::setenv("SYNCBRIDGE_MODE", "import", 1);
        ::setenv("GPUSIM_LATENCY_MS", "1", 1);
        ::setenv("GPUSIM_JITTER_MS", "0", 1);
        // The layer reads its log level once per process: every suite asks for the same.
        ::setenv("SYNCBRIDGE_LOG", "debug", 1);
    }
    // `frames` presents in `mode` on `window` through the layer, `at_frame_10` run before the
    // 10th; the time the whole run took goes to `took`.
    static Answers run_broken_at_frame_10(AppWindow& window, uint32_t frames, VkPresentModeKHR mode,
                                          const std::function<void()>& at_frame_10,
                                          std::chrono::steady_clock::duration* took) {
        const auto start = std::chrono::steady_clock::now();
        Answers a;
        {
            XcbApp app(window, app_layers());
            RunPlan plan;
            plan.frames = frames;
            plan.mode = mode;
            plan.before_frame = [&](uint32_t frame) {
                if (frame == 10) {
                    at_frame_10();
                }
            };
            a = app.run(plan);
        }
        *took = std::chrono::steady_clock::now() - start;
        return a;
    }

    const char* display_ = nullptr;
    const char* report_ = nullptr;
};

// ConfigureNotify with a new size: the app is told VK_SUBOPTIMAL_KHR once at a present, then
// VK_ERROR_OUT_OF_DATE_KHR, as X11 defines the extent (the old size would be drawn at the window's
// origin).
TEST_F(XorgErrors, AResizeGivesSuboptimalThenOutOfDate) {
    auto window = AppWindow::open(display_, 128, 96);
    ASSERT_NE(window, nullptr);
    std::chrono::steady_clock::duration took{};
    const Answers a = run_broken_at_frame_10(
        *window, 60, VK_PRESENT_MODE_MAILBOX_KHR,
        [&] {
            const uint32_t size[] = {200, 150};
            xcb_configure_window(window->connection, window->window,
                                 XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT, size);
            xcb_flush(window->connection);
        },
        &took);
    EXPECT_TRUE(a.saw_suboptimal);
    EXPECT_EQ(a.last_result, VK_ERROR_OUT_OF_DATE_KHR);
    EXPECT_GE(a.frames_presented, 10U);
    EXPECT_LT(a.frames_presented, 60U) << "never out of date";
    std::printf("[x11] resize after 10 frames: %u presented, then VkResult %d\n",
                a.frames_presented, a.last_result);
}

// The app's window destroyed mid-stream: PresentPixmap meets BadWindow, which the layer sees
// (never the app's event queue) and reports as VK_ERROR_SURFACE_LOST_KHR.
TEST_F(XorgErrors, ADestroyedWindowIsALostSurfaceAndNothingHangs) {
    auto window = AppWindow::open(display_, 128, 96);
    ASSERT_NE(window, nullptr);
    std::chrono::steady_clock::duration took{};
    const Answers a = run_broken_at_frame_10(
        *window, 200, VK_PRESENT_MODE_MAILBOX_KHR,
        [&] {
            xcb_destroy_window(window->connection, window->window);
            xcb_flush(window->connection);
        },
        &took);
    EXPECT_EQ(a.last_result, VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_LT(a.frames_presented, 200U);
    EXPECT_LT(took, std::chrono::seconds(20));
    xcb_generic_event_t* event = xcb_poll_for_event(window->connection);
    EXPECT_EQ(event, nullptr) << "the layer's X error reached the app, type "
                              << (event != nullptr ? int{event->response_type} : 0);
    std::free(event);
    std::printf("[x11] window destroyed after 10 frames: %u presented, then VkResult %d\n",
                a.frames_presented, a.last_result);
}

// The X server gone mid-stream (its connection cut: a second observer in front of Xorg, killed):
// VK_ERROR_SURFACE_LOST_KHR, and every call after returns at once.
TEST_F(XorgErrors, AKilledServerIsALostSurfaceAndNothingHangs) {
    const char* observer = std::getenv("SYNCBRIDGE_TEST_X_OBSERVER_BIN");
    ASSERT_NE(observer, nullptr);
    const std::string report = std::string(report_) + ".killed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(observer, observer, "--listen", "9", "--server", "7", "--report", report.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_GT(pid, 0);
    for (int i = 0; i < 50 && ::access("/tmp/.X11-unix/X9", F_OK) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto window = AppWindow::open(":9", 128, 96);
    ASSERT_NE(window, nullptr);
    std::chrono::steady_clock::duration took{};
    const Answers a = run_broken_at_frame_10(
        *window, 200, VK_PRESENT_MODE_FIFO_KHR, [&] { ::kill(pid, SIGKILL); }, &took);
    ::waitpid(pid, nullptr, 0);
    EXPECT_EQ(a.last_result, VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_LT(a.frames_presented, 200U);
    EXPECT_LT(took, std::chrono::seconds(20));
    std::printf("[x11] server killed after 10 frames: %u presented, then VkResult %d\n",
                a.frames_presented, a.last_result);
}

// 1000 frames, then 100 swapchains one after the other: no fd, thread or pixmap left behind.
TEST_F(XorgErrors, NothingGrowsOverFramesAndRecreations) {
    const size_t before = line_count(report_);
    auto window = AppWindow::open(display_, 64, 48);
    ASSERT_NE(window, nullptr);
    const int fds = open_fd_count();
    const int threads = thread_count();
    Answers frames;
    Answers recreations;
    {
        XcbApp app(*window, app_layers());
        frames = app.run(RunPlan{1000, VK_PRESENT_MODE_IMMEDIATE_KHR, 1, {}});
    }
    const int fds_after_frames = open_fd_count();
    {
        XcbApp app(*window, app_layers());
        recreations = app.run(RunPlan{3, VK_PRESENT_MODE_MAILBOX_KHR, 100, {}});
    }
    EXPECT_EQ(frames.frames_presented, 1000U) << "VkResult " << frames.last_result;
    EXPECT_EQ(recreations.frames_presented, 300U) << "VkResult " << recreations.last_result;
    EXPECT_EQ(fds_after_frames, fds);
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    window.reset();
    const Verdict v = verdict_after(report_, before, std::chrono::seconds(5)).value_or(Verdict{});
    // (Frame colours restart with the second app on the same connection: not judged here.)
    EXPECT_EQ(v.presents, 1300U);
    EXPECT_EQ(v.pixmaps_live, 0U) << "pixmaps the layer never freed";
    std::printf(
        "[x11] 1000 frames + 100 swapchains: fds %d -> %d, threads %d -> %d, %u presents "
        "seen, pixmaps left %u\n",
        fds, fds_after_frames, threads, thread_count(), v.presents, v.pixmaps_live);
}

// The X11 presenter's thread cannot start (SYNCBRIDGE_TEST_FAIL_THREAD_START=1, set before the
// second swapchain: the first thread the layer starts after it is that swapchain's sb-x11):
// vkCreateSwapchainKHR gives VK_ERROR_OUT_OF_HOST_MEMORY, the app goes on, nothing is left
// behind (the pixmaps made for it are freed), and the next app's swapchain presents as usual.
TEST_F(XorgErrors, AThreadThatCannotStartFailsTheSwapchainAndTheNextOneWorks) {
    const char* kFailThreadStart = "SYNCBRIDGE_TEST_FAIL_THREAD_START";
    const size_t before = line_count(report_);
    auto window = AppWindow::open(display_, 64, 48);
    ASSERT_NE(window, nullptr);
    const int fds = open_fd_count();
    const int threads = thread_count();
    Answers failed;
    {
        XcbApp app(*window, app_layers());
        RunPlan plan{5, VK_PRESENT_MODE_MAILBOX_KHR, 2, {}};
        plan.before_frame = [&](uint32_t frame) {
            if (frame == 4) {  // the first swapchain's last frame
                ::setenv(kFailThreadStart, "1", 1);
            }
        };
        failed = app.run(plan);
        ::unsetenv(kFailThreadStart);
    }
    const int fds_after_failure = open_fd_count();
    Answers next;
    {
        XcbApp app(*window, app_layers());
        next = app.run(RunPlan{10, VK_PRESENT_MODE_MAILBOX_KHR, 1, {}});
    }
    // The control is the first expectation: a swapchain made as usual would have presented 10.
    EXPECT_EQ(failed.last_result, VK_ERROR_OUT_OF_HOST_MEMORY);
    EXPECT_EQ(failed.frames_presented, 5U);
    EXPECT_EQ(next.frames_presented, 10U) << "VkResult " << next.last_result;
    EXPECT_EQ(fds_after_failure, fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    window.reset();
    const Verdict v = verdict_after(report_, before, std::chrono::seconds(5)).value_or(Verdict{});
    EXPECT_EQ(v.presents, 15U);
    EXPECT_EQ(v.pixmaps_live, 0U) << "pixmaps the layer never freed";
    std::printf(
        "[x11] thread start failed at the second swapchain: VkResult %d after %u frames; the "
        "next app presented %u; fds %d -> %d, threads %d -> %d, pixmaps left %u\n",
        failed.last_result, failed.frames_presented, next.frames_presented, fds, fds_after_failure,
        threads, thread_count(), v.pixmaps_live);
}

// The frame-pacing rows for X11 (tools/bench/frame-pacing-x11 runs it; a benchmark, not a
// test, so disabled by default): frames per second and the CPU time inside acquire and present,
// syncbridge's strategies beside the driver's own WSI, on Xorg directly (no observer).
double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1))];
}

double mean(const std::vector<double>& values) {
    double sum = 0;
    for (double v : values) {
        sum += v;
    }
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

TEST(XorgPacing, DISABLED_Rows) {
    const char* display = std::getenv("SYNCBRIDGE_TEST_X_DISPLAY");
    if (display == nullptr) {
        GTEST_SKIP() << "no SYNCBRIDGE_TEST_X_DISPLAY: run through tests/x11/xorg_in_vm.sh";
    }
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_LOG", "warn", 1);
    const char* frames_env = std::getenv("SYNCBRIDGE_BENCH_FRAMES");
    const uint32_t frames =
        frames_env != nullptr ? static_cast<uint32_t>(std::atoi(frames_env)) : 300;
    struct Row {
        const char* name;
        std::vector<const char*> layers;
        const char* mode;  // SYNCBRIDGE_MODE, or null
    };
    const std::vector<Row> rows = {
        {"gpusim: pass-through (no layer)", {"VK_LAYER_SYNCBRIDGE_gpusim"}, nullptr},
        {"gpusim: syncbridge import",
         {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"},
         "import"},
        {"gpusim: syncbridge wait",
         {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"},
         "wait"},
    };
    std::printf(
        "| row | mode | fps | present us mean / p99 | acquire us mean / p99 | latency ms mean / "
        "p99 | frames |\n");
    std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (const Row& row : rows) {
        if (row.mode != nullptr) {
            ::setenv("SYNCBRIDGE_MODE", row.mode, 1);
        } else {
            ::unsetenv("SYNCBRIDGE_MODE");
        }
        for (VkPresentModeKHR mode : {VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR}) {
            auto window = AppWindow::open(display, 256, 256);
            ASSERT_NE(window, nullptr);
            Answers a;
            {
                XcbApp app(*window, row.layers);
                // The driver's own WSI here is lavapipe's PutImage: no Present, no completion.
                a = app.run(RunPlan{frames, mode, 1, {}, row.mode != nullptr});
            }
            char latency[64] = "n/a (PutImage)";
            if (row.mode != nullptr) {
                std::snprintf(latency, sizeof latency, "%.1f / %.1f", mean(a.latency_ms),
                              percentile(a.latency_ms, 0.99));
            }
            std::printf("| %s | %s | %.1f | %.0f / %.0f | %.0f / %.0f | %s | %u |\n", row.name,
                        mode == VK_PRESENT_MODE_FIFO_KHR ? "fifo" : "mailbox",
                        a.seconds > 0 ? a.frames_presented / a.seconds : 0.0, mean(a.present_us),
                        percentile(a.present_us, 0.99), mean(a.acquire_us),
                        percentile(a.acquire_us, 0.99), latency, a.frames_presented);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, LayerOnXorg,
                         ::testing::Values(VK_PRESENT_MODE_FIFO_KHR, VK_PRESENT_MODE_MAILBOX_KHR,
                                           VK_PRESENT_MODE_IMMEDIATE_KHR));

}  // namespace
}  // namespace sb::test::x11
