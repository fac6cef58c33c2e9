// The compositor tests' main: a private XDG_RUNTIME_DIR (0700, under $TMPDIR or /tmp) for the
// Wayland sockets, since the test VM has an empty /tmp and /run and the host's may be shared.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdio>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
    utsname uts{};
    if (::uname(&uts) == 0) {
        std::printf("[compositor-tests] kernel %s %s\n", uts.sysname, uts.release);
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                      "/syncbridge-compositor-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr || ::chmod(dir.c_str(), 0700) != 0) {
        std::perror("[compositor-tests] mkdtemp");
        return 1;
    }
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
    ::unsetenv("WAYLAND_DISPLAY");
    ::unsetenv("WAYLAND_SOCKET");
    std::fflush(stdout);

    ::testing::InitGoogleTest(&argc, argv);
    const int status = RUN_ALL_TESTS();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return status;
}
