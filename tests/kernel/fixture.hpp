#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "support/vgem.hpp"

namespace sb::test {

using namespace std::chrono_literals;
using kernel::WaitOutcome;

// Short enough to keep the suite fast, long enough that "still pending" means pending, and far
// below vgem's own 10 s fence timeout.
constexpr auto kBlocked = 150ms;
constexpr auto kSoon = 2s;

#define ASSERT_OK(expr)                                                \
    do {                                                               \
        const auto& sb_result_ = (expr);                               \
        ASSERT_TRUE(sb_result_.ok()) << sb_result_.error().describe(); \
    } while (0)

// Unwraps a result; a failure throws, which gtest reports as a failure of the running test.
// (Tests may throw; the layer never does.)
template <typename T>
T must(kernel::Result<T> result) {
    if (!result) {
        throw std::runtime_error(result.error().describe());
    }
    return std::move(result).value();
}

class VgemTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto device = Vgem::open();
        // No vgem means the harness is broken (module missing): fail, never skip.
        ASSERT_TRUE(device.ok()) << device.error().describe();
        vgem_.emplace(std::move(device).value());
    }
    Vgem& vgem() { return *vgem_; }

  private:
    // Closing the vgem fd signals every fence still pending, so a failed test cannot leave
    // another one waiting.
    std::optional<Vgem> vgem_;
};

}  // namespace sb::test
