// The wait strategy's hand-over thread waiting for a real pending fence.
#include <atomic>

#include "bridge/hand_over_thread.hpp"
#include "kernel/fixture.hpp"

namespace sb::test {
namespace {

class HandOver : public VgemTest {};

TEST_F(HandOver, HandsTheBufferOverOnlyOnceTheRenderFenceSignals) {
    PendingFence render = must(vgem().pending_sync_file());
    std::atomic<int> handed{0};
    bridge::HandOverThread thread(
        [&](uint32_t, bridge::HandOverOutcome outcome) {
            handed += outcome == bridge::HandOverOutcome::ready ? 1 : 100;
        },
        kSoon);
    thread.enqueue(0, [&](std::chrono::nanoseconds timeout) { return render.file.wait(timeout); });
    std::this_thread::sleep_for(kBlocked);
    EXPECT_EQ(handed, 0) << "handed over before the render finished";
    ASSERT_OK(vgem().signal(render.fence_id));
    thread.drain();
    EXPECT_EQ(handed, 1);
}

TEST_F(HandOver, ARenderThatNeverFinishesTimesOutInsteadOfHanging) {
    PendingFence render = must(vgem().pending_sync_file());
    std::atomic<int> timed_out{0};
    bridge::HandOverThread thread(
        [&](uint32_t, bridge::HandOverOutcome outcome) {
            timed_out += outcome == bridge::HandOverOutcome::timed_out ? 1 : 100;
        },
        kBlocked);
    thread.enqueue(0, [&](std::chrono::nanoseconds timeout) { return render.file.wait(timeout); });
    thread.drain();
    EXPECT_EQ(timed_out, 1);
}

}  // namespace
}  // namespace sb::test
