// DRM syncobjs need a driver that has them: vgem has none, and neither has virtio-gpu on 6.1.
// Where the device lacks them the tests say so and skip; the error path is checked either way.
#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "kernel/fixture.hpp"
#include "kernel/syncobj.hpp"

namespace sb::test {
namespace {

class Syncobjs : public VgemTest {
  protected:
    void SetUp() override {
        VgemTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        // The fences come from vgem; the syncobjs from whichever DRM device has them.
        for (int minor = 0; minor < 16 && !caps_.syncobj; ++minor) {
            const std::string path = "/dev/dri/card" + std::to_string(minor);
            kernel::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
            if (fd) {
                caps_ = kernel::query_syncobj_caps(fd.get());
                device_ = std::move(fd);
            }
        }
    }
    int device() const { return device_.get(); }
    kernel::SyncobjCaps caps_;
    kernel::UniqueFd device_;
};

TEST_F(Syncobjs, ADeviceWithoutSyncobjsRefusesWithAClearError) {
    if (caps_.syncobj) {
        GTEST_SKIP() << "this device has syncobjs";
    }
    auto created = kernel::DrmSyncobj::create(device(), false);
    ASSERT_FALSE(created.ok());
    EXPECT_NE(created.error().errnum, 0);
    EXPECT_NE(created.error().describe().find("SYNCOBJ_CREATE"), std::string::npos);
}

TEST_F(Syncobjs, BinaryPayloadCarriesASyncFileBothWays) {
    if (!caps_.syncobj) {
        GTEST_SKIP() << "no DRM_CAP_SYNCOBJ on this device (vgem has none; virtio-gpu from 6.12)";
    }
    kernel::DrmSyncobj obj = must(kernel::DrmSyncobj::create(device(), false));
    PendingFence render = must(vgem().pending_sync_file());
    ASSERT_OK(obj.import_sync_file(render.file));
    SyncFile out = must(obj.export_sync_file());
    EXPECT_EQ(must(out.wait(kBlocked)), WaitOutcome::timed_out);
    ASSERT_OK(vgem().signal(render.fence_id));
    EXPECT_EQ(must(out.wait(kSoon)), WaitOutcome::ready);
}

TEST_F(Syncobjs, TimelinePointsTransferAndSignal) {
    if (!caps_.timeline) {
        GTEST_SKIP() << "no DRM_CAP_SYNCOBJ_TIMELINE on this device";
    }
    kernel::DrmSyncobj timeline = must(kernel::DrmSyncobj::create(device(), false));
    PendingFence render = must(vgem().pending_sync_file());
    ASSERT_OK(timeline.import_sync_file_at(5, render.file));
    SyncFile point5 = must(timeline.export_sync_file_at(5));
    EXPECT_EQ(must(point5.wait(kBlocked)), WaitOutcome::timed_out);
    ASSERT_OK(vgem().signal(render.fence_id));
    EXPECT_EQ(must(point5.wait(kSoon)), WaitOutcome::ready);
    ASSERT_OK(timeline.signal_point(7));
    EXPECT_EQ(must(timeline.last_signalled_point()), 7u);
}

// Explicit sync's device choice: the first preferred device with timelines, skipping those
// without (vgem) and zeros; none preferred or none with timelines: the first render node that
// has them; nowhere: ENODEV.
TEST_F(Syncobjs, TheTimelineDeviceIsThePreferredOneThatHasTimelines) {
    struct stat vgem_st {};
    ASSERT_EQ(::fstat(vgem().fd(), &vgem_st), 0);
    auto found = kernel::open_timeline_device({});
    if (!caps_.timeline) {
        ASSERT_FALSE(found.ok()) << "a timeline device where the DRM devices have none";
        EXPECT_EQ(found.error().errnum, ENODEV);
        GTEST_SKIP() << "no DRM_CAP_SYNCOBJ_TIMELINE here: only the error path was checked";
    }
    ASSERT_TRUE(found.ok()) << found.error().describe();
    struct stat found_st {};
    ASSERT_EQ(::fstat(found->fd.get(), &found_st), 0);
    // vgem first, then the device with timelines: vgem is skipped, the other one is found.
    auto preferred = kernel::open_timeline_device({0, vgem_st.st_rdev, found_st.st_rdev});
    ASSERT_TRUE(preferred.ok());
    EXPECT_EQ(preferred->path, found->path);
    EXPECT_EQ(found->preference, -1) << "nothing preferred: found by the scan";
    EXPECT_EQ(preferred->preference, 2) << "the third preferred device, not the scan";
    EXPECT_TRUE(kernel::query_syncobj_caps(preferred->fd.get()).timeline);
}

}  // namespace
}  // namespace sb::test
