// SYNCBRIDGE_TEST_FAULT: the spec's grammar, and which call of a site fails.
#include "util/fault.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>

#include "util/switches.hpp"

namespace sb::util {
namespace {

TEST(Fault, SpecsNameASiteACallOrEveryAndAnErrnoOrVkResultForTheSitesKind) {
    auto specs = parse_fault_specs(
        "import_sync_file:10,get_semaphore_fd:every:VK_ERROR_DEVICE_LOST,export_sync_file:3:"
        "ENODEV");
    ASSERT_TRUE(specs);
    ASSERT_EQ(specs->size(), 3u);
    EXPECT_EQ((*specs)[0].site, FaultSite::import_sync_file);
    EXPECT_EQ((*specs)[0].call, 10u);
    EXPECT_EQ((*specs)[0].value, EIO);  // the kernel sites' default
    EXPECT_EQ((*specs)[1].site, FaultSite::get_semaphore_fd);
    EXPECT_EQ((*specs)[1].call, 0u);  // every call
    EXPECT_EQ((*specs)[1].value, VK_ERROR_DEVICE_LOST);
    EXPECT_EQ((*specs)[2].value, ENODEV);
    EXPECT_EQ((*parse_fault_specs("import_fence_fd:1"))[0].value, VK_ERROR_OUT_OF_HOST_MEMORY);
}

TEST(Fault, AMalformedEntryRejectsTheWholeSpec) {
    EXPECT_FALSE(parse_fault_specs("no_such_site:1"));
    EXPECT_FALSE(parse_fault_specs("import_sync_file"));
    EXPECT_FALSE(parse_fault_specs("import_sync_file:0"));
    EXPECT_FALSE(parse_fault_specs("import_sync_file:x"));
    EXPECT_FALSE(parse_fault_specs("import_sync_file:1:VK_ERROR_DEVICE_LOST"));  // a kernel site
    EXPECT_FALSE(parse_fault_specs("get_semaphore_fd:1:EIO"));                   // a Vulkan site
    EXPECT_FALSE(parse_fault_specs("import_sync_file:1,bogus"));
}

TEST(Fault, OnlyTheNamedCallOfTheNamedSiteFailsAndUnsetInjectsNothing) {
    const char* name = switch_info(Switch::test_fault).name;
    ::unsetenv(name);
    reset_faults_for_test();
    EXPECT_FALSE(injected_fault(FaultSite::import_sync_file));

    ::setenv(name, "import_sync_file:3:ENOMEM,alloc_dma_buf:every", 1);
    reset_faults_for_test();
    EXPECT_FALSE(injected_fault(FaultSite::import_sync_file));
    EXPECT_FALSE(injected_fault(FaultSite::export_sync_file));  // other sites count apart
    EXPECT_FALSE(injected_fault(FaultSite::import_sync_file));
    EXPECT_EQ(injected_fault(FaultSite::import_sync_file), ENOMEM);
    EXPECT_FALSE(injected_fault(FaultSite::import_sync_file));
    EXPECT_EQ(injected_fault(FaultSite::alloc_dma_buf), EIO);
    EXPECT_EQ(injected_fault(FaultSite::alloc_dma_buf), EIO);

    ::setenv(name, "import_sync_file:nonsense", 1);
    reset_faults_for_test();
    EXPECT_FALSE(injected_fault(FaultSite::import_sync_file));
    ::unsetenv(name);
    reset_faults_for_test();
}

}  // namespace
}  // namespace sb::util
