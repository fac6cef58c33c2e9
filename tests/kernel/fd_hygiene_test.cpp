// Every fd the kernel objects create is close-on-exec and closed exactly once.
#include "kernel/fixture.hpp"
#include "kernel/probe.hpp"
#include "support/fd_count.hpp"

namespace sb::test {
namespace {

class FdHygiene : public VgemTest {};

TEST_F(FdHygiene, EveryCreatedFdIsCloseOnExec) {
    auto bo = must(vgem().create_dumb(32, 32));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    PendingFence a = must(vgem().pending_sync_file());
    PendingFence b = must(vgem().pending_sync_file());
    SyncFile merged = must(SyncFile::merge(a.file, b.file));
    SyncFile exported = must(buf.export_sync_file(Access::write));
    SyncFile copy = must(a.file.duplicate());
    DmaBuf buf_copy = must(buf.duplicate());

    EXPECT_TRUE(has_cloexec(vgem().fd()));
    for (int fd : {buf.fd(), a.file.fd(), merged.fd(), exported.fd(), copy.fd(), buf_copy.fd()}) {
        EXPECT_TRUE(has_cloexec(fd)) << "fd " << fd;
    }
    ASSERT_OK(vgem().signal(a.fence_id));
    ASSERT_OK(vgem().signal(b.fence_id));
}

TEST_F(FdHygiene, AWholeFenceRoundTripLeavesNoFdBehind) {
    const int before = open_fd_count();
    for (int i = 0; i < 20; ++i) {
        auto bo = must(vgem().create_dumb(32, 32));
        DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
        PendingFence render = must(vgem().pending_sync_file());
        ASSERT_OK(buf.import_sync_file(render.file, Access::write));
        SyncFile for_readers = must(buf.export_sync_file(Access::read));
        SyncFile merged = must(SyncFile::merge(for_readers, render.file));
        ASSERT_EQ(must(kernel::probe_sync_file_ioctls(buf)), kernel::SyncFileIoctls::present);
        ASSERT_OK(vgem().signal(render.fence_id));
        ASSERT_EQ(must(merged.wait(kSoon)), WaitOutcome::ready);
        auto map = must(buf.map(bo.size, Access::read));
        ASSERT_OK(vgem().close_handle(bo.handle));
    }
    EXPECT_EQ(open_fd_count(), before);
}

TEST_F(FdHygiene, FailedCallsLeaveNoFdBehind) {
    const int before = open_fd_count();
    DmaBuf buf = must(vgem().new_dma_buf());
    SyncFile not_a_sync_file(must(kernel::UniqueFd::duplicate(buf.fd())));
    EXPECT_FALSE(SyncFile::merge(not_a_sync_file, not_a_sync_file).ok());
    EXPECT_FALSE(
        DmaBuf(must(kernel::UniqueFd::duplicate(vgem().fd()))).export_sync_file(Access::read).ok());
    EXPECT_FALSE(buf.map(size_t{1} << 40, Access::read).ok());
    buf = DmaBuf{};
    not_a_sync_file = SyncFile{};
    EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
}  // namespace sb::test
