// The Wayland window system against the real test compositor (tests/compositor), a process of
// its own, with vgem dma-bufs, in the test VM: what the compositor advertises is what
// query_formats gives; frames presented in order are the frames it shows (its content check);
// releases and frame callbacks come back on the window system's thread while the app reads its
// own queue on another; a compositor that is killed is a lost surface, once, and nothing hangs;
// a buffer the compositor refuses with a protocol error is a lost surface; no fd or thread is
// left behind. Every wait has a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>

#include "compositor/frame_colour.hpp"
#include "support/fd_count.hpp"
#include "support/vgem.hpp"
#include "wayland/compositor_process.hpp"
#include "wayland/test_app.hpp"
#include "wsi/wayland/wayland_surface.hpp"

namespace sb::wsi {
[[maybe_unused]] static bool operator==(const FormatModifier& a, const FormatModifier& b) {
    return a.drm_format == b.drm_format && a.modifier == b.modifier;
}
[[maybe_unused]] static void PrintTo(const FormatModifier& f, std::ostream* out) {
    *out << "{0x" << std::hex << f.drm_format << ", 0x" << f.modifier << std::dec << "}";
}
}  // namespace sb::wsi

namespace sb::test::wayland {
namespace {

using namespace std::chrono_literals;
using Kind = RecordingEvents::Kind;
using kernel::Access;
using wsi::BufferDescription;
using wsi::FormatModifier;
using wsi::Presenter;
using wsi::wayland::WaylandSurface;

constexpr auto kSoon = 2s;
constexpr uint32_t kXR24 = 0x34325258;  // DRM_FORMAT_XRGB8888
constexpr uint32_t kAR24 = 0x34325241;  // DRM_FORMAT_ARGB8888
constexpr uint64_t kLinear = 0;
constexpr uint32_t kSize = 64;

struct Image {
    kernel::DmaBuf dma_buf;
    kernel::DmaBufMapping map;
    uint32_t stride = 0;
};

class RealCompositor : public ::testing::Test {
  protected:
    void start(std::vector<std::string> args) {
        std::string error;
        compositor_ =
            CompositorProcess::start(SYNCBRIDGE_TEST_COMPOSITOR, std::move(args), 10s, &error);
        ASSERT_NE(compositor_, nullptr) << error;
        app_ = TestApp::connect_name(compositor_->socket_name().c_str());
        ASSERT_NE(app_, nullptr);
        auto vgem = Vgem::open();
        ASSERT_TRUE(vgem.ok()) << vgem.error().describe();  // no vgem: a broken VM, not a skip
        vgem_.emplace(std::move(vgem).value());
    }

    void make_images(uint32_t count) {
        for (uint32_t i = 0; i < count; ++i) {
            auto dumb = vgem_->create_dumb(kSize, kSize);
            ASSERT_TRUE(dumb.ok()) << dumb.error().describe();
            auto dma_buf = vgem_->export_dma_buf(dumb->handle);
            ASSERT_TRUE(dma_buf.ok()) << dma_buf.error().describe();
            auto map = dma_buf->map(dumb->size, Access::write);
            ASSERT_TRUE(map.ok()) << map.error().describe();
            // The dma-buf keeps the memory; the handle is not needed any more.
            ASSERT_TRUE(vgem_->close_handle(dumb->handle).ok());
            BufferDescription desc;
            desc.dma_buf_fd = dma_buf->fd();
            desc.width = kSize;
            desc.height = kSize;
            desc.drm_format = kXR24;
            desc.modifier = kLinear;
            desc.offset = 0;
            desc.stride = dumb->pitch;
            buffers_.push_back(desc);
            images_.push_back(
                Image{std::move(dma_buf).value(), std::move(map).value(), dumb->pitch});
        }
    }

    // Draws frame `frame` into `image` with the CPU. begin_cpu_access waits for the compositor's
    // read fences, as the swapchain's acquire transfer makes the GPU wait.
    void draw(uint32_t image, uint32_t frame) {
        Image& target = images_[image];
        ASSERT_TRUE(target.dma_buf.begin_cpu_access(Access::write).ok());
        const uint32_t pixel = compositor::frame_pixel(frame);
        auto* bytes = static_cast<uint8_t*>(target.map.data());
        for (uint32_t y = 0; y < kSize; ++y) {
            auto* row = reinterpret_cast<uint32_t*>(bytes + size_t{y} * target.stride);
            for (uint32_t x = 0; x < kSize; ++x) {
                row[x] = pixel;
            }
        }
        ASSERT_TRUE(target.dma_buf.end_cpu_access(Access::write).ok());
    }

    size_t releases_of(uint32_t image) const {
        const auto released = events_.released();
        return static_cast<size_t>(std::count(released.begin(), released.end(), image));
    }

    void expect_events_on_event_thread() {
        for (const auto& delivery : events_.deliveries()) {
            EXPECT_EQ(delivery.thread, "sb-wayland");
            EXPECT_FALSE(pthread_equal(delivery.thread_id, pthread_self()));
        }
    }

    std::unique_ptr<CompositorProcess> compositor_;
    std::unique_ptr<TestApp> app_;
    std::optional<Vgem> vgem_;
    std::vector<Image> images_;
    std::vector<BufferDescription> buffers_;
    std::unique_ptr<WaylandSurface> surface_;
    RecordingEvents events_;
    std::unique_ptr<Presenter> presenter_;
};

TEST_F(RealCompositor, FramesGoOutInOrderAndReleasesAndFrameCallbacksComeBack) {
    // A duplicate in the advertised list, and reads held for 30 ms after each release.
    ASSERT_NO_FATAL_FAILURE(start({"--format", "XR24", "--format", "AR24", "--format", "XR24",
                                   "--release", "on-replace", "--hold-ms", "30"}));
    ASSERT_NO_FATAL_FAILURE(make_images(3));
    app_->start_dispatching();  // the app reads its own queue all along, as toolkits do
    const int fds = open_fd_count();
    const int threads = thread_count();

    surface_ = std::make_unique<WaylandSurface>(app_->display(), app_->surface());
    std::vector<FormatModifier> formats;
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_EQ(formats, (std::vector<FormatModifier>{{kXR24, kLinear}, {kAR24, kLinear}}));
    ASSERT_EQ(surface_->create_presenter(buffers_, wsi::AppDevice{}, &events_, &presenter_),
              VK_SUCCESS);

    constexpr uint32_t kFrames = 12;
    std::vector<size_t> presents(images_.size(), 0);
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        const uint32_t image = frame % 3;
        // An image is drawn again only once the compositor gave it back.
        ASSERT_TRUE(events_.wait_until(
            [&](const auto& /*e*/) { return releases_of(image) >= presents[image]; }, kSoon))
            << "image " << image << " was never released (frame " << frame << ")";
        ASSERT_NO_FATAL_FAILURE(draw(image, frame));
        // FIFO: the presenter waits for the last frame's callback (the test compositor answers
        // each once it has checked the frame) before it commits this one.
        ASSERT_EQ(presenter_->present({image, VK_PRESENT_MODE_FIFO_KHR}), VK_SUCCESS);
        ++presents[image];
        if (frame == 0) {
            // Buffer 0 stays the compositor's until a later commit replaces it.
            EXPECT_TRUE(events_.released().empty());
        }
        if (frame == 1) {
            ASSERT_TRUE(events_.wait_until(
                [](const auto& e) { return e.released() == std::vector<uint32_t>{0}; }, kSoon));
        }
    }
    EXPECT_EQ(events_.count(Kind::lost), 0u);
    expect_events_on_event_thread();

    // Gone while the app still reads its queue: nothing left behind.
    presenter_.reset();
    surface_.reset();
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    app_->stop_dispatching();
    EXPECT_EQ(app_->app_listener_calls(), 0u);
    EXPECT_EQ(wl_display_dispatch_pending(app_->display()), 0);

    // The compositor's own verdict (its exit status 0): every frame it read was the next one,
    // whole, and none was overwritten while it read; and it read every frame.
    std::string output;
    const int status = compositor_->terminate(5s, &output);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("frames_checked=" + std::to_string(kFrames) + " "), std::string::npos)
        << output;
}

TEST_F(RealCompositor, AKilledCompositorIsLostOnceAndNothingHangs) {
    ASSERT_NO_FATAL_FAILURE(start({"--hold-ms", "30"}));
    ASSERT_NO_FATAL_FAILURE(make_images(2));
    const int fds = open_fd_count();
    const int threads = thread_count();
    surface_ = std::make_unique<WaylandSurface>(app_->display(), app_->surface());
    ASSERT_EQ(surface_->create_presenter(buffers_, wsi::AppDevice{}, &events_, &presenter_),
              VK_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(draw(0, 0));
    ASSERT_EQ(presenter_->present({0, VK_PRESENT_MODE_FIFO_KHR}), VK_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(draw(1, 1));
    ASSERT_EQ(presenter_->present({1, VK_PRESENT_MODE_FIFO_KHR}), VK_SUCCESS);
    // Buffer 0 comes back once 1 replaced it: the compositor took both.
    ASSERT_TRUE(events_.wait_until(
        [](const auto& e) { return e.released() == std::vector<uint32_t>{0}; }, kSoon));

    compositor_->kill();
    ASSERT_TRUE(events_.wait_until([](const auto& e) { return e.count(Kind::lost) == 1; }, kSoon));
    using Clock = std::chrono::steady_clock;
    auto before = Clock::now();
    // FIFO included: a lost connection's frame callback is not waited for.
    EXPECT_EQ(presenter_->present({0, VK_PRESENT_MODE_FIFO_KHR}), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(presenter_->present({1, VK_PRESENT_MODE_MAILBOX_KHR}), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_LT(Clock::now() - before, 500ms);
    EXPECT_EQ(events_.count(Kind::lost), 1u);
    expect_events_on_event_thread();
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);

    before = Clock::now();
    presenter_.reset();
    EXPECT_LT(Clock::now() - before, 1s);
    surface_.reset();
    EXPECT_EQ(events_.count(Kind::lost), 1u);
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
}

TEST_F(RealCompositor, ABufferRefusedWithAProtocolErrorIsALostSurface) {
    // The test compositor answers create_immed for this format with invalid_wl_buffer.
    ASSERT_NO_FATAL_FAILURE(start({"--reject-format", "XR24"}));
    ASSERT_NO_FATAL_FAILURE(make_images(2));
    const int fds = open_fd_count();
    const int threads = thread_count();
    surface_ = std::make_unique<WaylandSurface>(app_->display(), app_->surface());
    EXPECT_EQ(surface_->create_presenter(buffers_, wsi::AppDevice{}, &events_, &presenter_),
              VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(presenter_, nullptr);
    EXPECT_EQ(wl_display_get_error(app_->display()), EPROTO);
    surface_.reset();
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    EXPECT_TRUE(events_.deliveries().empty());
}

}  // namespace
}  // namespace sb::test::wayland
