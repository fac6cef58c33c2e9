#include "support/recording_allocator.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sb::test {
namespace {

// Past any alignment a Vulkan implementation asks for, and odd enough that malloc never
// returns it: the block a free() would see is never one malloc made.
constexpr size_t kOffset = 64;

}  // namespace

RecordingAllocator::RecordingAllocator() {
    callbacks_.pUserData = this;
    callbacks_.pfnAllocation = &on_allocate;
    callbacks_.pfnReallocation = &on_reallocate;
    callbacks_.pfnFree = &on_free;
}

RecordingAllocator::~RecordingAllocator() {
    for (auto& [memory, block] : blocks_) {
        std::free(block.raw);
    }
}

void RecordingAllocator::fail_after(size_t passing) {
    const std::lock_guard lock(mutex_);
    failing_ = true;
    passing_ = passing;
    failed_ = 0;
}

void RecordingAllocator::never_fail() {
    const std::lock_guard lock(mutex_);
    failing_ = false;
}

size_t RecordingAllocator::live() const {
    const std::lock_guard lock(mutex_);
    return blocks_.size();
}

size_t RecordingAllocator::failed() const {
    const std::lock_guard lock(mutex_);
    return failed_;
}

std::vector<std::string> RecordingAllocator::errors() const {
    const std::lock_guard lock(mutex_);
    return errors_;
}

void* RecordingAllocator::allocate(size_t size, size_t alignment) {
    if (size == 0 && refuse_zero_size_) {
        return nullptr;
    }
    if (failing_) {
        if (passing_ == 0) {
            ++failed_;
            return nullptr;
        }
        --passing_;
    }
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > kOffset) {
        errors_.push_back("allocation with alignment " + std::to_string(alignment));
        return nullptr;
    }
    void* raw = std::malloc(size + 2 * kOffset);
    if (raw == nullptr) {
        return nullptr;
    }
    // kOffset past the next kOffset boundary: aligned as asked, never malloc's own pointer.
    const auto base = (reinterpret_cast<uintptr_t>(raw) + kOffset - 1) / kOffset * kOffset;
    void* memory = reinterpret_cast<void*>(base + kOffset);  // NOLINT(performance-no-int-to-ptr)
    blocks_[memory] = Block{raw, size};
    return memory;
}

bool RecordingAllocator::release(void* memory, const char* what) {
    auto it = blocks_.find(memory);
    if (it == blocks_.end()) {
        char text[96];
        std::snprintf(text, sizeof(text), "%s of %p, which this allocator never gave", what,
                      memory);
        errors_.emplace_back(text);
        return false;
    }
    std::free(it->second.raw);
    blocks_.erase(it);
    return true;
}

void* RecordingAllocator::on_allocate(void* self, size_t size, size_t alignment,
                                      VkSystemAllocationScope /*scope*/) {
    auto* a = static_cast<RecordingAllocator*>(self);
    const std::lock_guard lock(a->mutex_);
    return a->allocate(size, alignment);
}

void* RecordingAllocator::on_reallocate(void* self, void* original, size_t size, size_t alignment,
                                        VkSystemAllocationScope /*scope*/) {
    auto* a = static_cast<RecordingAllocator*>(self);
    const std::lock_guard lock(a->mutex_);
    if (original == nullptr) {
        return a->allocate(size, alignment);
    }
    auto it = a->blocks_.find(original);
    if (it == a->blocks_.end()) {
        a->release(original, "pfnReallocation");
        return nullptr;
    }
    if (size == 0) {
        a->release(original, "pfnReallocation");
        return nullptr;
    }
    const size_t old_size = it->second.size;
    void* moved = a->allocate(size, alignment);
    if (moved == nullptr) {
        return nullptr;  // the original stays, as the Vulkan spec says
    }
    std::memcpy(moved, original, old_size < size ? old_size : size);
    a->release(original, "pfnReallocation");
    return moved;
}

void RecordingAllocator::on_free(void* self, void* memory) {
    if (memory == nullptr) {
        return;
    }
    auto* a = static_cast<RecordingAllocator*>(self);
    const std::lock_guard lock(a->mutex_);
    a->release(memory, "pfnFree");
}

}  // namespace sb::test
