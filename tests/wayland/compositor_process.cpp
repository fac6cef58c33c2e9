#include "wayland/compositor_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace sb::test::wayland {
namespace {

using Clock = std::chrono::steady_clock;

std::string unique_socket_name() {
    static std::atomic<int> next{0};
    return "sb-wayland-test-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
}

// waitpid with a deadline (polling: a child's exit has no fd here).
int reap(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if ((done < 0 && errno != EINTR) || Clock::now() >= deadline) {
            return -1;
        }
        ::usleep(5000);
    }
}

}  // namespace

std::unique_ptr<CompositorProcess> CompositorProcess::start(const std::string& program,
                                                            std::vector<std::string> args,
                                                            std::chrono::milliseconds timeout,
                                                            std::string* error) {
    const std::string socket = unique_socket_name();
    args.insert(args.begin(), {program, "--socket", socket});
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        *error = std::string("pipe2: ") + std::strerror(errno);
        return nullptr;
    }
    kernel::UniqueFd read_end(pipe_fds[0]);
    kernel::UniqueFd write_end(pipe_fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    pid_t pid = -1;
    const int spawned =
        ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        *error = "posix_spawn " + program + ": " + std::strerror(spawned);
        return nullptr;
    }
    write_end.reset();  // the child's copy is its stdout; ours would hide its end of file

    std::unique_ptr<CompositorProcess> process(
        new CompositorProcess(pid, std::move(read_end), socket));
    const std::string ready = "listening on " + socket + "\n";
    const auto deadline = Clock::now() + timeout;
    while (process->output_.find(ready) == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || !process->read_some(left)) {
            *error = "the compositor did not come up; it printed: " + process->output_;
            return nullptr;
        }
    }
    return process;
}

CompositorProcess::~CompositorProcess() {
    kill();
}

bool CompositorProcess::read_some(std::chrono::milliseconds timeout) {
    pollfd pfd{out_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) {
        return true;  // nothing yet (or EINTR): the caller's deadline decides
    }
    char chunk[512];
    const ssize_t n = ::read(out_.get(), chunk, sizeof(chunk));
    if (n <= 0) {
        return false;
    }
    output_.append(chunk, static_cast<size_t>(n));
    return true;
}

void CompositorProcess::kill() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        (void)reap(pid_, std::chrono::seconds(5));
        pid_ = -1;
    }
}

int CompositorProcess::terminate(std::chrono::milliseconds timeout, std::string* output) {
    if (pid_ <= 0) {
        return -1;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + timeout;
    // Its summary comes at exit: read until end of file or the deadline.
    while (
        Clock::now() < deadline &&
        read_some(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()))) {
    }
    // End of file comes when the child closes its files, which is before it becomes a zombie;
    // under TCG that gap has been longer than 100 ms, so the reap gets the rest of the deadline
    // (and at least a second) rather than a fixed sliver.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int status = reap(pid_, std::max(left, std::chrono::milliseconds(1000)));
    if (status < 0) {
        ::kill(pid_, SIGKILL);
        (void)reap(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
    *output = output_;
    return status;
}

}  // namespace sb::test::wayland
