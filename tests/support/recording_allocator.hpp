// VkAllocationCallbacks that record every allocation and can fail from the Nth on, as the Vulkan
// CTS's DeterministicFailAllocator does (its simulate_oom cases). Memory it hands out is offset
// from what malloc returned, so a free() of it by someone else crashes (glibc: "free(): invalid
// pointer"; ASan: "not malloc()-ed"), and a pfnFree of a pointer it never gave is recorded as an
// error instead of freed: both halves of an allocator mix-up show.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sb::test {

class RecordingAllocator {
  public:
    RecordingAllocator();
    RecordingAllocator(const RecordingAllocator&) = delete;
    RecordingAllocator& operator=(const RecordingAllocator&) = delete;
    ~RecordingAllocator();

    [[nodiscard]] const VkAllocationCallbacks* callbacks() const { return &callbacks_; }

    // From now on, the first `passing` allocations succeed and every later one fails.
    void fail_after(size_t passing);
    void never_fail();
    // Requests for zero bytes get NULL, as the Vulkan CTS's system allocator answers them.
    void refuse_zero_size() { refuse_zero_size_ = true; }

    [[nodiscard]] size_t live() const;                      // allocations not yet freed
    [[nodiscard]] size_t failed() const;                    // allocations refused since fail_after
    [[nodiscard]] std::vector<std::string> errors() const;  // frees of unknown pointers, ...

  private:
    static void* on_allocate(void* self, size_t size, size_t alignment, VkSystemAllocationScope);
    static void* on_reallocate(void* self, void* original, size_t size, size_t alignment,
                               VkSystemAllocationScope);
    static void on_free(void* self, void* memory);

    void* allocate(size_t size, size_t alignment);  // with mutex_ held
    bool release(void* memory, const char* what);   // with mutex_ held

    struct Block {
        void* raw;
        size_t size;
    };
    VkAllocationCallbacks callbacks_{};
    mutable std::mutex mutex_;
    std::map<void*, Block> blocks_;
    bool failing_ = false;
    bool refuse_zero_size_ = false;
    size_t passing_ = 0;
    size_t failed_ = 0;
    std::vector<std::string> errors_;
};

}  // namespace sb::test
