// The Wayland window system against the in-process fake compositor (fake_compositor.hpp), on
// the host: formats, buffer creation, presents, releases, frame callbacks, a dead connection,
// refusals, a compositor that stops reading, the app's queue and threads left alone, and no
// fd or thread left behind. Every wait has a deadline.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <string>
#include <thread>

#include "kernel/syncobj.hpp"
#include "support/fd_count.hpp"
#include "wayland/fake_compositor.hpp"
#include "wayland/test_app.hpp"
#include "wsi/image_ownership.hpp"
#include "wsi/wayland/wayland_presenter.hpp"
#include "wsi/wayland/wayland_surface.hpp"

// For gtest (found by argument-dependent lookup, so in the type's namespace).
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
using wsi::BufferDescription;
using wsi::ConsumerSync;
using wsi::FormatModifier;
using wsi::Presenter;
using wsi::wayland::WaylandPresenter;
using wsi::wayland::WaylandSurface;

constexpr auto kSoon = 2s;
constexpr uint32_t kXR24 = 0x34325258;  // DRM_FORMAT_XRGB8888
constexpr uint32_t kAR24 = 0x34325241;  // DRM_FORMAT_ARGB8888
constexpr uint64_t kLinear = 0;
// Bits in both halves, to see the protocol's hi/lo split put back together.
constexpr uint64_t kTiled = 0x0100000000000002;

class WaylandWindowSystem : public ::testing::Test {
  protected:
    void start(FakeOptions options = {}) {
        if (options.modifiers.empty()) {
            options.modifiers = {{kXR24, kLinear}, {kAR24, kLinear}};
        }
        compositor_ = FakeCompositor::start(options);
        ASSERT_NE(compositor_, nullptr);
        const int fd = compositor_->connect();
        ASSERT_GE(fd, 0);
        app_ = TestApp::connect_fd(fd);
        ASSERT_NE(app_, nullptr);
        surface_ = std::make_unique<WaylandSurface>(app_->display(), app_->surface());
    }

    void make_buffers(uint32_t count) {
        for (uint32_t i = 0; i < count; ++i) {
            kernel::UniqueFd fd = fake_dma_buf(size_t{256} * 1024);
            ASSERT_TRUE(fd.valid());
            BufferDescription desc;
            desc.dma_buf_fd = fd.get();
            desc.width = 64 + i;
            desc.height = 32 + i;
            desc.drm_format = i % 2 == 0 ? kXR24 : kAR24;
            desc.modifier = i % 2 == 0 ? kLinear : kTiled;
            desc.offset = 4096 * i;
            desc.stride = 256 + 64 * i;
            buffers_.push_back(desc);
            dma_bufs_.push_back(std::move(fd));
        }
    }

    VkResult create_presenter() {
        return surface_->create_presenter(buffers_, wsi::AppDevice{}, &events_, &presenter_);
    }

    void wait_for_server_cleanup() {
        EXPECT_TRUE(compositor_->wait_until(
            [](const Counters& c) { return c.live_buffers == 0 && c.open_fds == 0; }, kSoon))
            << "the compositor still holds buffers or fds";
    }

    // Every event so far came on the window system's own thread: never the test's (the app's
    // calling thread), never the app's dispatching thread.
    void expect_events_on_event_thread() {
        for (const auto& delivery : events_.deliveries()) {
            EXPECT_EQ(delivery.thread, "sb-wayland");
            EXPECT_FALSE(pthread_equal(delivery.thread_id, pthread_self()));
        }
    }

    uint32_t buffer_id(size_t image) const {
        return compositor_->counters().buffers[image].buffer_id;
    }

    // Destruction order: the presenter before the app's objects, the compositor last.
    std::unique_ptr<FakeCompositor> compositor_;
    std::unique_ptr<TestApp> app_;
    std::unique_ptr<WaylandSurface> surface_;
    std::vector<kernel::UniqueFd> dma_bufs_;
    std::vector<BufferDescription> buffers_;
    RecordingEvents events_;
    std::unique_ptr<Presenter> presenter_;
};

TEST_F(WaylandWindowSystem, QueryFormatsGivesEachAdvertisedPairOnce) {
    FakeOptions options;
    options.modifiers = {
        {kXR24, kLinear}, {kAR24, kLinear}, {kXR24, kLinear}, {kXR24, kTiled}, {kAR24, kLinear}};
    ASSERT_NO_FATAL_FAILURE(start(options));
    std::vector<FormatModifier> formats{{1, 1}};  // replaced, not appended to
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    const std::vector<FormatModifier> expected = {
        {kXR24, kLinear}, {kAR24, kLinear}, {kXR24, kTiled}};
    EXPECT_EQ(formats, expected);
    // Asking again asks the compositor again, with the same answer.
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_EQ(formats, expected);

    VkExtent2D extent{};
    EXPECT_FALSE(surface_->current_extent(&extent));
    // The layer's registry is its own: the app's listener saw none of its globals.
    EXPECT_EQ(app_->app_listener_calls(), 0u);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, Version4FeedbackGivesTheTranchesPairsOnce) {
    FakeOptions options;
    options.linux_dmabuf_version = 4;
    options.modifiers = {{kXR24, kLinear}, {kAR24, kLinear}, {kXR24, kLinear}, {kXR24, kTiled}};
    ASSERT_NO_FATAL_FAILURE(start(options));
    const int fds = open_fd_count();
    std::vector<FormatModifier> formats;
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    const std::vector<FormatModifier> expected = {
        {kXR24, kLinear}, {kAR24, kLinear}, {kXR24, kTiled}};
    EXPECT_EQ(formats, expected);
    // The format table's fd was mapped, read and closed. The fake compositor shares the
    // process and closes its own copy (libwayland's) only after the send: allow it a moment.
    for (int i = 0; i < 100 && open_fd_count() != fds; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(open_fd_count(), fds);
    // Buffers are made the same way as at version 3.
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    EXPECT_EQ(compositor_->counters().buffers.size(), 2u);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, WithoutLinuxDmabufThereAreNoFormatsAndNoPresenter) {
    FakeOptions options;
    options.linux_dmabuf = false;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    const int fds = open_fd_count();
    std::vector<FormatModifier> formats{{1, 1}};
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_TRUE(formats.empty());
    EXPECT_EQ(create_presenter(), VK_ERROR_INITIALIZATION_FAILED);
    EXPECT_EQ(presenter_, nullptr);
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, LinuxDmabufBeforeVersion3IsNotUsed) {
    FakeOptions options;
    options.linux_dmabuf_version = 2;  // formats without modifiers
    ASSERT_NO_FATAL_FAILURE(start(options));
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_TRUE(formats.empty());
}

TEST_F(WaylandWindowSystem, BuffersCarryTheirDescriptionsAndLeaveNothingBehind) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    const int fds = open_fd_count();
    const int threads = thread_count();

    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_NE(presenter_, nullptr);
    EXPECT_EQ(thread_count(), threads + 1);  // the event thread
    const Counters made = compositor_->counters();
    ASSERT_EQ(made.buffers.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const BufferRecord& got = made.buffers[i];
        const BufferDescription& want = buffers_[i];
        EXPECT_EQ(got.width, static_cast<int32_t>(want.width)) << i;
        EXPECT_EQ(got.height, static_cast<int32_t>(want.height)) << i;
        EXPECT_EQ(got.format, want.drm_format) << i;
        EXPECT_EQ(got.modifier, want.modifier) << i;
        EXPECT_EQ(got.offset, want.offset) << i;
        EXPECT_EQ(got.stride, want.stride) << i;
        EXPECT_EQ(got.planes, 1u) << i;
        EXPECT_EQ(got.flags, 0u) << i;
        // Borrowed: still the caller's, still open.
        EXPECT_GE(::fcntl(want.dma_buf_fd, F_GETFD), 0) << i;
    }
    EXPECT_EQ(made.live_buffers, 3u);
    EXPECT_EQ(made.open_fds, 3u);  // the compositor's own copies

    presenter_.reset();
    wait_for_server_cleanup();
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    for (const auto& fd : dma_bufs_) {
        EXPECT_GE(::fcntl(fd.get(), F_GETFD), 0);
    }
}

wsi::PresentRequest fifo(uint32_t image) {
    return {image, VK_PRESENT_MODE_FIFO_KHR};
}
wsi::PresentRequest mailbox(uint32_t image) {
    return {image, VK_PRESENT_MODE_MAILBOX_KHR};
}

bool frames_done(const Counters& c, uint64_t n) {
    return c.frame_done_sent == n;
}

TEST_F(WaylandWindowSystem, PresentCommitsAndTheCompositorsAnswersComeBack) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);

    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);
    ASSERT_TRUE(
        compositor_->wait_until([](const Counters& c) { return frames_done(c, 1); }, kSoon));
    Counters c = compositor_->counters();
    EXPECT_EQ(c.committed, std::vector<uint32_t>{buffer_id(0)});
    EXPECT_EQ(c.damage_buffer_requests, 1u);
    EXPECT_EQ(c.frame_requests, 1u);
    EXPECT_TRUE(events_.released().empty());

    ASSERT_EQ(presenter_->present(fifo(1)), VK_SUCCESS);
    ASSERT_TRUE(events_.wait_until(
        [](const auto& e) { return e.released() == std::vector<uint32_t>{0}; }, kSoon));
    ASSERT_TRUE(
        compositor_->wait_until([](const Counters& c) { return frames_done(c, 2); }, kSoon));

    // MAILBOX is not paced: no frame callback asked for.
    ASSERT_EQ(presenter_->present(mailbox(2)), VK_SUCCESS);
    ASSERT_TRUE(events_.wait_until(
        [](const auto& e) {
            return e.released() == std::vector<uint32_t>{0, 1};
        },
        kSoon));
    c = compositor_->counters();
    EXPECT_EQ(c.committed, (std::vector<uint32_t>{buffer_id(0), buffer_id(1), buffer_id(2)}));
    EXPECT_EQ(c.frame_requests, 2u);
    EXPECT_EQ(events_.count(Kind::lost), 0u);
    expect_events_on_event_thread();
    EXPECT_EQ(app_->app_listener_calls(), 0u);
}

TEST_F(WaylandWindowSystem, SurfacesBeforeVersion4GetDamageInsteadOfDamageBuffer) {
    FakeOptions options;
    options.compositor_version = 3;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_EQ(app_->surface_version(), 3u);
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);
    ASSERT_TRUE(
        compositor_->wait_until([](const Counters& c) { return frames_done(c, 1); }, kSoon));
    const Counters c = compositor_->counters();
    EXPECT_EQ(c.damage_requests, 1u);
    EXPECT_EQ(c.damage_buffer_requests, 0u);
    // A protocol error (damage_buffer on a v3 surface) would have ended the connection.
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, AnAppDispatchingItsOwnQueueMeanwhileSeesNothingOfOurs) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    // The app reads the same connection on its own thread all along, roundtrips included.
    app_->start_dispatching();
    std::vector<FormatModifier> formats;
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_EQ(formats.size(), 2u);
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    constexpr uint32_t kFrames = 30;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        ASSERT_EQ(presenter_->present(fifo(frame % 3)), VK_SUCCESS);
        ASSERT_TRUE(compositor_->wait_until(
            [&](const Counters& c) { return frames_done(c, frame + 1); }, kSoon))
            << "frame " << frame;
    }
    ASSERT_TRUE(events_.wait_until(
        [&](const auto& e) { return e.released().size() == kFrames - 1; }, kSoon));
    app_->stop_dispatching();

    for (const auto& delivery : events_.deliveries()) {
        EXPECT_EQ(delivery.thread, "sb-wayland");
        EXPECT_NE(delivery.thread, "app-events");
    }
    expect_events_on_event_thread();
    EXPECT_EQ(app_->app_listener_calls(), 0u);
    // Nothing of ours waits in the app's queue either.
    EXPECT_EQ(wl_display_dispatch_pending(app_->display()), 0);
    EXPECT_EQ(app_->app_listener_calls(), 0u);
}

TEST_F(WaylandWindowSystem, ACompositorThatHangsUpIsLostOnceAndPresentFails) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);

    compositor_->disconnect_clients();
    ASSERT_TRUE(events_.wait_until([](const auto& e) { return e.count(Kind::lost) == 1; }, kSoon));
    EXPECT_EQ(presenter_->present(fifo(1)), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(presenter_->present(mailbox(0)), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(events_.count(Kind::lost), 1u);
    expect_events_on_event_thread();

    const auto before = std::chrono::steady_clock::now();
    presenter_.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
    EXPECT_EQ(events_.count(Kind::lost), 1u);
}

TEST_F(WaylandWindowSystem, AProtocolErrorIsLostOnce) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);
    compositor_->raise_protocol_error();
    ASSERT_TRUE(events_.wait_until([](const auto& e) { return e.count(Kind::lost) == 1; }, kSoon));
    EXPECT_EQ(wl_display_get_error(app_->display()), EPROTO);
    EXPECT_EQ(presenter_->present(fifo(1)), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(events_.count(Kind::lost), 1u);
}

TEST_F(WaylandWindowSystem, ARefusedBufferFailsTheCreationAndLeavesNothingBehind) {
    FakeOptions options;
    options.refuse = Refusal::failed_event;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    const int fds = open_fd_count();
    const int threads = thread_count();
    EXPECT_EQ(create_presenter(), VK_ERROR_OUT_OF_HOST_MEMORY);
    EXPECT_EQ(presenter_, nullptr);
    wait_for_server_cleanup();
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    // The connection survives a `failed`: the surface still answers.
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_EQ(formats.size(), 2u);
}

TEST_F(WaylandWindowSystem, ABufferRefusedWithAProtocolErrorIsALostSurface) {
    FakeOptions options;
    options.refuse = Refusal::protocol_error;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    // The compositor drops the client, and with it its own fds for the connection: count the
    // kinds of fd the window system could leak instead of all of them.
    const int dma_bufs = count_fds_to("/memfd:fake-dma-buf");
    const int eventfds = count_fds_to("anon_inode:[eventfd]");
    const int threads = thread_count();
    EXPECT_EQ(create_presenter(), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_EQ(presenter_, nullptr);
    EXPECT_EQ(wl_display_get_error(app_->display()), EPROTO);
    // The compositor drops the client; its copies of the fds go with it.
    ASSERT_TRUE(compositor_->wait_until(
        [](const Counters& c) { return c.clients == 0 && c.open_fds == 0; }, kSoon));
    compositor_->sync();  // the client's destruction is complete
    EXPECT_EQ(count_fds_to("/memfd:fake-dma-buf"), dma_bufs);
    EXPECT_EQ(count_fds_to("anon_inode:[eventfd]"), eventfds);
    EXPECT_EQ(settled_thread_count(threads), threads);
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);
}

// FIFO pacing is the presenter's: a FIFO present waits for the last commit's frame callback, at
// most the grace (a hidden surface gets none), and only the newest callback counts.
TEST_F(WaylandWindowSystem, AFifoPresentWaitsForTheNewestFrameCallbackWithinTheGrace) {
    FakeOptions options;
    options.answer_frame_callbacks = false;  // as for a hidden surface
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    using Clock = std::chrono::steady_clock;
    const auto timed = [&](const wsi::PresentRequest& request) {
        const auto before = Clock::now();
        EXPECT_EQ(presenter_->present(request), VK_SUCCESS);
        return Clock::now() - before;
    };
    const auto grace = WaylandPresenter::kFrameCallbackGrace;
    EXPECT_LT(timed(fifo(0)), grace / 2) << "nothing to wait for yet";
    const auto unanswered = timed(fifo(1));
    EXPECT_GE(unanswered, grace - 10ms) << "did not wait for the frame callback";
    EXPECT_LT(unanswered, grace + 1s) << "waited past the grace";
    EXPECT_LT(timed(mailbox(0)), grace / 2) << "MAILBOX is not paced";
    ASSERT_TRUE(
        compositor_->wait_until([](const Counters& c) { return c.frame_requests == 2; }, kSoon));

    // Both callbacks answered together: the superseded one must not count, the newest must.
    compositor_->answer_frame_callbacks();
    ASSERT_TRUE(
        compositor_->wait_until([](const Counters& c) { return frames_done(c, 2); }, kSoon));
    EXPECT_LT(timed(fifo(1)), grace / 2) << "the newest callback was answered";
    // That present asked for a third callback, which nobody answers: the next one waits again.
    EXPECT_GE(timed(fifo(0)), grace - 10ms);
}

TEST_F(WaylandWindowSystem, PresentNeverBlocksWhenTheCompositorStopsReading) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    compositor_->stall(true);

    // Far more than the socket holds. libwayland 1.21 ends the connection when its buffer and
    // the socket are both full (newer versions grow the buffer): either way, no present may
    // wait for the compositor.
    using Clock = std::chrono::steady_clock;
    const auto start_time = Clock::now();
    auto longest = Clock::duration::zero();
    VkResult last = VK_SUCCESS;
    uint32_t presented = 0;
    for (; presented < 100000 && last == VK_SUCCESS; ++presented) {
        const auto before = Clock::now();
        last = presenter_->present(mailbox(presented % 2));
        longest = std::max(longest, Clock::now() - before);
        ASSERT_LT(Clock::now() - start_time, 20s) << "after " << presented << " presents";
    }
    EXPECT_LT(longest, 500ms);
    EXPECT_TRUE(last == VK_SUCCESS || last == VK_ERROR_SURFACE_LOST_KHR) << last;
    std::printf("[ wayland ] %u presents to a stalled compositor: last %s, longest call %lld us\n",
                presented, last == VK_SUCCESS ? "VK_SUCCESS" : "VK_ERROR_SURFACE_LOST_KHR",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::microseconds>(longest).count()));
    if (last == VK_ERROR_SURFACE_LOST_KHR) {
        EXPECT_EQ(events_.count(Kind::lost), 1u);
    }
    compositor_->stall(false);
    const auto before = Clock::now();
    presenter_.reset();
    EXPECT_LT(Clock::now() - before, 1s);
    EXPECT_LE(events_.count(Kind::lost), 1u);
}

TEST_F(WaylandWindowSystem, ASilentCompositorCannotHangAQuery) {
    ASSERT_NO_FATAL_FAILURE(start());
    compositor_->stall(true);
    using Clock = std::chrono::steady_clock;
    const auto before = Clock::now();
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);
    const auto waited = Clock::now() - before;
    EXPECT_GE(waited, 4s);  // the roundtrip's deadline (5 s), not an early give-up
    EXPECT_LT(waited, 8s);
    compositor_->stall(false);
    // The late answers go to objects already destroyed; the connection is unharmed.
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_EQ(formats.size(), 2u);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, NothingIsDeliveredOnceThePresenterIsGone) {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    const int threads = thread_count();
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(1)), VK_SUCCESS);
    ASSERT_TRUE(events_.wait_until([](const auto& e) { return e.released().size() == 1; }, kSoon));
    // A present whose answers may still be on their way when the presenter goes.
    ASSERT_EQ(presenter_->present(fifo(2)), VK_SUCCESS);
    presenter_.reset();
    const size_t delivered = events_.deliveries().size();
    EXPECT_EQ(settled_thread_count(threads), threads);
    wait_for_server_cleanup();
    // Let anything still in flight arrive, and the app read it.
    EXPECT_GE(wl_display_roundtrip(app_->display()), 0);
    EXPECT_EQ(events_.deliveries().size(), delivered);
    EXPECT_EQ(app_->app_listener_calls(), 0u);
}

// --- explicit sync's selection (SYNCBRIDGE_WAYLAND_SYNC, the manager, a timeline device) ---

// Sets SYNCBRIDGE_WAYLAND_SYNC for one test.
class SyncChoiceEnv {
  public:
    explicit SyncChoiceEnv(const char* value) {
        if (value != nullptr) {
            ::setenv("SYNCBRIDGE_WAYLAND_SYNC", value, 1);
        }
    }
    ~SyncChoiceEnv() { ::unsetenv("SYNCBRIDGE_WAYLAND_SYNC"); }
    SyncChoiceEnv(const SyncChoiceEnv&) = delete;
    SyncChoiceEnv& operator=(const SyncChoiceEnv&) = delete;
};

// This host has no DRM device with timeline syncobjs (no GPU, no DRM): the tests that need
// none skip where there is one.
bool host_has_timeline_device() {
    return kernel::open_timeline_device({}).ok();
}

TEST_F(WaylandWindowSystem, WithoutTheSyncobjManagerThePresenterIsImplicit) {
    const SyncChoiceEnv choice(nullptr);
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    EXPECT_EQ(presenter_->consumer_sync(), ConsumerSync::implicit);
    EXPECT_EQ(compositor_->counters().syncobj_binds, 0u);
}

TEST_F(WaylandWindowSystem, TheManagerWithoutATimelineDeviceIsImplicitAndAsksNothing) {
    if (host_has_timeline_device()) {
        GTEST_SKIP() << "this machine has a DRM device with timeline syncobjs";
    }
    const SyncChoiceEnv choice("auto");
    FakeOptions options;
    options.syncobj_manager = true;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    EXPECT_EQ(presenter_->consumer_sync(), ConsumerSync::implicit);
    // Nothing bound, so no syncobj surface either: the surface stays free for implicit commits.
    EXPECT_EQ(compositor_->counters().syncobj_binds, 0u);
    EXPECT_EQ(compositor_->counters().syncobj_surfaces, 0u);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);
    EXPECT_TRUE(compositor_->wait_until([](const Counters& c) { return c.commits == 1; }, kSoon));
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, ExplicitRequiredWithoutTheManagerFailsTheSwapchain) {
    const SyncChoiceEnv choice("explicit");
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    EXPECT_EQ(create_presenter(), VK_ERROR_INITIALIZATION_FAILED);
    EXPECT_EQ(presenter_, nullptr);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

TEST_F(WaylandWindowSystem, ExplicitRequiredWithoutATimelineDeviceFailsTheSwapchain) {
    if (host_has_timeline_device()) {
        GTEST_SKIP() << "this machine has a DRM device with timeline syncobjs";
    }
    const SyncChoiceEnv choice("explicit");
    FakeOptions options;
    options.syncobj_manager = true;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    EXPECT_EQ(create_presenter(), VK_ERROR_INITIALIZATION_FAILED);
    EXPECT_EQ(compositor_->counters().syncobj_surfaces, 0u);
}

// --- Hostile compositors (issue #14): data the layer must refuse, events it must shrug off ----

// The layer's log lines (stderr) written while `body` runs that contain `text`.
int log_lines_containing(const std::string& text, const std::function<void()>& body) {
    ::testing::internal::CaptureStderr();
    body();
    const std::string log = ::testing::internal::GetCapturedStderr();
    int lines = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
        ++lines;
    }
    return lines;
}

struct HostileFeedbackCase {
    FeedbackDefect defect;
    const char* logged;  // what the one log line says; nullptr: the control, nothing wrong
};

void PrintTo(const HostileFeedbackCase& c, std::ostream* out) {
    *out << (c.logged != nullptr ? c.logged : "no defect (control)");
}

class HostileFeedback : public WaylandWindowSystem,
                        public ::testing::WithParamInterface<HostileFeedbackCase> {};

// The feedback is refused as a whole: formats from a table the layer cannot trust would be
// guesses. The app gets VK_ERROR_SURFACE_LOST_KHR, the log one line naming the defect (the
// evidence that the defect was delivered and seen), the connection lives and no fd is left.
TEST_P(HostileFeedback, IsRefusedWithOneLogLineAndNoCrashLeakOrDeadConnection) {
    FakeOptions options;
    options.linux_dmabuf_version = 4;
    options.feedback_defect = GetParam().defect;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    const int fds = open_fd_count();
    const char* logged = GetParam().logged;
    std::vector<FormatModifier> formats{{1, 1}};
    VkResult queried = VK_SUCCESS;
    const int lines = log_lines_containing(logged != nullptr ? logged : "[syncbridge]",
                                           [&] { queried = surface_->query_formats(&formats); });
    if (logged == nullptr) {
        EXPECT_EQ(queried, VK_SUCCESS);
        EXPECT_EQ(formats.size(), 2u);
        EXPECT_EQ(lines, 0);
        EXPECT_EQ(create_presenter(), VK_SUCCESS);
    } else {
        EXPECT_EQ(queried, VK_ERROR_SURFACE_LOST_KHR);
        EXPECT_TRUE(formats.empty());
        EXPECT_EQ(lines, 1);
        EXPECT_EQ(create_presenter(), VK_ERROR_SURFACE_LOST_KHR);
        EXPECT_EQ(presenter_, nullptr);
    }
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
    presenter_.reset();
    // The table's fd (libwayland's copy in this process is closed by the fake right after).
    for (int i = 0; i < 100 && open_fd_count() != fds; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(open_fd_count(), fds);
}

INSTANTIATE_TEST_SUITE_P(
    Defects, HostileFeedback,
    ::testing::Values(
        HostileFeedbackCase{FeedbackDefect::none, nullptr},
        HostileFeedbackCase{FeedbackDefect::table_size_not_whole_entries,
                            "size is not a multiple of 16 bytes"},
        // Mapped, as the layer did before, this one was a SIGBUS at the first entry past the
        // file's end.
        HostileFeedbackCase{FeedbackDefect::table_shorter_than_size,
                            "the file is shorter than the size sent"},
        HostileFeedbackCase{FeedbackDefect::table_fd_not_a_file, "the fd is not a readable file"},
        HostileFeedbackCase{FeedbackDefect::table_too_large,
                            "more entries than a 16-bit index can name"},
        HostileFeedbackCase{FeedbackDefect::index_past_table,
                            "an index past the format table's end"},
        HostileFeedbackCase{FeedbackDefect::odd_index_bytes,
                            "not a whole number of 16-bit indices"},
        HostileFeedbackCase{FeedbackDefect::bad_main_device, "not the size of a dev_t"}));

// Releases of buffers never attached, and releases sent twice, reach the swapchain as the
// compositor sent them (the presenter cannot tell a lie from the truth); the swapchain's
// ownership table (wsi/image_ownership) is what refuses them, and the presenter carries on.
TEST_F(WaylandWindowSystem, SpuriousReleasesAreRefusedByTheOwnershipTableAndPresentsGoOn) {
    FakeOptions options;
    options.spurious_releases = true;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(3));
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    wsi::ImageOwnership owners(3);
    size_t applied = 0;
    // What the swapchain does around each present: the app acquired and queued the image, the
    // layer hands it over; then each release, as it comes, goes through the table as
    // Swapchain::on_released puts it.
    const auto present_and_apply_releases = [&](uint32_t image, size_t releases_by_then) {
        ASSERT_TRUE(owners.apply(image, wsi::OwnershipEvent::acquire));
        ASSERT_TRUE(owners.apply(image, wsi::OwnershipEvent::queue_present));
        ASSERT_TRUE(owners.apply(image, wsi::OwnershipEvent::hand_over));
        ASSERT_EQ(presenter_->present(fifo(image)), VK_SUCCESS);
        ASSERT_TRUE(events_.wait_until(
            [&](const auto& e) { return e.released().size() == releases_by_then; }, kSoon));
        const auto released = events_.released();
        for (; applied < released.size(); ++applied) {
            (void)owners.apply(released[applied], wsi::OwnershipEvent::release);
        }
    };
    ASSERT_NO_FATAL_FAILURE(present_and_apply_releases(0, 2));  // 1 and 2: never attached
    ASSERT_NO_FATAL_FAILURE(present_and_apply_releases(1, 4));  // 0 twice
    ASSERT_NO_FATAL_FAILURE(present_and_apply_releases(2, 6));  // 1 twice
    EXPECT_EQ(compositor_->counters().spurious_releases_sent, 4u);
    EXPECT_EQ(events_.released(), (std::vector<uint32_t>{1, 2, 0, 0, 1, 1}));
    EXPECT_EQ(owners.refused(), 4u);
    EXPECT_EQ(owners.owner(0), wsi::ImageOwner::released);
    EXPECT_EQ(owners.owner(1), wsi::ImageOwner::released);
    EXPECT_EQ(owners.owner(2), wsi::ImageOwner::held_by_consumer);
    EXPECT_EQ(compositor_->counters().commits, 3u);
    EXPECT_EQ(events_.count(Kind::lost), 0u);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

// A compositor withdraws linux-dmabuf while a swapchain presents with it: what is bound stays
// usable, so presents go on; the next query sees no global (no formats, as a compositor without
// it), and a new swapchain fails as it would there.
TEST_F(WaylandWindowSystem,
       ALinuxDmabufGlobalRemovedInUseLeavesPresentsWorkingAndNewSwapchainsOut) {
    FakeOptions options;
    options.linux_dmabuf_version = 4;
    ASSERT_NO_FATAL_FAILURE(start(options));
    ASSERT_NO_FATAL_FAILURE(make_buffers(2));
    std::vector<FormatModifier> formats;
    ASSERT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    ASSERT_EQ(formats.size(), 2u);  // the control: before the removal
    ASSERT_EQ(create_presenter(), VK_SUCCESS);
    ASSERT_EQ(presenter_->present(fifo(0)), VK_SUCCESS);

    compositor_->remove_linux_dmabuf_global();
    EXPECT_EQ(compositor_->counters().globals_removed, 1u);
    ASSERT_EQ(presenter_->present(fifo(1)), VK_SUCCESS);
    ASSERT_TRUE(compositor_->wait_until([](const Counters& c) { return c.commits == 2; }, kSoon));
    ASSERT_TRUE(events_.wait_until(
        [](const auto& e) { return e.released() == std::vector<uint32_t>{0}; }, kSoon));

    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_TRUE(formats.empty());
    std::unique_ptr<Presenter> second;
    EXPECT_EQ(surface_->create_presenter(buffers_, wsi::AppDevice{}, &events_, &second),
              VK_ERROR_INITIALIZATION_FAILED);
    EXPECT_EQ(second, nullptr);
    EXPECT_EQ(events_.count(Kind::lost), 0u);
    EXPECT_EQ(wl_display_get_error(app_->display()), 0);
}

}  // namespace
}  // namespace sb::test::wayland
