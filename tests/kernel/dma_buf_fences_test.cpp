// The implicit-sync rules syncbridge relies on, checked against a real kernel's dma_resv.
#include <thread>

#include "kernel/fixture.hpp"
#include "kernel/probe.hpp"

namespace sb::test {
namespace {

class DmaBufFences : public VgemTest {};

TEST_F(DmaBufFences, WriteFenceBlocksReadersUntilSignalledAndIsExportedForReaders) {
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    const uint32_t fence = must(vgem().attach_fence(bo.handle, Access::write));

    EXPECT_EQ(must(buf.wait_idle(Access::read, kBlocked)), WaitOutcome::timed_out);
    SyncFile for_readers = must(buf.export_sync_file(Access::read));
    EXPECT_FALSE(for_readers.is_stub());
    EXPECT_FALSE(must(for_readers.is_signalled()));
    EXPECT_GE(must(for_readers.info()).fence_count, 1u);

    ASSERT_OK(vgem().signal(fence));
    EXPECT_EQ(must(buf.wait_idle(Access::read, kSoon)), WaitOutcome::ready);
    EXPECT_EQ(must(for_readers.wait(kSoon)), WaitOutcome::ready);
    EXPECT_EQ(must(for_readers.info()).state, kernel::SyncFileInfo::State::signalled);
}

TEST_F(DmaBufFences, ReadFenceBlocksWritersButNotReaders) {
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    const uint32_t fence = must(vgem().attach_fence(bo.handle, Access::read));

    EXPECT_EQ(must(buf.wait_idle(Access::read, 0ms)), WaitOutcome::ready);
    EXPECT_EQ(must(buf.wait_idle(Access::write, kBlocked)), WaitOutcome::timed_out);
    EXPECT_TRUE(must(must(buf.export_sync_file(Access::read)).is_signalled()));
    SyncFile for_writers = must(buf.export_sync_file(Access::write));
    EXPECT_FALSE(must(for_writers.is_signalled()));

    ASSERT_OK(vgem().signal(fence));
    EXPECT_EQ(must(buf.wait_idle(Access::write, kSoon)), WaitOutcome::ready);
    EXPECT_EQ(must(for_writers.wait(kSoon)), WaitOutcome::ready);
}

TEST_F(DmaBufFences, ImportedWriteFenceIsSeenByEveryOtherImporterOfTheBuffer) {
    DmaBuf buf = must(vgem().new_dma_buf());
    // A second importer: another DRM file imports the dma-buf and exports it again, as a
    // compositor would. Same dma_buf object, same reservation object, different fd.
    Vgem other = must(Vgem::open());
    const uint32_t other_handle = must(other.import_dma_buf(buf));
    DmaBuf seen_by_other = must(other.export_dma_buf(other_handle));
    ASSERT_NE(seen_by_other.fd(), buf.fd());

    PendingFence render = must(vgem().pending_sync_file());
    ASSERT_OK(buf.import_sync_file(render.file, Access::write));

    EXPECT_EQ(must(seen_by_other.wait_idle(Access::read, kBlocked)), WaitOutcome::timed_out);
    SyncFile exported = must(seen_by_other.export_sync_file(Access::read));
    EXPECT_FALSE(must(exported.is_signalled()));

    ASSERT_OK(vgem().signal(render.fence_id));
    EXPECT_EQ(must(seen_by_other.wait_idle(Access::read, kSoon)), WaitOutcome::ready);
    EXPECT_EQ(must(exported.wait(kSoon)), WaitOutcome::ready);
}

// Importing adds; it never replaces. Whichever fence signals first, the buffer stays busy until
// the other has signalled too (seed 000/001: nobody may read or free memory early).
class ImportNeverReplaces : public VgemTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ImportNeverReplaces, BufferStaysBusyUntilOldAndNewFencesSignal) {
    const bool old_signals_first = GetParam();
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    const uint32_t old_fence = must(vgem().attach_fence(bo.handle, Access::write));
    PendingFence imported = must(vgem().pending_sync_file());
    ASSERT_OK(buf.import_sync_file(imported.file, Access::write));

    const uint32_t first = old_signals_first ? old_fence : imported.fence_id;
    const uint32_t second = old_signals_first ? imported.fence_id : old_fence;

    ASSERT_OK(vgem().signal(first));
    EXPECT_EQ(must(buf.wait_idle(Access::read, kBlocked)), WaitOutcome::timed_out);
    EXPECT_EQ(must(buf.wait_idle(Access::write, 0ms)), WaitOutcome::timed_out);
    EXPECT_FALSE(must(must(buf.export_sync_file(Access::read)).is_signalled()));

    ASSERT_OK(vgem().signal(second));
    EXPECT_EQ(must(buf.wait_idle(Access::write, kSoon)), WaitOutcome::ready);
}

INSTANTIATE_TEST_SUITE_P(EitherOrder, ImportNeverReplaces, ::testing::Bool(), [](const auto& info) {
    return info.param ? "OldFenceFirst" : "ImportedFenceFirst";
});

TEST_F(DmaBufFences, ImportedReadFenceDoesNotHideThePendingWriteFence) {
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    const uint32_t writer = must(vgem().attach_fence(bo.handle, Access::write));
    PendingFence reader = must(vgem().pending_sync_file());
    ASSERT_OK(buf.import_sync_file(reader.file, Access::read));

    ASSERT_OK(vgem().signal(reader.fence_id));
    EXPECT_EQ(must(buf.wait_idle(Access::read, kBlocked)), WaitOutcome::timed_out);
    ASSERT_OK(vgem().signal(writer));
    EXPECT_EQ(must(buf.wait_idle(Access::write, kSoon)), WaitOutcome::ready);
}

TEST_F(DmaBufFences, ImportingTheSignalledStubAddsNothing) {
    DmaBuf buf = must(vgem().new_dma_buf());
    ASSERT_OK(buf.import_sync_file(SyncFile{}, Access::write));
    EXPECT_EQ(must(buf.wait_idle(Access::write, 0ms)), WaitOutcome::ready);
}

TEST_F(DmaBufFences, IdleBufferExportsAnAlreadySignalledSyncFile) {
    DmaBuf buf = must(vgem().new_dma_buf());
    SyncFile idle = must(buf.export_sync_file(Access::write));
    EXPECT_TRUE(must(idle.is_signalled()));
}

// Seed 003: CPU access through a mapping is bracketed, and the bracket waits for the GPU.
TEST_F(DmaBufFences, BeginCpuReadWaitsForThePendingWriteFence) {
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    const uint32_t fence = must(vgem().attach_fence(bo.handle, Access::write));
    auto map = must(buf.map(bo.size, Access::read_write));

    const auto start = std::chrono::steady_clock::now();
    std::thread gpu([&] {
        std::this_thread::sleep_for(kBlocked);
        (void)vgem().signal(fence);
    });
    const auto begun = buf.begin_cpu_access(Access::read);
    const auto waited = std::chrono::steady_clock::now() - start;
    gpu.join();
    ASSERT_OK(begun);
    EXPECT_GE(waited, kBlocked);
    ASSERT_OK(buf.end_cpu_access(Access::read));
}

TEST_F(DmaBufFences, CpuWritesThroughOneMappingAreSeenThroughAnother) {
    auto bo = must(vgem().create_dumb(64, 64));
    DmaBuf buf = must(vgem().export_dma_buf(bo.handle));
    DmaBuf again = must(buf.duplicate());
    auto writer = must(buf.map(bo.size, Access::write));
    auto reader = must(again.map(bo.size, Access::read));

    ASSERT_OK(buf.begin_cpu_access(Access::write));
    static_cast<uint32_t*>(writer.data())[7] = 0xC0FFEEu;
    ASSERT_OK(buf.end_cpu_access(Access::write));
    ASSERT_OK(again.begin_cpu_access(Access::read));
    EXPECT_EQ(static_cast<const uint32_t*>(reader.data())[7], 0xC0FFEEu);
    ASSERT_OK(again.end_cpu_access(Access::read));
}

TEST_F(DmaBufFences, ProbeFindsTheSyncFileIoctlsOnThisKernel) {
    DmaBuf buf = must(vgem().new_dma_buf());
    EXPECT_EQ(must(kernel::probe_sync_file_ioctls(buf)), kernel::SyncFileIoctls::present);
}

}  // namespace
}  // namespace sb::test
