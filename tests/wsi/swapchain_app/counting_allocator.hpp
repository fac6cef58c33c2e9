// VkAllocationCallbacks that count: the allocation-failure checks (--inject-failures) and the
// per-frame cost's count of what the layer allocates through the app's callbacks
// (--count-allocations).
#pragma once

#include <stdlib.h>  // posix_memalign
#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace sb::swapchain_app {

// VkAllocationCallbacks that count every allocation and reallocation, fail the `fail_at`th
// (1-based; 0 never), and know what is still allocated.
class CountingAllocator {
  public:
    explicit CountingAllocator(unsigned fail_at) : fail_at_(fail_at) {
        callbacks_.pUserData = this;
        callbacks_.pfnAllocation = &allocation;
        callbacks_.pfnReallocation = &reallocation;
        callbacks_.pfnFree = &release;
    }
    CountingAllocator(const CountingAllocator&) = delete;
    CountingAllocator& operator=(const CountingAllocator&) = delete;

    [[nodiscard]] const VkAllocationCallbacks* callbacks() const { return &callbacks_; }
    [[nodiscard]] unsigned calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    [[nodiscard]] unsigned failed() const {
        std::lock_guard lock(mutex_);
        return failed_;
    }
    [[nodiscard]] size_t live() const {
        std::lock_guard lock(mutex_);
        return sizes_.size();
    }

  private:
    // Whether this call is the one to fail; counts it.
    bool fails_now() {
        ++calls_;
        if (calls_ == fail_at_) {
            ++failed_;
            return true;
        }
        return false;
    }

    void* allocate_locked(size_t size, size_t alignment) {
        void* mem = nullptr;
        if (posix_memalign(&mem, alignment < sizeof(void*) ? sizeof(void*) : alignment,
                           size != 0 ? size : 1) != 0) {
            return nullptr;
        }
        sizes_[mem] = size;
        return mem;
    }

    static VKAPI_ATTR void* VKAPI_CALL allocation(void* user, size_t size, size_t alignment,
                                                  VkSystemAllocationScope /*scope*/) {
        auto* self = static_cast<CountingAllocator*>(user);
        std::lock_guard lock(self->mutex_);
        return self->fails_now() ? nullptr : self->allocate_locked(size, alignment);
    }

    static VKAPI_ATTR void* VKAPI_CALL reallocation(void* user, void* original, size_t size,
                                                    size_t alignment,
                                                    VkSystemAllocationScope /*scope*/) {
        auto* self = static_cast<CountingAllocator*>(user);
        std::lock_guard lock(self->mutex_);
        if (size == 0) {
            self->free_locked(original);
            return nullptr;
        }
        if (self->fails_now()) {
            return nullptr;  // the original stays the caller's
        }
        void* mem = self->allocate_locked(size, alignment);
        if (mem != nullptr && original != nullptr) {
            const size_t old_size = self->sizes_[original];
            std::memcpy(mem, original, old_size < size ? old_size : size);
            self->free_locked(original);
        }
        return mem;
    }

    static VKAPI_ATTR void VKAPI_CALL release(void* user, void* memory) {
        auto* self = static_cast<CountingAllocator*>(user);
        std::lock_guard lock(self->mutex_);
        self->free_locked(memory);
    }

    void free_locked(void* memory) {
        if (memory == nullptr) {
            return;
        }
        sizes_.erase(memory);
        std::free(memory);
    }

    VkAllocationCallbacks callbacks_{};
    const unsigned fail_at_;
    mutable std::mutex mutex_;
    unsigned calls_ = 0;
    unsigned failed_ = 0;
    std::unordered_map<void*, size_t> sizes_;
};

}  // namespace sb::swapchain_app
