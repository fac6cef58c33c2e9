// Nothing throws across the Vulkan ABI. The layer's code returns errors as values, but the
// standard library it uses (containers, std::function, strings, std::thread) reports
// allocation and system failures as exceptions; an exception that reached the app's
// vkCreateSwapchainKHR would unwind through C frames, or terminate the app.
// AbiGuard<name, fn>::call is `fn` with the same signature that catches everything:
//   std::bad_alloc                  -> VK_ERROR_OUT_OF_HOST_MEMORY
//   anything else, in vkCreate*     -> VK_ERROR_INITIALIZATION_FAILED
//   anything else, other commands   -> VK_ERROR_UNKNOWN
//   a void command                  -> nothing (the object is gone or never was)
//   a VkBool32 query                -> VK_FALSE;  a proc-address query -> nullptr
// and logs the first exception each entry point catches. loader_interface.cpp hands the
// loader only guarded entry points.
#pragma once

#include <vulkan/vulkan.h>

#include <cxxabi.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sb::util {

// A string literal as a template argument: the entry point's name.
template <size_t N>
struct CommandName {
    char text[N]{};
    // NOLINTNEXTLINE(google-explicit-constructor): CommandName<"vkFoo"> is the point
    consteval CommandName(const char (&name)[N]) { std::copy_n(name, N, text); }
    [[nodiscard]] constexpr std::string_view view() const { return {text, N - 1}; }
};

// What a caught exception was, for the log and the result.
enum class CaughtKind { bad_alloc, system_error, other };

// Logs (once per `logged` flag) that `command` caught an exception, and says what it was.
// Call only inside a catch handler: it looks at the current exception.
CaughtKind report_caught_exception(const char* command, std::atomic<bool>* logged) noexcept;

// The VkResult an entry point returns for a caught exception.
constexpr VkResult result_for_caught(CaughtKind kind, std::string_view command) {
    if (kind == CaughtKind::bad_alloc) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return command.starts_with("vkCreate") ? VK_ERROR_INITIALIZATION_FAILED : VK_ERROR_UNKNOWN;
}

template <typename R>
constexpr R fallback_for_caught(CaughtKind kind, std::string_view command) {
    if constexpr (std::is_same_v<R, VkResult>) {
        return result_for_caught(kind, command);
    } else if constexpr (std::is_same_v<R, void>) {
        return;
    } else {
        return R{};  // VkBool32: VK_FALSE; PFN_vkVoidFunction: nullptr
    }
}

// Runs `undo` when the scope is left by an exception, and only then: for what a create command
// made before something below it threw (the driver's object, the layer's record), which the
// guard's catch cannot see. Normal returns clean up as they always did.
template <typename Undo>
class UndoOnUnwind {
  public:
    explicit UndoOnUnwind(Undo undo)
        : undo_(std::move(undo)), exceptions_(std::uncaught_exceptions()) {}
    ~UndoOnUnwind() {
        if (std::uncaught_exceptions() > exceptions_) {
            undo_();
        }
    }
    UndoOnUnwind(const UndoOnUnwind&) = delete;
    UndoOnUnwind& operator=(const UndoOnUnwind&) = delete;

  private:
    Undo undo_;
    int exceptions_;
};

template <CommandName Name, auto Fn>
struct AbiGuard;

template <CommandName Name, typename R, typename... Args, R (*Fn)(Args...)>
struct AbiGuard<Name, Fn> {
    // Not noexcept: thread cancellation's unwind must still pass through (see below).
    static VKAPI_ATTR R VKAPI_CALL call(Args... args) {
        try {
            return Fn(args...);
        } catch (abi::__forced_unwind&) {
            throw;  // thread cancellation unwinds the app's thread: not ours to stop
        } catch (...) {
            static std::atomic<bool> logged{false};
            return fallback_for_caught<R>(report_caught_exception(Name.text, &logged), Name.view());
        }
    }
};

}  // namespace sb::util
