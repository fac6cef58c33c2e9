#include "kernel/result.hpp"

#include <cstring>

namespace sb::kernel {

std::string Error::describe() const {
    std::string text = op;
    text += ": ";
    // strerrordesc_np is thread-safe and allocation-free, unlike strerror.
    const char* desc = strerrordesc_np(errnum);
    text += desc != nullptr ? desc : "unknown error";
    text += " (errno ";
    text += std::to_string(errnum);
    text += ")";
    return text;
}

}  // namespace sb::kernel
