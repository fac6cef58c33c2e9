// The layer's one way to start a thread: all signals blocked inside it, failure an errno.
#include "util/thread.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>

#include "util/switches.hpp"

namespace sb::util {
namespace {

const char* fail_switch() {
    return switch_info(Switch::test_fail_thread_start).name;
}

// Whether every signal (but the ones the kernel never blocks) is blocked in the calling thread.
bool all_signals_blocked_here() {
    sigset_t mask;
    sigemptyset(&mask);
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE, SIGIO}) {
        if (sigismember(&mask, sig) != 1) {
            return false;
        }
    }
    return true;
}

TEST(StartThread, TheThreadRunsNamedWithEverySignalBlockedAndTheCallersMaskIsKept) {
    ::unsetenv(fail_switch());
    sigset_t before;
    pthread_sigmask(SIG_BLOCK, nullptr, &before);
    ASSERT_EQ(sigismember(&before, SIGUSR1), 0) << "the test runner blocks SIGUSR1 already";
    std::atomic<bool> blocked{false};
    char name[16] = {};
    std::thread thread;
    ASSERT_EQ(start_thread(
                  "sb-test",
                  [&] {
                      blocked = all_signals_blocked_here();
                      (void)pthread_getname_np(pthread_self(), name, sizeof(name));
                  },
                  &thread),
              0);
    thread.join();
    EXPECT_TRUE(blocked.load());
    EXPECT_STREQ(name, "sb-test");
    // The caller's mask is as it was.
    sigset_t after;
    pthread_sigmask(SIG_BLOCK, nullptr, &after);
    EXPECT_EQ(sigismember(&after, SIGUSR1), 0);
}

// The control for the check above: a plain std::thread inherits an unblocked mask, so the
// check can tell.
TEST(StartThread, ControlAPlainThreadKeepsSignalsUnblocked) {
    std::atomic<bool> blocked{true};
    std::thread plain([&] { blocked = all_signals_blocked_here(); });
    plain.join();
    EXPECT_FALSE(blocked.load());
}

TEST(StartThread, TheSwitchFailsTheNthStartWhileSetAndOnlyThatOne) {
    reset_thread_start_count_for_test();
    ::setenv(fail_switch(), "2", 1);
    int ran = 0;
    std::thread first;
    ASSERT_EQ(start_thread(
                  "sb-test", [&] { ++ran; }, &first),
              0);
    first.join();
    std::thread second;
    EXPECT_EQ(start_thread(
                  "sb-test", [&] { ++ran; }, &second),
              EAGAIN);
    EXPECT_FALSE(second.joinable());
    std::thread third;
    ASSERT_EQ(start_thread(
                  "sb-test", [&] { ++ran; }, &third),
              0);
    third.join();
    EXPECT_EQ(ran, 2);
    ::unsetenv(fail_switch());
    reset_thread_start_count_for_test();
}

TEST(StartThread, UnsetOrNonsenseNeverFails) {
    reset_thread_start_count_for_test();
    for (const char* value : {"", "0", "x", "-1"}) {
        ::setenv(fail_switch(), value, 1);
        std::thread thread;
        ASSERT_EQ(start_thread(
                      "sb-test", [] {}, &thread),
                  0)
            << value;
        thread.join();
    }
    ::unsetenv(fail_switch());
}

}  // namespace
}  // namespace sb::util
