// Kernel tests run inside the test VM (tools/vm/run). Print where they ran, so a log proves it.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
    utsname uts{};
    if (::uname(&uts) == 0) {
        std::printf("[kernel-tests] kernel %s %s\n", uts.sysname, uts.release);
    }
    std::printf("[kernel-tests] /dev/dri:");
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/dev/dri", ec)) {
        std::printf(" %s", entry.path().filename().c_str());
    }
    std::printf("%s\n", ec ? " (none)" : "");
    std::fflush(stdout);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
