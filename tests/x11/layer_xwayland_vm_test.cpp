// Through the loader, in the test VM: an XCB app on Xwayland, Xwayland on the test compositor.
// The compositor offers wl_drm (naming vgem's render node), so Xwayland's glamor runs there and
// offers DRI3 and Present; syncbridge over gpusim presents the app's dma-bufs as DRI3 pixmaps,
// and Xwayland hands those very buffers to the compositor (a flip: the window's wl_surface gets
// the pixmap's wl_buffer). The compositor honours implicit sync and checks every frame, as for
// Wayland clients (tests/compositor/README.md): so the whole X11 path is judged end to end by a
// consumer that waits for fences. The control (fence transfers off) must show the corruption.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "compositor/compositor.hpp"
#include "kernel/unique_fd.hpp"
#include "x11/x_server.hpp"
#include "x11/xcb_app.hpp"

namespace sb::test::x11 {
namespace {

// vgem's render node: Mesa's GBM falls back to kms_swrast there, which is what glamor runs on.
std::string vgem_render_node() {
    for (int minor = 128; minor < 144; ++minor) {
        std::string path = "/dev/dri/renderD" + std::to_string(minor);
        const kernel::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd) {
            continue;
        }
        drmVersionPtr version = drmGetVersion(fd.get());
        const bool vgem = version != nullptr && std::strcmp(version->name, "vgem") == 0;
        drmFreeVersion(version);
        if (vgem) {
            return path;
        }
    }
    return {};
}

struct Case {
    VkPresentModeKHR mode;
    bool bridged;
    const char* strategy = "import";  // SYNCBRIDGE_MODE: import or wait
};

class OnXwayland : public ::testing::TestWithParam<Case> {
  protected:
    void SetUp() override {
        const std::string node = vgem_render_node();
        if (node.empty()) {
            GTEST_SKIP() << "no vgem render node: run in the test VM";
        }
        compositor::Options options;
        options.wl_drm_device = node;
        options.first_frame.reset();  // the first frame Xwayland shows sets the expectation
        // FIFO: every frame, in order; MAILBOX and IMMEDIATE may replace queued frames.
        options.frame_step = GetParam().mode == VK_PRESENT_MODE_FIFO_KHR ? 1 : 0;
        auto started = compositor::Compositor::start(options);
        ASSERT_TRUE(started) << started.error().describe();
        compositor_ = std::move(started).value();
        std::string error;
        xwayland_ =
            XServer::start_xwayland(compositor_->socket_name(), std::chrono::seconds(30), &error);
        ASSERT_NE(xwayland_, nullptr) << error;
    }
    void TearDown() override {
        xwayland_.reset();
        compositor_.reset();
    }
    std::unique_ptr<compositor::Compositor> compositor_;
    std::unique_ptr<XServer> xwayland_;
};

TEST_P(OnXwayland, EveryFrameTheCompositorGetsIsWholeAndNeverOverwritten) {
    const Case& c = GetParam();
    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("SYNCBRIDGE_MODE", c.strategy, 1);
    ::setenv("SYNCBRIDGE_LOG", "debug", 1);  // read once per process: the same in every case
    ::setenv("GPUSIM_LATENCY_MS", "16", 1);
    ::setenv("GPUSIM_JITTER_MS", "16", 1);
    if (c.bridged) {
        ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    } else {
        ::setenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1", 1);
    }
    constexpr uint32_t kFrames = 300;
    testing::internal::CaptureStderr();
    Answers a;
    {
        auto window = AppWindow::open(xwayland_->display(), 128, 96);
        ASSERT_NE(window, nullptr) << "cannot connect to Xwayland at " << xwayland_->display();
        XcbApp app(*window, {"VK_LAYER_SYNCBRIDGE_wsi", "VK_LAYER_SYNCBRIDGE_gpusim"});
        a = app.run(kFrames, c.mode);
    }
    ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    // Every frame read is judged once its composite (the read fence's hold) is over.
    const bool settled = compositor_->wait_until(
        [](const compositor::Counters& k) {
            return k.frames_checked > 0 &&
                   k.read_fences_signalled + k.read_fences_refused >= k.frames_checked;
        },
        std::chrono::seconds(10));
    const std::string log = testing::internal::GetCapturedStderr();
    const compositor::Counters k = compositor_->counters();
    std::printf(
        "[x11] Xwayland on the test compositor, gpusim, mode %d, %s, %s: %u frames presented; "
        "compositor: %llu frames read, %llu stale, %llu torn, %llu overwritten, %llu skipped, "
        "%llu write-fence waits\n",
        c.mode, c.strategy, c.bridged ? "bridged" : "control", a.frames_presented,
        static_cast<unsigned long long>(k.frames_checked), static_cast<unsigned long long>(k.stale),
        static_cast<unsigned long long>(k.torn), static_cast<unsigned long long>(k.overwrites),
        static_cast<unsigned long long>(k.skipped), static_cast<unsigned long long>(k.fence_waits));
    EXPECT_TRUE(settled) << compositor_->summary();
    EXPECT_NE(log.find("pixmaps from the swapchain's dma-bufs"), std::string::npos)
        << "the layer did not present to Xwayland itself; its log:\n"
        << log;
    EXPECT_EQ(a.frames_presented, kFrames) << "VkResult " << a.last_result;
    // Xwayland flipped the app's own buffers to the compositor: nothing reached it as a copy.
    EXPECT_EQ(k.commits, k.frames_checked) << compositor_->summary();
    if (c.mode == VK_PRESENT_MODE_FIFO_KHR) {
        EXPECT_EQ(k.frames_checked, kFrames) << "FIFO shows every frame";
    } else {
        EXPECT_GT(k.frames_checked, 0U);
    }
    if (c.bridged) {
        EXPECT_EQ(k.sync_errors(), 0U) << compositor_->summary();
        EXPECT_EQ(k.wait_timeouts, 0U);
    } else {
        EXPECT_GT(k.stale + k.overwrites, 0U) << "the control did not bite";
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, OnXwayland,
                         ::testing::Values(Case{VK_PRESENT_MODE_FIFO_KHR, true},
                                           Case{VK_PRESENT_MODE_MAILBOX_KHR, true},
                                           Case{VK_PRESENT_MODE_IMMEDIATE_KHR, true},
                                           Case{VK_PRESENT_MODE_FIFO_KHR, true, "wait"},
                                           Case{VK_PRESENT_MODE_FIFO_KHR, false},
                                           Case{VK_PRESENT_MODE_FIFO_KHR, false, "wait"}));

// Debian's own vkcube and vkcubepp (XCB) through syncbridge over gpusim on Xwayland, judged by
// the compositor in content-agnostic mode (tests/compositor/README.md): they draw what they like.
// The hold (100 ms) is longer than the GPU's time, so a write into a buffer still being read
// shows as an overwrite even where the stale check is blind (tests/clients/README.md).
struct Cube {
    const char* program;
    bool bridged;
};

// Runs `argv` with the process's environment, its stderr into `log`; its exit status, or -1.
int run_program(const std::vector<std::string>& args, const std::string& log,
                std::chrono::seconds timeout) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    argv.reserve(copy.size() + 1);
    for (std::string& a : copy) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        return -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

class CubeOnXwayland : public ::testing::TestWithParam<Cube> {};

TEST_P(CubeOnXwayland, EveryFrameTheCompositorGetsIsWholeAndNeverOverwritten) {
    const Cube& c = GetParam();
    const std::string node = vgem_render_node();
    if (node.empty()) {
        GTEST_SKIP() << "no vgem render node: run in the test VM";
    }
    compositor::Options options;
    options.wl_drm_device = node;
    options.content_agnostic = true;
    options.first_frame.reset();
    options.frame_step = 0;
    options.hold_ms = 100;
    auto started = compositor::Compositor::start(options);
    ASSERT_TRUE(started) << started.error().describe();
    const std::unique_ptr<compositor::Compositor> compositor = std::move(started).value();
    std::string error;
    const auto xwayland =
        XServer::start_xwayland(compositor->socket_name(), std::chrono::seconds(30), &error);
    ASSERT_NE(xwayland, nullptr) << error;

    ::setenv("VK_ADD_LAYER_PATH", SYNCBRIDGE_MANIFEST_DIR ":" GPUSIM_MANIFEST_DIR, 1);
    ::setenv("VK_INSTANCE_LAYERS", "VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim", 1);
    ::setenv("SYNCBRIDGE_MODE", "import", 1);
    ::setenv("SYNCBRIDGE_LOG", "debug", 1);
    ::setenv("GPUSIM_LATENCY_MS", "16", 1);
    ::setenv("GPUSIM_JITTER_MS", "16", 1);
    ::setenv("DISPLAY", xwayland->display().c_str(), 1);
    if (c.bridged) {
        ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    } else {
        ::setenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER", "1", 1);
    }
    constexpr int kFrames = 300;
    const std::string log = std::string(std::getenv("XDG_RUNTIME_DIR")) + "/" + c.program + ".err";
    const int status =
        run_program({c.program, "--c", std::to_string(kFrames)}, log, std::chrono::seconds(240));
    ::unsetenv("SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER");
    ::unsetenv("VK_INSTANCE_LAYERS");
    ::unsetenv("DISPLAY");
    compositor->wait_until(
        [](const compositor::Counters& k) {
            return k.read_fences_signalled + k.read_fences_refused >= k.frames_checked;
        },
        std::chrono::seconds(10));
    std::ifstream in(log);
    const std::string layer_log((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    const compositor::Counters k = compositor->counters();
    std::printf(
        "[x11] %s on Xwayland, gpusim, %s: exit %d; compositor: %llu frames read, %llu stale, "
        "%llu overwritten\n",
        c.program, c.bridged ? "bridged" : "control", status,
        static_cast<unsigned long long>(k.frames_checked), static_cast<unsigned long long>(k.stale),
        static_cast<unsigned long long>(k.overwrites));
    ASSERT_EQ(status, 0) << c.program << " failed; its log:\n" << layer_log;
    EXPECT_NE(layer_log.find("pixmaps from the swapchain's dma-bufs"), std::string::npos)
        << "the layer did not present to Xwayland itself; its log:\n"
        << layer_log;
    // vkcube presents FIFO: every frame reaches the compositor.
    EXPECT_GE(k.frames_checked, static_cast<uint64_t>(kFrames)) << compositor->summary();
    if (c.bridged) {
        EXPECT_EQ(k.sync_errors(), 0U) << compositor->summary();
    } else {
        EXPECT_GT(k.stale + k.overwrites, 0U) << "the control did not bite";
    }
}

INSTANTIATE_TEST_SUITE_P(Debian, CubeOnXwayland,
                         ::testing::Values(Cube{"vkcube", true}, Cube{"vkcube", false},
                                           Cube{"vkcubepp", true}, Cube{"vkcubepp", false}),
                         [](const auto& info) {
                             return std::string(info.param.program) +
                                    (info.param.bridged ? "_bridged" : "_control");
                         });

}  // namespace
}  // namespace sb::test::x11
