// gpusim's own objects live in memory from the app's VkAllocationCallbacks when it gives them
// (util::host_new for single objects, HostAllocator for shared and container storage), and from
// the C++ heap otherwise.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <new>

#include "util/host_alloc.hpp"

namespace sb::gpusim {

// A standard allocator over a copy of VkAllocationCallbacks (the app's struct may be a
// temporary). Throws std::bad_alloc like any allocator; the entry points turn that into
// VK_ERROR_OUT_OF_HOST_MEMORY (see guard.hpp).
template <typename T>
class HostAllocator {
  public:
    using value_type = T;

    HostAllocator(const util::SavedAllocator& saved, VkSystemAllocationScope scope)
        : saved_(saved), scope_(scope) {}
    template <typename U>
    HostAllocator(const HostAllocator<U>& other)  // NOLINT(google-explicit-constructor)
        : saved_(other.saved()), scope_(other.scope()) {}

    T* allocate(size_t n) {
        const size_t bytes = n * sizeof(T);
        void* mem = nullptr;
        if (const VkAllocationCallbacks* cb = saved_.get(); cb != nullptr) {
            mem = cb->pfnAllocation(cb->pUserData, bytes, alignof(T), scope_);
        } else {
            mem = ::operator new(bytes, std::align_val_t(alignof(T)), std::nothrow);
        }
        if (mem == nullptr) {
            throw std::bad_alloc();
        }
        return static_cast<T*>(mem);
    }
    void deallocate(T* p, size_t /*n*/) noexcept {
        if (const VkAllocationCallbacks* cb = saved_.get(); cb != nullptr) {
            cb->pfnFree(cb->pUserData, p);
        } else {
            ::operator delete(p, std::align_val_t(alignof(T)));
        }
    }

    [[nodiscard]] const util::SavedAllocator& saved() const { return saved_; }
    [[nodiscard]] VkSystemAllocationScope scope() const { return scope_; }

    template <typename U>
    bool operator==(const HostAllocator<U>& other) const {
        return saved_.present == other.saved().present &&
               (!saved_.present ||
                (saved_.callbacks.pfnAllocation == other.saved().callbacks.pfnAllocation &&
                 saved_.callbacks.pUserData == other.saved().callbacks.pUserData));
    }

  private:
    util::SavedAllocator saved_;
    VkSystemAllocationScope scope_;
};

}  // namespace sb::gpusim
