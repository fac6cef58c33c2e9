// The strategy matrix: every capability combination, every override.
#include "bridge/strategy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

namespace sb::bridge {
namespace {

using Ioctls = KernelSupport::SyncFileIoctls;

struct Case {
    bool dma_buf;
    bool sem_export;
    bool sem_import;
    bool fence_import;
    Ioctls ioctls;
};

DeviceCapabilities caps_of(const Case& c) {
    DeviceCapabilities caps;
    caps.dma_buf_extension = c.dma_buf;
    caps.dma_buf_image_export = c.dma_buf;
    caps.dma_buf_image_import = c.dma_buf;
    caps.semaphore_sync_fd_export = c.sem_export;
    caps.semaphore_sync_fd_import = c.sem_import;
    caps.fence_sync_fd_import = c.fence_import;
    return caps;
}

KernelSupport kernel_of(const Case& c) {
    return KernelSupport{c.ioctls, "test"};
}

// What auto must pick, written out independently of the implementation.
Strategy expected_auto(const Case& c) {
    if (!c.dma_buf) {
        return Strategy::passthrough;
    }
    const bool can_import =
        c.sem_export && (c.sem_import || c.fence_import) && c.ioctls == Ioctls::present;
    return can_import ? Strategy::kernel_import : Strategy::userspace_wait;
}

class StrategyMatrix : public ::testing::TestWithParam<std::tuple<bool, bool, bool, bool, Ioctls>> {
  protected:
    Case c() const {
        auto [d, se, si, fi, io] = GetParam();
        return Case{d, se, si, fi, io};
    }
};

TEST_P(StrategyMatrix, AutoPicksTheMostCapableStrategyThatWorks) {
    const Case k = c();
    const StrategyChoice choice = choose_strategy(caps_of(k), kernel_of(k), Mode::automatic);
    EXPECT_EQ(choice.strategy, expected_auto(k)) << choice.reason;
    EXPECT_FALSE(choice.reason.empty());
    EXPECT_FALSE(choice.override_refused);
}

TEST_P(StrategyMatrix, ImportOverrideIsObeyedOnlyWhenPossible) {
    const Case k = c();
    const StrategyChoice choice = choose_strategy(caps_of(k), kernel_of(k), Mode::import);
    if (expected_auto(k) == Strategy::kernel_import) {
        EXPECT_EQ(choice.strategy, Strategy::kernel_import);
        EXPECT_FALSE(choice.override_refused);
    } else {
        EXPECT_EQ(choice.strategy, expected_auto(k));
        EXPECT_TRUE(choice.override_refused);
        EXPECT_NE(choice.reason.find("refused"), std::string::npos) << choice.reason;
    }
}

TEST_P(StrategyMatrix, WaitOverrideNeedsOnlyDmaBufExport) {
    const Case k = c();
    const StrategyChoice choice = choose_strategy(caps_of(k), kernel_of(k), Mode::wait);
    if (k.dma_buf) {
        EXPECT_EQ(choice.strategy, Strategy::userspace_wait);
        EXPECT_FALSE(choice.override_refused);
    } else {
        EXPECT_EQ(choice.strategy, Strategy::passthrough);
        EXPECT_TRUE(choice.override_refused);
    }
}

TEST_P(StrategyMatrix, PassthroughOverrideIsAlwaysPossible) {
    const Case k = c();
    const StrategyChoice choice = choose_strategy(caps_of(k), kernel_of(k), Mode::passthrough);
    EXPECT_EQ(choice.strategy, Strategy::passthrough);
    EXPECT_FALSE(choice.override_refused);
}

std::string matrix_case_name(
    const ::testing::TestParamInfo<std::tuple<bool, bool, bool, bool, Ioctls>>& info) {
    const auto& [dma_buf, sem_export, sem_import, fence_import, ioctls] = info.param;
    std::string name = dma_buf ? "DmaBuf" : "NoDmaBuf";
    name += sem_export ? "_SemExport" : "_NoSemExport";
    name += sem_import ? "_SemImport" : "_NoSemImport";
    name += fence_import ? "_FenceImport" : "_NoFenceImport";
    name += std::string("_Ioctls_") + to_string(ioctls);
    return name;
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, StrategyMatrix,
    ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool(), ::testing::Bool(),
                       ::testing::Values(Ioctls::present, Ioctls::absent, Ioctls::unknown)),
    matrix_case_name);

TEST(StrategyReasons, SayWhatIsMissing) {
    Case lavapipe{false, false, false, false, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(lavapipe), kernel_of(lavapipe), Mode::automatic)
                  .reason.find("dma-buf"),
              std::string::npos);
    Case old_kernel{true, true, true, true, Ioctls::absent};
    EXPECT_NE(choose_strategy(caps_of(old_kernel), kernel_of(old_kernel), Mode::automatic)
                  .reason.find("Linux 6.0"),
              std::string::npos);
    Case no_sync_fd{true, false, false, false, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(no_sync_fd), kernel_of(no_sync_fd), Mode::automatic)
                  .reason.find("SYNC_FD"),
              std::string::npos);
}

TEST(ModeParsing, AcceptsTheDocumentedWordsOnly) {
    EXPECT_EQ(parse_mode(nullptr), Mode::automatic);
    EXPECT_EQ(parse_mode(""), Mode::automatic);
    EXPECT_EQ(parse_mode("auto"), Mode::automatic);
    EXPECT_EQ(parse_mode("import"), Mode::import);
    EXPECT_EQ(parse_mode("wait"), Mode::wait);
    EXPECT_EQ(parse_mode("passthrough"), Mode::passthrough);
    EXPECT_FALSE(parse_mode("Import").has_value());
    EXPECT_FALSE(parse_mode("fast").has_value());
}

}  // namespace
}  // namespace sb::bridge
