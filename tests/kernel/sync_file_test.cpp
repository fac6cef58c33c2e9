#include "kernel/fixture.hpp"

namespace sb::test {
namespace {

class SyncFiles : public VgemTest {};

TEST_F(SyncFiles, MergeSignalsOnlyWhenEveryFenceHas) {
    PendingFence a = must(vgem().pending_sync_file());
    PendingFence b = must(vgem().pending_sync_file());
    SyncFile both = must(SyncFile::merge(a.file, b.file));
    EXPECT_EQ(must(both.info()).fence_count, 2u);
    EXPECT_EQ(must(both.info()).state, kernel::SyncFileInfo::State::active);

    ASSERT_OK(vgem().signal(a.fence_id));
    EXPECT_EQ(must(both.wait(kBlocked)), WaitOutcome::timed_out);
    ASSERT_OK(vgem().signal(b.fence_id));
    EXPECT_EQ(must(both.wait(kSoon)), WaitOutcome::ready);
    EXPECT_EQ(must(both.info()).state, kernel::SyncFileInfo::State::signalled);
}

TEST_F(SyncFiles, MergeWithTheStubIsTheOtherFence) {
    PendingFence a = must(vgem().pending_sync_file());
    SyncFile merged = must(SyncFile::merge(SyncFile{}, a.file));
    ASSERT_FALSE(merged.is_stub());
    EXPECT_NE(merged.fd(), a.file.fd());
    EXPECT_FALSE(must(merged.is_signalled()));
    ASSERT_OK(vgem().signal(a.fence_id));
    EXPECT_EQ(must(merged.wait(kSoon)), WaitOutcome::ready);
}

TEST_F(SyncFiles, TimeoutIsAnOutcomeNotAnErrorAndHonoursTheDeadline) {
    PendingFence a = must(vgem().pending_sync_file());
    const auto start = std::chrono::steady_clock::now();
    auto outcome = a.file.wait(kBlocked);
    const auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_OK(outcome);
    EXPECT_EQ(*outcome, WaitOutcome::timed_out);
    EXPECT_GE(waited, kBlocked);
    EXPECT_LT(waited, kBlocked + 1s);
    EXPECT_EQ(must(a.file.wait(0ms)), WaitOutcome::timed_out);
}

TEST_F(SyncFiles, ADuplicateWaitsForTheSameFence) {
    PendingFence a = must(vgem().pending_sync_file());
    SyncFile copy = must(a.file.duplicate());
    EXPECT_EQ(must(copy.wait(0ms)), WaitOutcome::timed_out);
    ASSERT_OK(vgem().signal(a.fence_id));
    EXPECT_EQ(must(copy.wait(kSoon)), WaitOutcome::ready);
}

TEST_F(SyncFiles, AskingSomethingElseForFenceInfoIsAClearError) {
    DmaBuf buf = must(vgem().new_dma_buf());
    SyncFile not_a_sync_file(must(kernel::UniqueFd::duplicate(buf.fd())));
    auto info = not_a_sync_file.info();
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().errnum, ENOTTY);
    EXPECT_NE(info.error().describe().find("SYNC_IOC_FILE_INFO"), std::string::npos);
}

}  // namespace
}  // namespace sb::test
