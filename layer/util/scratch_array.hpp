// A scratch array for per-frame paths: `count` value-initialised elements, on the stack when
// there are at most N of them (the usual case: one swapchain, a few semaphores), on the heap
// otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace sb::util {

template <typename T, size_t N>
class ScratchArray {
  public:
    explicit ScratchArray(size_t count) : count_(count) {
        if (count_ > N) {
            heap_.resize(count_);
        }
    }

    [[nodiscard]] T* data() { return count_ > N ? heap_.data() : inline_.data(); }
    [[nodiscard]] size_t size() const { return count_; }
    T& operator[](size_t i) { return data()[i]; }

  private:
    size_t count_;
    std::array<T, N> inline_{};
    std::vector<T> heap_;
};

}  // namespace sb::util
