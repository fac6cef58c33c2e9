#include "bridge/hand_over_thread.hpp"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/switches.hpp"
#include "util/thread.hpp"

namespace sb::bridge {
namespace {

using namespace std::chrono_literals;
using kernel::WaitOutcome;

struct Record {
    std::mutex mutex;
    std::vector<std::pair<uint32_t, HandOverOutcome>> handed;
    HandOverThread::HandOver callback() {
        return [this](uint32_t image, HandOverOutcome outcome) {
            std::lock_guard lock(mutex);
            handed.emplace_back(image, outcome);
        };
    }
};

HandOverThread::Wait sleeping_wait(std::chrono::milliseconds how_long) {
    return [how_long](std::chrono::nanoseconds) -> kernel::Result<WaitOutcome> {
        std::this_thread::sleep_for(how_long);
        return WaitOutcome::ready;
    };
}

TEST(HandOverThread, QueuingNeverWaitsAndHandOversKeepTheirOrder) {
    Record record;
    HandOverThread thread(record.callback(), 1s);
    const auto start = std::chrono::steady_clock::now();
    for (uint32_t image : {2u, 0u, 1u}) {
        thread.enqueue(image, sleeping_wait(50ms));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 40ms) << "the app's thread waited";
    thread.drain();
    ASSERT_EQ(record.handed.size(), 3u);
    EXPECT_EQ(record.handed[0].first, 2u);
    EXPECT_EQ(record.handed[1].first, 0u);
    EXPECT_EQ(record.handed[2].first, 1u);
    for (const auto& [image, outcome] : record.handed) {
        EXPECT_EQ(outcome, HandOverOutcome::ready) << image;
    }
}

TEST(HandOverThread, TheWaitGetsTheDeadlineAndItsOutcomeIsReported) {
    Record record;
    std::chrono::nanoseconds seen{0};
    HandOverThread thread(record.callback(), 250ms);
    thread.enqueue(0, [&](std::chrono::nanoseconds timeout) -> kernel::Result<WaitOutcome> {
        seen = timeout;
        return WaitOutcome::timed_out;
    });
    thread.enqueue(1, [](std::chrono::nanoseconds) -> kernel::Result<WaitOutcome> {
        return kernel::Error{EIO, "test"};
    });
    thread.drain();
    EXPECT_EQ(seen, 250ms);
    ASSERT_EQ(record.handed.size(), 2u);
    EXPECT_EQ(record.handed[0].second, HandOverOutcome::timed_out);
    EXPECT_EQ(record.handed[1].second, HandOverOutcome::failed);
}

TEST(HandOverThread, DestroyingCancelsWhatIsStillQueued) {
    Record record;
    {
        HandOverThread thread(record.callback(), 1s);
        thread.enqueue(0, sleeping_wait(100ms));
        std::this_thread::sleep_for(20ms);  // item 0 is being waited for
        thread.enqueue(1, sleeping_wait(100ms));
        thread.enqueue(2, sleeping_wait(100ms));
        EXPECT_EQ(thread.pending(), 3u);
    }
    ASSERT_EQ(record.handed.size(), 3u);
    EXPECT_EQ(record.handed[0], std::make_pair(0u, HandOverOutcome::ready));
    EXPECT_EQ(record.handed[1], std::make_pair(1u, HandOverOutcome::cancelled));
    EXPECT_EQ(record.handed[2], std::make_pair(2u, HandOverOutcome::cancelled));
}

TEST(HandOverThread, TheThreadIsNamedForItsRole) {
    Record record;
    HandOverThread thread(record.callback(), 1s);
    int named = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        named += name == "sb-hand-over" ? 1 : 0;
    }
    EXPECT_EQ(named, 1);
}

TEST(HandOverThread, AThreadThatCannotStartSaysSoAndGoesAwayQuietly) {
    const char* fail = util::switch_info(util::Switch::test_fail_thread_start).name;
    util::reset_thread_start_count_for_test();
    ::setenv(fail, "1", 1);
    Record record;
    {
        HandOverThread thread(record.callback(), 1s);
        ::unsetenv(fail);
        EXPECT_EQ(thread.start_error(), EAGAIN);
        thread.drain();  // nothing queued: returns at once
    }
    EXPECT_TRUE(record.handed.empty());
    HandOverThread started(record.callback(), 1s);
    EXPECT_EQ(started.start_error(), 0);
    util::reset_thread_start_count_for_test();
}

}  // namespace
}  // namespace sb::bridge
