#include "util/thread.hpp"

#include <signal.h>

#include <atomic>
#include <charconv>
#include <cstring>

#include "util/switches.hpp"

namespace sb::util {
namespace {

std::atomic<unsigned> g_test_starts{0};

}  // namespace

AllSignalsBlocked::AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous_);
}

AllSignalsBlocked::~AllSignalsBlocked() {
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

bool thread_start_fails_for_test() {
    const char* value = switch_value(Switch::test_fail_thread_start);
    if (value == nullptr) {
        return false;
    }
    unsigned nth = 0;
    const char* end = value + std::strlen(value);
    if (std::from_chars(value, end, nth).ptr != end || nth == 0) {
        return false;
    }
    return g_test_starts.fetch_add(1) + 1 == nth;
}

void reset_thread_start_count_for_test() {
    g_test_starts.store(0);
}

}  // namespace sb::util
