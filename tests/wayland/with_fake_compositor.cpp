// Runs a command as a client of the in-process fake compositor (fake_compositor.hpp): the
// command inherits the client end of the socketpair as WAYLAND_SOCKET, which libwayland's
// wl_display_connect(NULL) takes before WAYLAND_DISPLAY. For tests of tools that connect on their
// own (syncbridge-info), on the host, without a real compositor.
// usage: with_fake_compositor [--linux-dmabuf-version N] [--syncobj-manager] -- COMMAND [ARGS...]
// Exits with the command's status (125: this runner failed).
#include <drm_fourcc.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wayland/fake_compositor.hpp"

int main(int argc, char** argv) {
    sb::test::wayland::FakeOptions options;
    options.modifiers = {{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR},
                         {DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR}};
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        if (std::strcmp(argv[i], "--linux-dmabuf-version") == 0 && i + 1 < argc) {
            options.linux_dmabuf_version = static_cast<uint32_t>(std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--syncobj-manager") == 0) {
            options.syncobj_manager = true;
        } else {
            std::fprintf(stderr, "with_fake_compositor: unknown argument %s\n", argv[i]);
            return 125;
        }
    }
    if (i + 1 >= argc) {
        std::fprintf(stderr, "usage: %s [OPTIONS] -- COMMAND [ARGS...]\n", argv[0]);
        return 125;
    }
    auto compositor = sb::test::wayland::FakeCompositor::start(options);
    const int client = compositor ? compositor->connect() : -1;
    if (client < 0) {
        std::fprintf(stderr, "with_fake_compositor: no compositor\n");
        return 125;
    }
    const pid_t child = ::fork();
    if (child == 0) {
        // The command inherits the client end (and nothing else of ours: every other fd is
        // O_CLOEXEC).
        ::fcntl(client, F_SETFD, 0);
        ::setenv("WAYLAND_SOCKET", std::to_string(client).c_str(), 1);
        ::execvp(argv[i + 1], argv + i + 1);
        std::perror("with_fake_compositor: exec");
        ::_exit(125);
    }
    ::close(client);
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child) {
        std::perror("with_fake_compositor: fork/wait");
        return 125;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}
