// syncbridge-test-compositor: the test compositor as a process of its own (see usage()).
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "compositor/compositor.hpp"

using sb::compositor::Compositor;

int main(int argc, char** argv) {
    const auto parsed = sb::compositor::parse_options(argc, argv);
    if (parsed.help) {
        std::fputs(sb::compositor::usage(), stdout);
        return 0;
    }
    if (!parsed.options) {
        std::fprintf(stderr, "syncbridge-test-compositor: %s\n%s", parsed.error.c_str(),
                     sb::compositor::usage());
        return 1;
    }
    const sb::compositor::Options& options = *parsed.options;

    // SIGINT/SIGTERM are taken with sigtimedwait below; block them before any thread starts,
    // so that the compositor's thread inherits the mask and never handles them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto compositor = Compositor::start(options);
    if (!compositor) {
        std::fprintf(stderr, "syncbridge-test-compositor: %s\n",
                     compositor.error().describe().c_str());
        return 1;
    }
    std::printf("listening on %s\n", (*compositor)->socket_name().c_str());
    std::fflush(stdout);

    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(options.run_for_ms);
    // Wake every 50 ms: to notice a display that vanished (misbehaviour) and the run time.
    for (;;) {
        const timespec tick{0, 50'000'000};
        if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
            break;
        }
        if (!(*compositor)->running() || (options.run_for_ms != 0 && Clock::now() >= deadline)) {
            break;
        }
    }
    (*compositor)->stop();
    const auto counters = (*compositor)->counters();
    std::printf("syncbridge-test-compositor: %s\n", sb::compositor::summary_line(counters).c_str());
    std::fflush(stdout);
    return counters.sync_errors() == 0 ? 0 : 2;
}
