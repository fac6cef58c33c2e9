// The test compositor's explicit sync (wp_linux_drm_syncobj_v1), in the test VM on Linux 6.12
// with the virtio-gpu (the device with timeline syncobjs): every protocol error the protocol
// defines is posted, with its code, and counted, so that the swapchain tests' "0 protocol
// errors" means something; and a frame waits for its acquire point, not for the dma-buf.
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "compositor/compositor.hpp"
#include "compositor/test_client.hpp"
#include "kernel/fixture.hpp"
#include "kernel/syncobj.hpp"
#include "linux-drm-syncobj-v1-client-protocol.h"

namespace sb::compositor {
namespace {

using namespace std::chrono_literals;
using testing::ClientBuffer;
using testing::TestClient;

constexpr auto kDeadline = 2s;

// The client's side: the manager, bound on the test client's connection.
struct SyncobjClient {
    wl_registry* registry = nullptr;
    wp_linux_drm_syncobj_manager_v1* manager = nullptr;

    SyncobjClient() = default;
    SyncobjClient(const SyncobjClient&) = delete;
    SyncobjClient& operator=(const SyncobjClient&) = delete;
    ~SyncobjClient() {
        if (manager != nullptr) {
            wp_linux_drm_syncobj_manager_v1_destroy(manager);
        }
        if (registry != nullptr) {
            wl_registry_destroy(registry);
        }
    }
};

const wl_registry_listener kRegistryListener = {
    [](void* data, wl_registry* registry, uint32_t name, const char* interface,
       uint32_t /*version*/) {
        auto* self = static_cast<SyncobjClient*>(data);
        if (std::string_view(interface) == wp_linux_drm_syncobj_manager_v1_interface.name) {
            self->manager = static_cast<wp_linux_drm_syncobj_manager_v1*>(
                wl_registry_bind(registry, name, &wp_linux_drm_syncobj_manager_v1_interface, 1));
        }
    },
    [](void* /*data*/, wl_registry* /*registry*/, uint32_t /*name*/) {},
};

class CompositorExplicitSync : public test::VgemTest {
  protected:
    void SetUp() override {
        test::VgemTest::SetUp();
        auto device = kernel::open_timeline_device({});
        if (!device) {
            GTEST_SKIP() << "no DRM device with timeline syncobjs (Linux 6.12 + virtio-gpu)";
        }
        device_ = std::move(device).value();
        Options options;
        options.syncobj_device = device_.path;
        options.hold_ms = 20;
        auto started = Compositor::start(options);
        ASSERT_TRUE(started.ok()) << started.error().describe();
        compositor_ = std::move(started).value();
        std::string error;
        client_ = TestClient::connect(compositor_->socket_name(), &error);
        ASSERT_NE(client_, nullptr) << error;
        ASSERT_TRUE(client_->create_toplevel(kDeadline));
        syncobj_.registry = wl_display_get_registry(client_->display());
        wl_registry_add_listener(syncobj_.registry, &kRegistryListener, &syncobj_);
        ASSERT_TRUE(client_->roundtrip(kDeadline));
        ASSERT_NE(syncobj_.manager, nullptr) << "no wp_linux_drm_syncobj_manager_v1";
    }

    // A timeline of the client's, imported by the compositor.
    wp_linux_drm_syncobj_timeline_v1* import_timeline(kernel::DrmSyncobj* syncobj) {
        auto made = kernel::DrmSyncobj::create(device_.fd.get(), false);
        EXPECT_TRUE(made.ok());
        *syncobj = std::move(made).value();
        auto fd = syncobj->export_fd();
        EXPECT_TRUE(fd.ok());
        return wp_linux_drm_syncobj_manager_v1_import_timeline(syncobj_.manager, fd->get());
    }

    // The connection died of protocol error `code` on `interface`, and it was counted once.
    void expect_protocol_error(const char* interface, uint32_t code) {
        EXPECT_FALSE(client_->roundtrip(kDeadline)) << "no protocol error";
        EXPECT_EQ(client_->connection_error(), EPROTO);
        const auto [raised_on, raised] = client_->protocol_error();
        EXPECT_EQ(raised_on, interface);
        EXPECT_EQ(raised, code);
        EXPECT_EQ(compositor_->counters().protocol_errors, 1u);
    }

    kernel::TimelineDevice device_;
    std::unique_ptr<Compositor> compositor_;
    std::unique_ptr<TestClient> client_;
    SyncobjClient syncobj_;
};

TEST_F(CompositorExplicitSync, ABufferWithoutAnAcquirePointIsAnError) {
    kernel::DrmSyncobj timeline;
    auto* proxy = import_timeline(&timeline);
    auto* surface =
        wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface, proxy, 0, 2);
    ClientBuffer* buffer = client_->create_buffer(vgem(), 64, 64, DRM_FORMAT_XRGB8888);
    ASSERT_NE(buffer, nullptr);
    client_->present(*buffer);
    expect_protocol_error("wp_linux_drm_syncobj_surface_v1",
                          WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT);
}

TEST_F(CompositorExplicitSync, ABufferWithoutAReleasePointIsAnError) {
    kernel::DrmSyncobj timeline;
    auto* proxy = import_timeline(&timeline);
    auto* surface =
        wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface, proxy, 0, 1);
    ClientBuffer* buffer = client_->create_buffer(vgem(), 64, 64, DRM_FORMAT_XRGB8888);
    ASSERT_NE(buffer, nullptr);
    client_->present(*buffer);
    expect_protocol_error("wp_linux_drm_syncobj_surface_v1",
                          WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT);
}

TEST_F(CompositorExplicitSync, PointsWithoutABufferAreAnError) {
    kernel::DrmSyncobj timeline;
    auto* proxy = import_timeline(&timeline);
    auto* surface =
        wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface, proxy, 0, 1);
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface, proxy, 0, 2);
    client_->commit_only();
    expect_protocol_error("wp_linux_drm_syncobj_surface_v1",
                          WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER);
}

TEST_F(CompositorExplicitSync, AReleasePointNotAfterTheAcquirePointIsAConflict) {
    kernel::DrmSyncobj timeline;
    auto* proxy = import_timeline(&timeline);
    auto* surface =
        wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface, proxy, 0, 2);
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface, proxy, 0, 2);
    ClientBuffer* buffer = client_->create_buffer(vgem(), 64, 64, DRM_FORMAT_XRGB8888);
    ASSERT_NE(buffer, nullptr);
    client_->present(*buffer);
    expect_protocol_error("wp_linux_drm_syncobj_surface_v1",
                          WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS);
}

TEST_F(CompositorExplicitSync, ASecondSyncobjSurfaceIsAnError) {
    (void)wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    (void)wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    expect_protocol_error("wp_linux_drm_syncobj_manager_v1",
                          WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS);
}

TEST_F(CompositorExplicitSync, ATimelineThatIsNoSyncobjIsAnError) {
    const kernel::UniqueFd memfd(::memfd_create("not-a-syncobj", MFD_CLOEXEC));
    ASSERT_TRUE(memfd.valid());
    (void)wp_linux_drm_syncobj_manager_v1_import_timeline(syncobj_.manager, memfd.get());
    expect_protocol_error("wp_linux_drm_syncobj_manager_v1",
                          WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE);
}

// With both points, the frame waits for its acquire point (never for the dma-buf), is read, and
// its release point gets a fence that signals after the hold.
TEST_F(CompositorExplicitSync, AFrameWaitsForItsAcquirePointAndSignalsItsReleasePoint) {
    kernel::DrmSyncobj timeline;
    auto* proxy = import_timeline(&timeline);
    auto* surface =
        wp_linux_drm_syncobj_manager_v1_get_surface(syncobj_.manager, client_->surface());
    ClientBuffer* buffer = client_->create_buffer(vgem(), 64, 64, DRM_FORMAT_XRGB8888);
    ASSERT_NE(buffer, nullptr);
    ASSERT_TRUE(TestClient::fill(*buffer, 0).ok());
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(surface, proxy, 0, 1);
    wp_linux_drm_syncobj_surface_v1_set_release_point(surface, proxy, 0, 2);
    client_->present(*buffer);
    ASSERT_TRUE(client_->roundtrip(kDeadline));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(compositor_->counters().frames_checked, 0u) << "read before the acquire point";
    ASSERT_TRUE(timeline.signal_point(1).ok());
    EXPECT_TRUE(compositor_->wait_until(
        [](const Counters& c) { return c.frames_checked == 1 && c.explicit_frames == 1; },
        kDeadline));
    auto release = timeline.export_sync_file_at(2);
    ASSERT_TRUE(release.ok()) << "the release point has no fence once the frame is read";
    auto waited = release->wait(kDeadline);
    ASSERT_TRUE(waited.ok());
    EXPECT_EQ(*waited, kernel::WaitOutcome::ready);
    const Counters c = compositor_->counters();
    EXPECT_EQ(c.sync_errors(), 0u);
    EXPECT_EQ(c.protocol_errors, 0u);
}

}  // namespace
}  // namespace sb::compositor
