// The layer's own objects live in memory from the app's VkAllocationCallbacks when it gives
// them, and from the C++ heap otherwise. Never throws: a failed allocation is a nullptr, which
// the entry points turn into VK_ERROR_OUT_OF_HOST_MEMORY.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace sb::util {

template <typename T, typename... Args>
T* host_new(const VkAllocationCallbacks* alloc, VkSystemAllocationScope scope, Args&&... args) {
    void* mem = nullptr;
    if (alloc != nullptr && alloc->pfnAllocation != nullptr) {
        mem = alloc->pfnAllocation(alloc->pUserData, sizeof(T), alignof(T), scope);
    } else {
        mem = ::operator new(sizeof(T), std::align_val_t(alignof(T)), std::nothrow);
    }
    if (mem == nullptr) {
        return nullptr;
    }
    return new (mem) T(std::forward<Args>(args)...);
}

template <typename T>
void host_delete(const VkAllocationCallbacks* alloc, T* object) {
    if (object == nullptr) {
        return;
    }
    object->~T();
    if (alloc != nullptr && alloc->pfnFree != nullptr) {
        alloc->pfnFree(alloc->pUserData, object);
    } else {
        ::operator delete(object, std::align_val_t(alignof(T)));
    }
}

// Callbacks over the C heap whose memory free() accepts: for a driver object that the driver
// is known to free() behind the allocator's back (see their users).
const VkAllocationCallbacks* c_heap_callbacks();

// Allocation callbacks copied out of a create call, to be used again at destroy time.
struct SavedAllocator {
    VkAllocationCallbacks callbacks{};
    bool present = false;

    SavedAllocator() = default;
    explicit SavedAllocator(const VkAllocationCallbacks* alloc)
        : callbacks(alloc != nullptr ? *alloc : VkAllocationCallbacks{}),
          present(alloc != nullptr) {}
    [[nodiscard]] const VkAllocationCallbacks* get() const {
        return present ? &callbacks : nullptr;
    }
};

}  // namespace sb::util
