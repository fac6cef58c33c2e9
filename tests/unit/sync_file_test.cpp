#include "kernel/sync_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>

namespace sb::kernel {
namespace {

using namespace std::chrono_literals;

TEST(SyncFileStub, IsAlreadySignalled) {
    SyncFile stub;
    EXPECT_TRUE(stub.is_stub());
    EXPECT_EQ(*stub.wait(-1ns), WaitOutcome::ready);
    EXPECT_TRUE(*stub.is_signalled());
    EXPECT_EQ(stub.info()->state, SyncFileInfo::State::signalled);
    EXPECT_EQ(stub.info()->fence_count, 0u);
}

TEST(SyncFileStub, MergingStubsGivesTheStub) {
    auto merged = SyncFile::merge(SyncFile{}, SyncFile{});
    ASSERT_TRUE(merged.ok());
    EXPECT_TRUE(merged->is_stub());
}

TEST(SyncFileStub, DuplicatingMinusOneGivesTheStub) {
    auto dup = SyncFile::duplicate_from(-1);
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->is_stub());
}

class PollUntil : public ::testing::Test {
  protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        read_ = UniqueFd(fds[0]);
        write_ = UniqueFd(fds[1]);
    }
    UniqueFd read_;
    UniqueFd write_;
};

TEST_F(PollUntil, TimesOutAfterTheDeadlineWithoutError) {
    const auto start = std::chrono::steady_clock::now();
    auto outcome = poll_until(read_.get(), POLLIN, 50ms, "poll(pipe)");
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(*outcome, WaitOutcome::timed_out);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST_F(PollUntil, ReturnsReadyOnceTheFdIs) {
    ASSERT_EQ(::write(write_.get(), "x", 1), 1);
    EXPECT_EQ(*poll_until(read_.get(), POLLIN, 0ms, "poll(pipe)"), WaitOutcome::ready);
}

TEST_F(PollUntil, AClosedFdIsAnErrorNotATimeout) {
    const int stale = read_.get();
    read_.reset();
    auto outcome = poll_until(stale, POLLIN, 10ms, "poll(pipe)");
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().errnum, EBADF);
}

TEST_F(PollUntil, SyncFileInfoOnANonSyncFileIsENOTTY) {
    SyncFile not_a_sync_file(std::move(read_));
    auto info = not_a_sync_file.info();
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().errnum, ENOTTY);
    EXPECT_STREQ(info.error().op, "SYNC_IOC_FILE_INFO");
}

}  // namespace
}  // namespace sb::kernel
