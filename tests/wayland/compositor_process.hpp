// The test compositor (tests/compositor) as a child process, for the VM tests: a compositor
// that can be killed outright, as a crashing one would be, without taking the test with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "kernel/unique_fd.hpp"

namespace sb::test::wayland {

class CompositorProcess {
  public:
    // Runs `program` with `args` plus `--socket NAME` (NAME unique to this process), with
    // $XDG_RUNTIME_DIR as it is, and waits at most `timeout` for its "listening on NAME" line.
    // Null, with `error` set, when it does not come up.
    static std::unique_ptr<CompositorProcess> start(const std::string& program,
                                                    std::vector<std::string> args,
                                                    std::chrono::milliseconds timeout,
                                                    std::string* error);
    // Kills it (SIGKILL) if it still runs, and reaps it.
    ~CompositorProcess();
    CompositorProcess(const CompositorProcess&) = delete;
    CompositorProcess& operator=(const CompositorProcess&) = delete;

    [[nodiscard]] const std::string& socket_name() const { return socket_; }

    // SIGKILL, then reap: its clients see their connections end with no goodbye.
    void kill();
    // SIGTERM, then reap within `timeout` (SIGKILL after that); returns everything it printed
    // and its exit status (-1 when it had to be killed).
    int terminate(std::chrono::milliseconds timeout, std::string* output);

  private:
    CompositorProcess(pid_t pid, kernel::UniqueFd out, std::string socket)
        : pid_(pid), out_(std::move(out)), socket_(std::move(socket)) {}
    // Reads what is available from its stdout within `timeout`; false at end of file.
    bool read_some(std::chrono::milliseconds timeout);

    pid_t pid_;
    kernel::UniqueFd out_;  // its stdout
    std::string socket_;
    std::string output_;
};

}  // namespace sb::test::wayland
