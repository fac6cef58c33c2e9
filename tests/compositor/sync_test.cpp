// The test compositor's checks against real implicit sync, in the test VM: clients draw frame
// colours into vgem dma-bufs and present them over linux-dmabuf; the compositor must see every
// well-synchronised frame whole and on time, and must catch the client that is not.
#include <drm_fourcc.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compositor/compositor.hpp"
#include "compositor/test_client.hpp"
#include "kernel/fixture.hpp"

namespace sb::compositor {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using kernel::Access;
using kernel::WaitOutcome;
using test::must;
using testing::ClientBuffer;
using testing::TestClient;

#define EXPECT_OK(expr)                                                \
    do {                                                               \
        const auto& sb_result_ = (expr);                               \
        EXPECT_TRUE(sb_result_.ok()) << sb_result_.error().describe(); \
    } while (0)

constexpr uint32_t kSize = 64;
constexpr auto kDeadline = 2s;  // every wait in these tests, far below vgem's 10 s

class CompositorSync : public test::VgemTest {
  protected:
    // Starts the compositor and a client with a configured toplevel (commit 1).
    void open(const Options& options) {
        auto started = Compositor::start(options);
        ASSERT_TRUE(started.ok()) << started.error().describe();
        compositor_ = std::move(started).value();
        std::string error;
        client_ = TestClient::connect(compositor_->socket_name(), &error);
        ASSERT_NE(client_, nullptr) << error;
        ASSERT_TRUE(client_->create_toplevel(kDeadline));
    }

    void TearDown() override {
        if (compositor_) {
            for (const CommitRecord& record : compositor_->commits()) {
                std::printf("[compositor]   %s\n", describe(record).c_str());
            }
        }
        client_.reset();
        compositor_.reset();
    }

    ClientBuffer& new_buffer(uint32_t format = DRM_FORMAT_XRGB8888) {
        ClientBuffer* buffer = client_->create_buffer(vgem(), kSize, kSize, format);
        if (buffer == nullptr || buffer->buffer == nullptr) {
            throw std::runtime_error("no client buffer");
        }
        return *buffer;
    }

    // Until `buffer` got its `n`-th release.
    bool wait_release(const ClientBuffer& buffer, uint32_t n) {
        return client_->dispatch_until([&] { return buffer.releases >= n; }, kDeadline);
    }
    bool wait_frame_done(uint64_t n) {
        return client_->dispatch_until([&] { return client_->frames_done() >= n; }, kDeadline);
    }
    // Until every frame the compositor read has had its composite finished (its read fence
    // signalled after the overwrite check) or refused, so that the counters are final.
    bool wait_composites_done() {
        return compositor_->wait_until(
            [](const Counters& c) {
                return c.read_fences_signalled + c.read_fences_refused >= c.frames_checked;
            },
            kDeadline);
    }
    bool wait_checked(uint64_t n, std::chrono::milliseconds timeout = kDeadline) {
        return compositor_->wait_until([&](const Counters& c) { return c.frames_checked >= n; },
                                       timeout);
    }

    std::unique_ptr<Compositor> compositor_;
    std::unique_ptr<TestClient> client_;
};

// --- (a) a well-behaved client ----------------------------------------------------------------

class WellBehaved : public CompositorSync, public ::testing::WithParamInterface<ReleasePolicy> {};

// Draws with the CPU (complete before the commit), reuses a buffer only after its release and
// once it is idle for writing, and waits for each frame callback.
TEST_P(WellBehaved, EveryCommitShowsItsOwnFrameWhole) {
    Options options;
    options.hold_ms = 30;
    options.release_policy = GetParam();
    open(options);
    ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
    constexpr uint32_t kFrames = 8;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        ClientBuffer& buffer = *buffers[frame % 2];
        const uint32_t uses = frame / 2;
        ASSERT_TRUE(wait_release(buffer, uses)) << "frame " << frame;
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
        ASSERT_TRUE(wait_frame_done(frame + 1)) << "frame " << frame;
    }
    ASSERT_TRUE(client_->dispatch_until(
        [&] { return client_->presented() + client_->discarded() == kFrames; }, kDeadline));
    ASSERT_TRUE(wait_composites_done());

    const Counters c = compositor_->counters();
    EXPECT_EQ(c.frames_checked, kFrames);
    EXPECT_EQ(c.stale, 0u);
    EXPECT_EQ(c.torn, 0u);
    EXPECT_EQ(c.skipped, 0u);
    EXPECT_EQ(c.overwrites, 0u);
    EXPECT_EQ(c.read_errors, 0u);
    EXPECT_EQ(c.read_fences_signalled, kFrames);
    EXPECT_EQ(c.feedback_presented, kFrames);  // one frame per vblank: none replaced early
    EXPECT_EQ(client_->presented(), kFrames);
    const auto& times = client_->presentation_times();
    for (size_t i = 1; i < times.size(); ++i) {
        EXPECT_GT(times[i], times[i - 1]);
    }
    // Every commit showed the frame the client presented with it, in order.
    const auto records = compositor_->commits();
    ASSERT_EQ(records.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) {
        EXPECT_EQ(records[i].frame, i) << describe(records[i]);
        EXPECT_EQ(records[i].surface_frame, i + 1);
        EXPECT_TRUE(records[i].uniform);
        EXPECT_FALSE(records[i].waited);
    }
}

INSTANTIATE_TEST_SUITE_P(ReleasePolicies, WellBehaved,
                         ::testing::Values(ReleasePolicy::after_read, ReleasePolicy::on_replace),
                         [](const auto& info) {
                             return info.param == ReleasePolicy::after_read ? "AfterRead"
                                                                            : "OnReplace";
                         });

// --- (b) a late GPU: the frame is written after the commit, behind a write fence -------------

struct LateGpuRun {
    Counters counters;
    std::vector<CommitRecord> records;
};

class LateGpu : public CompositorSync {
  protected:
    static constexpr uint32_t kFrames = 6;
    static constexpr auto kLate = 50ms;

    // Each frame: a vgem write fence on the buffer, the commit, then the "GPU" writes the frame
    // and signals the fence: kLate after the compositor started waiting for it (implicit sync
    // honoured), or once the compositor has read the buffer (the control, which does not
    // wait), so that neither outcome depends on timing.
    // `in_halves`: the GPU writes the top half before the commit and the bottom half late.
    // `content_agnostic`: the mode for real clients (no frame colours).
    LateGpuRun run(bool honour_implicit_sync, bool in_halves = false,
                   bool content_agnostic = false) {
        Options options;
        options.hold_ms = 20;
        options.first_frame = 0;  // the default, spelled out: a consistent lag is stale too
        options.honour_implicit_sync = honour_implicit_sync;
        options.content_agnostic = content_agnostic;
        open(options);
        ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
        for (uint32_t frame = 0; frame < kFrames; ++frame) {
            ClientBuffer& buffer = *buffers[frame % 2];
            EXPECT_TRUE(wait_release(buffer, frame / 2)) << "frame " << frame;
            // An implicit-sync GPU job waits for the compositor's read fence before writing.
            EXPECT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
            const uint32_t fence = must(vgem().attach_fence(buffer.handle, Access::write));
            if (in_halves) {
                TestClient::fill_raw_rows(buffer, frame, 0, kSize / 2);
            }
            client_->present(buffer);
            // Not before the compositor has seen the commit (and, honouring implicit sync,
            // found the fence pending): timing on a loaded machine then changes nothing.
            if (honour_implicit_sync) {
                EXPECT_TRUE(compositor_->wait_until(
                    [&](const Counters& c) { return c.fence_waits >= frame + 1; }, kDeadline));
                std::this_thread::sleep_for(kLate);
            } else {
                EXPECT_TRUE(wait_checked(frame + 1));
            }
            TestClient::fill_raw(buffer, frame);
            EXPECT_OK(vgem().signal(fence));
            EXPECT_TRUE(wait_frame_done(frame + 1)) << "frame " << frame;
        }
        EXPECT_TRUE(wait_checked(kFrames));
        EXPECT_TRUE(wait_composites_done());
        return {compositor_->counters(), compositor_->commits()};
    }
};

TEST_F(LateGpu, HonouringImplicitSyncTheCompositorWaitsAndSeesEveryFrame) {
    const LateGpuRun r = run(true);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    EXPECT_EQ(r.counters.stale, 0u);
    EXPECT_EQ(r.counters.torn, 0u);
    EXPECT_EQ(r.counters.overwrites, 0u);
    EXPECT_EQ(r.counters.wait_timeouts, 0u);
    ASSERT_EQ(r.records.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) {
        EXPECT_EQ(r.records[i].frame, i) << describe(r.records[i]);
        EXPECT_TRUE(r.records[i].waited) << "the write fence was pending at commit";
        // Read once the "GPU" was done, kLate after the compositor started waiting.
        EXPECT_GE(r.records[i].commit_to_read, kLate) << describe(r.records[i]);
    }
}

TEST_F(LateGpu, ControlWithoutImplicitSyncTheCompositorReadsStaleFrames) {
    const LateGpuRun r = run(false);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    // Every read came before its frame's write: black for the first use of each buffer, the
    // frame before last after that (a consistent lag of two frames, caught by first_frame).
    EXPECT_EQ(r.counters.stale, kFrames);
    EXPECT_EQ(r.counters.torn, 0u);
    // vgem refuses a read fence while a write fence is pending (EBUSY): no composite at all.
    EXPECT_EQ(r.counters.read_fences_refused, kFrames);
    EXPECT_EQ(r.counters.overwrites, 0u);
    ASSERT_EQ(r.records.size(), kFrames);
    EXPECT_FALSE(r.records[0].frame.has_value());
    EXPECT_FALSE(r.records[1].frame.has_value());
    for (uint32_t i = 2; i < kFrames; ++i) {
        EXPECT_EQ(r.records[i].frame, i - 2) << describe(r.records[i]);
        EXPECT_TRUE(r.records[i].stale);
    }
}

TEST_F(LateGpu, ControlWithoutImplicitSyncTheCompositorReadsHalfWrittenFramesAsTorn) {
    const LateGpuRun r = run(false, /*in_halves=*/true);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    EXPECT_EQ(r.counters.torn, kFrames);
    EXPECT_EQ(r.counters.stale, 0u);
    ASSERT_EQ(r.records.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) {
        EXPECT_EQ(r.records[i].frame, i) << "the top half is the new frame";
        EXPECT_FALSE(r.records[i].uniform);
    }
}

TEST_F(LateGpu, HonouringImplicitSyncAHalfWrittenFrameIsNeverSeen) {
    const LateGpuRun r = run(true, /*in_halves=*/true);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    EXPECT_EQ(r.counters.sync_errors(), 0u);
}

TEST_F(LateGpu, ContentAgnosticHonouringImplicitSyncSeesNoStaleFrame) {
    const LateGpuRun r = run(true, /*in_halves=*/false, /*content_agnostic=*/true);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    EXPECT_EQ(r.counters.sync_errors(), 0u);
    EXPECT_EQ(r.counters.skipped, 0u);
    for (const CommitRecord& record : r.records) {
        EXPECT_FALSE(record.frame.has_value()) << "no frame colours in this mode";
        EXPECT_TRUE(record.waited);
    }
}

// Without knowing what the client draws, the control is caught where a buffer reads as never
// written (its first use) or unchanged since its last read. A client that is late by the same
// amount every frame shows each buffer's previous frame, which differs from the last read: that
// is invisible to this mode, which is why the real-client tests add jitter to the GPU time and
// rely on the overwrite check as well (tests/clients/README.md).
TEST_F(LateGpu, ContentAgnosticControlCatchesUnwrittenBuffersButNotAConsistentLag) {
    const LateGpuRun r = run(false, /*in_halves=*/false, /*content_agnostic=*/true);
    EXPECT_EQ(r.counters.frames_checked, kFrames);
    EXPECT_EQ(r.counters.stale, 2u);
    EXPECT_EQ(r.counters.torn, 0u);
    ASSERT_EQ(r.records.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) {
        EXPECT_EQ(r.records[i].stale, i < 2) << describe(r.records[i]);
    }
}

// --- (c) writes after wl_buffer.release, while the compositor's read fence is pending ---------

// Parameter: content-agnostic mode (the overwrite check needs no frame colours).
class AfterRelease : public CompositorSync, public ::testing::WithParamInterface<bool> {
  protected:
    static constexpr uint32_t kFrames = 4;
    static constexpr uint32_t kHoldMs = 200;

    void SetUp() override {
        CompositorSync::SetUp();
        Options options;
        options.hold_ms = kHoldMs;
        options.content_agnostic = GetParam();
        open(options);
    }
};

INSTANTIATE_TEST_SUITE_P(Modes, AfterRelease, ::testing::Bool(), [](const auto& info) {
    return info.param ? "ContentAgnostic" : "FrameColours";
});

TEST_P(AfterRelease, WritingRightAfterReleaseIsCaughtAsOverwrite) {
    ClientBuffer& buffer = new_buffer();
    ASSERT_OK(TestClient::fill(buffer, 0));
    client_->present(buffer);
    for (uint32_t frame = 1; frame < kFrames; ++frame) {
        ASSERT_TRUE(wait_release(buffer, frame));
        // The release came before the read fence signalled: the buffer is not writable yet...
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, 0ms)), WaitOutcome::timed_out);
        // ...and this client writes anyway (as an explicit-sync GPU that ignores it would).
        TestClient::fill_raw(buffer, frame);
        client_->present(buffer);
    }
    ASSERT_TRUE(wait_checked(kFrames));
    ASSERT_TRUE(wait_composites_done());
    const Counters c = compositor_->counters();
    EXPECT_EQ(c.overwrites, kFrames - 1);
    EXPECT_EQ(c.stale, 0u);
    EXPECT_EQ(c.torn, 0u);
    const auto records = compositor_->commits();
    ASSERT_EQ(records.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) {
        EXPECT_EQ(records[i].overwritten, i + 1 < kFrames) << describe(records[i]);
    }
}

TEST_P(AfterRelease, WaitingForTheBufferToBeIdleForWritingIsSafe) {
    ClientBuffer& buffer = new_buffer();
    ASSERT_OK(TestClient::fill(buffer, 0));
    client_->present(buffer);
    for (uint32_t frame = 1; frame < kFrames; ++frame) {
        ASSERT_TRUE(wait_release(buffer, frame));
        const auto released = Clock::now();
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
        // The wait was real: the read fence outlived the release by most of the hold.
        EXPECT_GE(Clock::now() - released, std::chrono::milliseconds(kHoldMs / 2));
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
    }
    ASSERT_TRUE(wait_checked(kFrames));
    ASSERT_TRUE(wait_composites_done());
    const Counters c = compositor_->counters();
    EXPECT_EQ(c.overwrites, 0u);
    EXPECT_EQ(c.stale, 0u);
    EXPECT_EQ(c.torn, 0u);
    EXPECT_EQ(c.read_fences_signalled, kFrames);
}

// --- (d) a copy of a frame for a person (--png) -----------------------------------------------

class Capture : public CompositorSync {
  protected:
    // Presents frames 0..frames-1 (well behaved) into a compositor that captures frame
    // `capture_frame` (0: the last), and returns what it kept.
    std::optional<FrameImage> present_and_capture(uint32_t frames, uint64_t capture_frame) {
        Options options;
        options.hold_ms = 10;
        options.capture = true;
        options.capture_frame = capture_frame;
        open(options);
        ClientBuffer* buffers[2] = {&new_buffer(DRM_FORMAT_ABGR8888),
                                    &new_buffer(DRM_FORMAT_ABGR8888)};
        for (uint32_t frame = 0; frame < frames; ++frame) {
            ClientBuffer& buffer = *buffers[frame % 2];
            EXPECT_TRUE(wait_release(buffer, frame / 2));
            EXPECT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
            EXPECT_OK(TestClient::fill(buffer, frame));
            client_->present(buffer);
            EXPECT_TRUE(wait_frame_done(frame + 1));
        }
        EXPECT_TRUE(wait_checked(frames));
        return compositor_->captured_frame();
    }

    // Every pixel of `image` is frame `frame`'s colour, as an ABGR8888 buffer holds it.
    static void expect_frame(const FrameImage& image, uint32_t frame) {
        EXPECT_EQ(image.width, static_cast<int32_t>(kSize));
        EXPECT_EQ(image.height, static_cast<int32_t>(kSize));
        EXPECT_EQ(image.format, static_cast<uint32_t>(DRM_FORMAT_ABGR8888));
        ASSERT_EQ(image.pixels.size(), size_t{kSize} * kSize * 4);
        const uint32_t expected = frame_pixel(frame, PixelOrder::abgr);
        for (size_t i = 0; i < image.pixels.size(); i += 4) {
            uint32_t pixel = 0;
            std::memcpy(&pixel, &image.pixels[i], 4);
            ASSERT_EQ(pixel, expected) << "pixel " << i / 4;
        }
    }
};

TEST_F(Capture, KeepsTheKthFrameRead) {
    const auto image = present_and_capture(4, 2);
    ASSERT_TRUE(image.has_value());
    EXPECT_EQ(image->frame_checked, 2u);
    expect_frame(*image, 1);
}

TEST_F(Capture, WithoutAFrameNumberKeepsTheLastFrameRead) {
    const auto image = present_and_capture(3, 0);
    ASSERT_TRUE(image.has_value());
    EXPECT_EQ(image->frame_checked, 3u);
    expect_frame(*image, 2);
}

TEST_F(Capture, OffByDefault) {
    open(Options{});
    ClientBuffer& buffer = new_buffer();
    ASSERT_OK(TestClient::fill(buffer, 0));
    client_->present(buffer);
    ASSERT_TRUE(wait_checked(1));
    EXPECT_FALSE(compositor_->captured_frame().has_value());
}

// --- (e) misbehaviour -------------------------------------------------------------------------

TEST_F(CompositorSync, NeverReleaseSendsNoReleaseAtAll) {
    Options options;
    options.hold_ms = 10;
    options.release_misbehaviour = ReleaseMisbehaviour::never;
    open(options);
    constexpr uint32_t kFrames = 4;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        ClientBuffer& buffer = new_buffer();  // none comes back: a fresh buffer every frame
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
        ASSERT_TRUE(wait_frame_done(frame + 1));
    }
    ASSERT_TRUE(wait_composites_done());
    ASSERT_TRUE(client_->roundtrip(kDeadline));
    EXPECT_EQ(client_->releases(), 0u);
    EXPECT_EQ(compositor_->counters().releases_sent, 0u);
    EXPECT_EQ(compositor_->counters().frames_checked, kFrames);
    EXPECT_EQ(compositor_->counters().sync_errors(), 0u);
}

TEST_F(CompositorSync, ReleaseTwiceSendsTwoReleasesPerFrame) {
    Options options;
    options.hold_ms = 10;
    options.release_misbehaviour = ReleaseMisbehaviour::twice;
    open(options);
    ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
    constexpr uint32_t kFrames = 3;
    for (uint32_t frame = 0; frame < kFrames; ++frame) {
        ClientBuffer& buffer = *buffers[frame % 2];
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
        ASSERT_TRUE(wait_release(buffer, 2 * (frame / 2 + 1)));
    }
    ASSERT_TRUE(client_->roundtrip(kDeadline));
    EXPECT_EQ(client_->releases(), 2 * kFrames);
    EXPECT_EQ(buffers[0]->releases, 4u);
    EXPECT_EQ(buffers[1]->releases, 2u);
    EXPECT_EQ(compositor_->counters().releases_sent, 2 * kFrames);
}

class Vanish : public CompositorSync, public ::testing::WithParamInterface<VanishMode> {};

// After K commits the compositor drops the client (or the whole display) in the middle of a
// frame: the client sees its connection die promptly, and no read fence is left pending.
TEST_P(Vanish, ClientSeesTheConnectionDieWithoutHanging) {
    Options options;
    options.hold_ms = 300;  // the last frame's read fence is still pending when it vanishes
    options.vanish_after_commits = 3;
    options.vanish_mode = GetParam();
    open(options);  // commit 1
    ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
    ASSERT_OK(TestClient::fill(*buffers[0], 0));
    client_->present(*buffers[0]);  // commit 2
    ASSERT_OK(TestClient::fill(*buffers[1], 1));
    client_->present(*buffers[1]);  // commit 3: vanish

    const auto start = Clock::now();
    EXPECT_FALSE(client_->dispatch_until([] { return false; }, kDeadline));
    EXPECT_LT(Clock::now() - start, 1s);
    EXPECT_NE(client_->connection_error(), 0);
    EXPECT_EQ(compositor_->counters().commits, 3u);

    if (GetParam() == VanishMode::display) {
        EXPECT_TRUE(
            compositor_->wait_until([](const Counters& c) { return c.display_gone; }, kDeadline));
        EXPECT_FALSE(compositor_->running());
    } else {
        EXPECT_TRUE(compositor_->running());
        std::string error;
        auto next = TestClient::connect(compositor_->socket_name(), &error);
        ASSERT_NE(next, nullptr) << error;
        EXPECT_TRUE(next->roundtrip(kDeadline));
    }
    // Whatever the compositor was still reading, its fences signal: the buffers become idle.
    for (ClientBuffer* buffer : buffers) {
        EXPECT_EQ(must(buffer->dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, Vanish, ::testing::Values(VanishMode::client, VanishMode::display),
                         [](const auto& info) {
                             return info.param == VanishMode::client ? "Client" : "Display";
                         });

TEST_F(CompositorSync, AnAdvertisedFormatCanStillBeRejectedAtCreate) {
    Options options;
    options.hold_ms = 10;
    options.reject_format = DRM_FORMAT_XRGB8888;
    open(options);
    bool advertised = false;
    for (const auto& [fourcc, modifier] : client_->modifiers()) {
        advertised = advertised || (fourcc == DRM_FORMAT_XRGB8888 && modifier == 0);
    }
    EXPECT_TRUE(advertised);

    ClientBuffer* accepted = client_->create_buffer(vgem(), kSize, kSize, DRM_FORMAT_ARGB8888,
                                                    /*immediate=*/false);
    ASSERT_NE(accepted, nullptr);
    EXPECT_NE(accepted->buffer, nullptr);
    ClientBuffer* refused = client_->create_buffer(vgem(), kSize, kSize, DRM_FORMAT_XRGB8888,
                                                   /*immediate=*/false);
    ASSERT_NE(refused, nullptr);
    EXPECT_TRUE(refused->failed);
    EXPECT_EQ(refused->buffer, nullptr);
    EXPECT_TRUE(client_->roundtrip(kDeadline)) << "`failed` is not fatal";

    (void)client_->create_buffer(vgem(), kSize, kSize, DRM_FORMAT_XRGB8888, /*immediate=*/true);
    EXPECT_FALSE(client_->roundtrip(kDeadline));
    EXPECT_EQ(client_->connection_error(), EPROTO);
    // The client destroyed the params right after create_immed (as Mesa does), so libwayland
    // may name no interface for the error; the code is params' invalid_wl_buffer.
    const auto [interface, code] = client_->protocol_error();
    EXPECT_TRUE(interface.empty() || interface == "zwp_linux_buffer_params_v1") << interface;
    EXPECT_EQ(code, 7u);
    EXPECT_EQ(compositor_->counters().buffers_rejected, 2u);
}

// --- fd hygiene --------------------------------------------------------------------------------

std::vector<int> open_fds() {
    std::vector<int> fds;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        fds.push_back(std::stoi(entry.path().filename().string()));
    }
    return fds;
}

TEST_F(CompositorSync, EveryFdIsCloseOnExecAndNoneOutlivesTheCompositor) {
    const size_t before = open_fds().size();
    Options options;
    options.hold_ms = 50;
    open(options);
    ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
    for (uint32_t frame = 0; frame < 4; ++frame) {
        ClientBuffer& buffer = *buffers[frame % 2];
        ASSERT_TRUE(wait_release(buffer, frame / 2));
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
        ASSERT_TRUE(wait_frame_done(frame + 1));
    }
    // Mid-composite: the compositor holds read fences, GEM handles, mappings, client fds.
    for (int fd : open_fds()) {
        if (fd > STDERR_FILENO) {
            const int flags = ::fcntl(fd, F_GETFD);
            EXPECT_TRUE(flags == -1 || (flags & FD_CLOEXEC) != 0)
                << "fd " << fd << " -> "
                << std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd));
        }
    }
    client_.reset();
    compositor_.reset();
    EXPECT_EQ(open_fds().size(), before);
}

// --- the executable ---------------------------------------------------------------------------

// Reads one line from `fd` (a pipe), waiting at most until `deadline`.
std::string read_line(int fd, Clock::time_point deadline, std::string& buffered) {
    for (;;) {
        const auto newline = buffered.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffered.substr(0, newline);
            buffered.erase(0, newline + 1);
            return line;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd pfd{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
            return {};
        }
        char chunk[512];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            return {};
        }
        buffered.append(chunk, static_cast<size_t>(n));
    }
}

TEST_F(CompositorSync, ExecutableChecksFramesAndPrintsASummaryAtExit) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    kernel::UniqueFd read_end(out[0]);
    kernel::UniqueFd write_end(out[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    const std::string png = std::string(std::getenv("XDG_RUNTIME_DIR")) + "/frame.png";
    const char* argv[] = {SYNCBRIDGE_TEST_COMPOSITOR,
                          "--hold-ms",
                          "20",
                          "--socket",
                          "wayland-syncbridge-exe",
                          "--png",
                          png.c_str(),
                          "--png-frame",
                          "3",
                          nullptr};
    pid_t pid = -1;
    const int spawned =
        ::posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(spawned, 0);
    write_end.reset();
    // Never leave the process behind, whatever fails below.
    struct Reaper {
        pid_t pid;
        ~Reaper() {
            if (pid > 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
            }
        }
    } reaper{pid};

    // Process start-up is no fence wait: an ASan build under TCG took up to 12 s (measured) to
    // start, more under load. A child that fails closes the pipe, which ends the wait at once.
    constexpr auto kStartup = 60s;
    std::string buffered;
    const std::string ready = read_line(read_end.get(), Clock::now() + kStartup, buffered);
    ASSERT_EQ(ready, "listening on wayland-syncbridge-exe");

    std::string error;
    client_ = TestClient::connect("wayland-syncbridge-exe", &error);
    ASSERT_NE(client_, nullptr) << error;
    ASSERT_TRUE(client_->create_toplevel(kDeadline));
    ClientBuffer* buffers[2] = {&new_buffer(), &new_buffer()};
    for (uint32_t frame = 0; frame < 5; ++frame) {
        ClientBuffer& buffer = *buffers[frame % 2];
        ASSERT_TRUE(wait_release(buffer, frame / 2));
        ASSERT_EQ(must(buffer.dma_buf.wait_idle(Access::write, kDeadline)), WaitOutcome::ready);
        ASSERT_OK(TestClient::fill(buffer, frame));
        client_->present(buffer);
        ASSERT_TRUE(wait_frame_done(frame + 1));
    }
    client_.reset();
    // A composite still holding its fence is finished (checked, signalled) at exit.
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    const std::string summary = read_line(read_end.get(), Clock::now() + kStartup, buffered);
    const std::string wrote = read_line(read_end.get(), Clock::now() + kStartup, buffered);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    reaper.pid = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    for (const char* expected :
         {"commits=6 ", "frames_checked=5 ", "stale=0 ", "torn=0 ", "overwrites=0 "}) {
        EXPECT_NE(summary.find(expected), std::string::npos) << expected << " in " << summary;
    }
    // The PNG itself is decoded by the host tests (png_test.cpp); here: it was written.
    EXPECT_EQ(wrote, "syncbridge-test-compositor: wrote " + png + " (64x64, frame 3 read)");
    std::error_code ec;
    EXPECT_GT(std::filesystem::file_size(png, ec), 8u) << ec.message();
}

}  // namespace
}  // namespace sb::compositor
