// syncbridge-test-compositor: the test compositor as a process of its own (see usage()).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "compositor/compositor.hpp"
#include "compositor/png.hpp"

using sb::compositor::Compositor;

namespace {

// --png: the captured frame as a PNG file. Says what it wrote (or why not) on stdout.
bool write_image(const Compositor& compositor, const std::string& path) {
    const auto image = compositor.captured_frame();
    if (!image) {
        std::printf("syncbridge-test-compositor: no PNG: no frame was read (or not that many)\n");
        return false;
    }
    if (auto st = sb::compositor::write_png(path, *image); !st) {
        std::printf("syncbridge-test-compositor: no PNG: %s\n", st.error().describe().c_str());
        return false;
    }
    std::printf("syncbridge-test-compositor: wrote %s (%dx%d, frame %llu read)\n", path.c_str(),
                image->width, image->height, static_cast<unsigned long long>(image->frame_checked));
    return true;
}

}  // namespace

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
    const bool image_ok = options.png_path.empty() || write_image(**compositor, options.png_path);
    std::fflush(stdout);
    if (!image_ok) {
        return 1;
    }
    return counters.sync_errors() == 0 ? 0 : 2;
}
