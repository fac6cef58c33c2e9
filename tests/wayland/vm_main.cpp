// The Wayland VM tests' main: says where it ran, and gives the tests an XDG_RUNTIME_DIR of their
// own (mkdtemp: mode 0700) for the compositor's socket, since the test VM's /tmp and /run are
// empty and a host's may be shared.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include <cstdio>
#include <filesystem>
#include <string>

int main(int argc, char** argv) {
    utsname uts{};
    if (::uname(&uts) == 0) {
        std::printf("[wayland-vm-tests] kernel %s %s\n", uts.sysname, uts.release);
    }
    std::string dir = "/tmp/syncbridge-wayland-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
        std::perror("[wayland-vm-tests] mkdtemp");
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
