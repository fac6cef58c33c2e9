// The one owner of a file descriptor: move-only, closed exactly once.
#pragma once

#include <utility>

#include "kernel/result.hpp"

namespace sb::kernel {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }

    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset(other.release());
        }
        return *this;
    }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }

    // Gives up ownership: the caller (e.g. a Vulkan import that consumes the fd) closes it.
    [[nodiscard]] int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

    // A second, independent owner of the same open file, close-on-exec.
    [[nodiscard]] static Result<UniqueFd> duplicate(int fd);

  private:
    int fd_ = -1;
};

}  // namespace sb::kernel
