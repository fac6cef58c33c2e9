#include "util/host_alloc.hpp"

#include <malloc.h>

#include <cstddef>
#include <cstring>

namespace sb::util {
namespace {

void* heap_allocate(void* /*user*/, size_t size, size_t alignment, VkSystemAllocationScope) {
    if (alignment <= alignof(std::max_align_t)) {
        return std::malloc(size);
    }
    void* memory = nullptr;
    return ::posix_memalign(&memory, alignment, size) == 0 ? memory : nullptr;
}

void* heap_reallocate(void* user, void* original, size_t size, size_t alignment,
                      VkSystemAllocationScope scope) {
    if (size == 0) {  // Vulkan: a free
        std::free(original);
        return nullptr;
    }
    if (alignment <= alignof(std::max_align_t)) {
        return std::realloc(original, size);
    }
    void* moved = heap_allocate(user, size, alignment, scope);
    if (moved != nullptr && original != nullptr) {
        const size_t old_size = ::malloc_usable_size(original);
        std::memcpy(moved, original, old_size < size ? old_size : size);
        std::free(original);
    }
    return moved;
}

void heap_free(void* /*user*/, void* memory) {
    std::free(memory);
}

}  // namespace

const VkAllocationCallbacks* c_heap_callbacks() {
    static const VkAllocationCallbacks callbacks = {
        .pUserData = nullptr,
        .pfnAllocation = heap_allocate,
        .pfnReallocation = heap_reallocate,
        .pfnFree = heap_free,
        .pfnInternalAllocation = nullptr,
        .pfnInternalFree = nullptr,
    };
    return &callbacks;
}

}  // namespace sb::util
