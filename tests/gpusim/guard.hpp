// Nothing may be thrown across the Vulkan ABI. The entry points run their bodies through these
// guards: an allocation failure becomes VK_ERROR_OUT_OF_HOST_MEMORY, anything else is logged and
// becomes VK_ERROR_UNKNOWN (void entry points just log).
#pragma once

#include <vulkan/vulkan.h>

#include <exception>
#include <new>

#include "gpusim/log.hpp"

namespace sb::gpusim {

template <typename F>
VkResult guarded(const char* what, F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    } catch (const std::exception& e) {
        GPUSIM_LOG(error, "%s: %s", what, e.what());
    } catch (...) {
        GPUSIM_LOG(error, "%s: unknown exception", what);
    }
    return VK_ERROR_UNKNOWN;
}

template <typename F>
void guarded_void(const char* what, F&& body) noexcept {
    try {
        body();
    } catch (const std::exception& e) {
        GPUSIM_LOG(error, "%s: %s", what, e.what());
    } catch (...) {
        GPUSIM_LOG(error, "%s: unknown exception", what);
    }
}

}  // namespace sb::gpusim
