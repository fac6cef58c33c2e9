// Reading a fuzzer's input as the parsers' callers would receive it: fields taken from the front
// of the bytes, short input giving zeros and empty spans (never a read past the input).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace sb::fuzz {

class FuzzInput {
  public:
    FuzzInput(const uint8_t* data, size_t size)
        : rest_(reinterpret_cast<const std::byte*>(data), size) {}

    [[nodiscard]] bool empty() const { return rest_.empty(); }

    // Up to `count` bytes from the front.
    std::span<const std::byte> take(size_t count) {
        const auto taken = rest_.first(std::min(count, rest_.size()));
        rest_ = rest_.subspan(taken.size());
        return taken;
    }
    std::span<const std::byte> take_rest() { return take(rest_.size()); }

    template <typename T>
    T take_value() {
        T value{};
        const auto bytes = take(sizeof value);
        std::memcpy(&value, bytes.data(), bytes.size());
        return value;
    }

  private:
    std::span<const std::byte> rest_;
};

}  // namespace sb::fuzz
