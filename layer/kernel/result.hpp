// Errors are values: an errno and the step that failed. Nothing in layer/ throws, so these
// travel through the Vulkan ABI as VkResults and log lines, never as exceptions.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace sb::kernel {

struct Error {
    int errnum = 0;
    // A static string naming the operation, e.g. "DMA_BUF_IOCTL_EXPORT_SYNC_FILE".
    const char* op = "";

    [[nodiscard]] std::string describe() const;
};

// Captures errno right after a failed call, before anything else can clobber it.
inline Error last_error(const char* op) {
    return Error{errno, op};
}

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(error) {}         // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(v_); }
    const T& value() const& { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    [[nodiscard]] const Error& error() const { return std::get<Error>(v_); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(error), ok_(false) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    [[nodiscard]] const Error& error() const { return error_; }

  private:
    Error error_{};
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace sb::kernel
