// The strategy matrix: every capability combination, every override.
#include "bridge/strategy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

namespace sb::bridge {
namespace {

using Ioctls = KernelSupport::SyncFileIoctls;

// How the driver gets dma-buf swapchain images.
enum class Memory { exports, imports_only, none };

struct Case {
    Memory memory;
    bool allocator;  // the kernel offers a dma-buf source for an import-only driver
    bool sem_export;
    bool sem_import;
    bool fence_import;
    Ioctls ioctls;
};

DeviceCapabilities caps_of(const Case& c) {
    DeviceCapabilities caps;
    caps.dma_buf_extension = c.memory != Memory::none;
    caps.dma_buf_image_export = c.memory == Memory::exports;
    caps.dma_buf_image_import = c.memory != Memory::none;
    caps.semaphore_sync_fd_export = c.sem_export;
    caps.semaphore_sync_fd_import = c.sem_import;
    caps.fence_sync_fd_import = c.fence_import;
    return caps;
}

KernelSupport kernel_of(const Case& c) {
    return KernelSupport{c.ioctls, c.allocator, "test"};
}

// Whether the swapchain can have dma-buf images at all.
bool has_dma_bufs(const Case& c) {
    return c.memory == Memory::exports || (c.memory == Memory::imports_only && c.allocator);
}

// What auto must pick, written out independently of the implementation.
Strategy expected_auto(const Case& c) {
    if (!has_dma_bufs(c)) {
        return Strategy::passthrough;
    }
    const bool can_import =
        c.sem_export && (c.sem_import || c.fence_import) && c.ioctls == Ioctls::present;
    return can_import ? Strategy::kernel_import : Strategy::userspace_wait;
}

using Params = std::tuple<Memory, bool, bool, bool, bool, Ioctls>;

class StrategyMatrix : public ::testing::TestWithParam<Params> {
  protected:
    Case c() const {
        auto [m, a, se, si, fi, io] = GetParam();
        return Case{m, a, se, si, fi, io};
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

TEST_P(StrategyMatrix, WaitOverrideNeedsOnlyDmaBufImages) {
    const Case k = c();
    const StrategyChoice choice = choose_strategy(caps_of(k), kernel_of(k), Mode::wait);
    if (has_dma_bufs(k)) {
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

std::string matrix_case_name(const ::testing::TestParamInfo<Params>& info) {
    const auto& [memory, allocator, sem_export, sem_import, fence_import, ioctls] = info.param;
    std::string name = memory == Memory::exports        ? "DmaBufExport"
                       : memory == Memory::imports_only ? "DmaBufImportOnly"
                                                        : "NoDmaBuf";
    name += allocator ? "_Allocator" : "_NoAllocator";
    name += sem_export ? "_SemExport" : "_NoSemExport";
    name += sem_import ? "_SemImport" : "_NoSemImport";
    name += fence_import ? "_FenceImport" : "_NoFenceImport";
    name += std::string("_Ioctls_") + to_string(ioctls);
    return name;
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, StrategyMatrix,
    ::testing::Combine(::testing::Values(Memory::exports, Memory::imports_only, Memory::none),
                       ::testing::Bool(), ::testing::Bool(), ::testing::Bool(), ::testing::Bool(),
                       ::testing::Values(Ioctls::present, Ioctls::absent, Ioctls::unknown)),
    matrix_case_name);

TEST(StrategyReasons, SayWhatIsMissing) {
    Case lavapipe{Memory::none, true, false, false, false, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(lavapipe), kernel_of(lavapipe), Mode::automatic)
                  .reason.find("dma-buf"),
              std::string::npos);
    Case old_kernel{Memory::exports, true, true, true, true, Ioctls::absent};
    EXPECT_NE(choose_strategy(caps_of(old_kernel), kernel_of(old_kernel), Mode::automatic)
                  .reason.find("Linux 6.0"),
              std::string::npos);
    Case no_sync_fd{Memory::exports, true, false, false, false, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(no_sync_fd), kernel_of(no_sync_fd), Mode::automatic)
                  .reason.find("SYNC_FD"),
              std::string::npos);
    Case import_only{Memory::imports_only, true, true, true, true, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(import_only), kernel_of(import_only), Mode::automatic)
                  .reason.find("the layer allocates"),
              std::string::npos);
    Case import_only_no_source{Memory::imports_only, false, true, true, true, Ioctls::present};
    EXPECT_NE(choose_strategy(caps_of(import_only_no_source), kernel_of(import_only_no_source),
                              Mode::automatic)
                  .reason.find("no dma-buf allocator"),
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

// Who allocates: the driver that exports, unless SYNCBRIDGE_MEMORY=layer and the layer can
// (the driver imports, the kernel has a dma-buf source); the layer for a driver that only
// imports, whatever the switch says.
TEST(AllocatorChoice, DriverExportsUnlessTheLayerIsAskedAndAble) {
    struct AllocatorCase {
        Memory memory;
        bool allocator;
        bool layer_requested;
        bool layer_allocates;
        bool refused;
    };
    const AllocatorCase cases[] = {
        {Memory::exports, true, false, false, false},
        {Memory::exports, true, true, true, false},
        {Memory::exports, false, true, false, true},  // no source: refused
        {Memory::imports_only, true, false, true, false},
        {Memory::imports_only, true, true, true, false},
        {Memory::none, false, false, true, false},  // (passthrough: never used)
    };
    for (const AllocatorCase& c : cases) {
        const Case device{c.memory, c.allocator, true, true, true, Ioctls::present};
        const AllocatorChoice choice =
            choose_allocator(caps_of(device), kernel_of(device), c.layer_requested);
        EXPECT_EQ(choice.layer_allocates, c.layer_allocates)
            << static_cast<int>(c.memory) << c.allocator << c.layer_requested;
        EXPECT_EQ(choice.override_refused, c.refused)
            << static_cast<int>(c.memory) << c.allocator << c.layer_requested;
        EXPECT_FALSE(choice.reason.empty());
    }
}

}  // namespace
}  // namespace sb::bridge
