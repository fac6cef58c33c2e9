// The Vulkan ABI guard: an exception from anywhere below an entry point becomes the entry
// point's result, and never reaches the caller.
#include "util/abi_guard.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <system_error>

namespace sb::util {
namespace {

int g_calls = 0;

VkResult create_throws_bad_alloc(VkDevice /*device*/, uint32_t* out) {
    ++g_calls;
    *out = 1;
    throw std::bad_alloc();
}

VkResult create_throws_system_error(VkDevice /*device*/, uint32_t* /*out*/) {
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                            "thread");
}

VkResult present_throws_other(uint32_t /*index*/) {
    throw std::runtime_error("something else");
}

VkResult succeeds(VkDevice /*device*/, uint32_t* out) {
    *out = 42;
    return VK_SUBOPTIMAL_KHR;
}

void destroy_throws(VkDevice /*device*/) {
    ++g_calls;
    throw std::bad_alloc();
}

VkBool32 query_throws(uint32_t /*family*/) {
    throw 7;  // not even an exception class
}

TEST(AbiGuard, AnAllocationFailureIsOutOfHostMemory) {
    g_calls = 0;
    uint32_t out = 0;
    auto guarded = &AbiGuard<"vkCreateThing", &create_throws_bad_alloc>::call;
    EXPECT_EQ(guarded(VK_NULL_HANDLE, &out), VK_ERROR_OUT_OF_HOST_MEMORY);
    EXPECT_EQ(guarded(VK_NULL_HANDLE, &out), VK_ERROR_OUT_OF_HOST_MEMORY);
    // The arguments reached the real entry point, once per call.
    EXPECT_EQ(out, 1U);
    EXPECT_EQ(g_calls, 2);
}

TEST(AbiGuard, OtherFailuresAreInitializationFailedInCreateAndUnknownElsewhere) {
    uint32_t out = 0;
    EXPECT_EQ((AbiGuard<"vkCreateThing", &create_throws_system_error>::call(VK_NULL_HANDLE, &out)),
              VK_ERROR_INITIALIZATION_FAILED);
    EXPECT_EQ((AbiGuard<"vkQueuePresentKHR", &present_throws_other>::call(0)), VK_ERROR_UNKNOWN);
}

TEST(AbiGuard, VoidAndBooleanEntryPointsSwallowAndSayNo) {
    g_calls = 0;
    AbiGuard<"vkDestroyThing", &destroy_throws>::call(VK_NULL_HANDLE);
    EXPECT_EQ(g_calls, 1);
    EXPECT_EQ((AbiGuard<"vkGetSupport", &query_throws>::call(0)), VK_FALSE);
}

TEST(AbiGuard, ResultsAndOutputsPassThroughUnchanged) {
    uint32_t out = 0;
    EXPECT_EQ((AbiGuard<"vkCreateThing", &succeeds>::call(VK_NULL_HANDLE, &out)),
              VK_SUBOPTIMAL_KHR);
    EXPECT_EQ(out, 42U);
}

// The control: without the guard the same call throws, so the tests above see the guard's work.
TEST(AbiGuard, ControlTheUnguardedCallThrows) {
    uint32_t out = 0;
    EXPECT_THROW((void)create_throws_bad_alloc(VK_NULL_HANDLE, &out), std::bad_alloc);
    EXPECT_THROW((void)query_throws(0), int);
}

TEST(AbiGuard, TheFirstExceptionOfAnEntryPointIsLoggedOnce) {
    testing::internal::CaptureStderr();
    uint32_t out = 0;
    for (int i = 0; i < 3; ++i) {
        (void)AbiGuard<"vkCreateLogged", &create_throws_bad_alloc>::call(VK_NULL_HANDLE, &out);
    }
    const std::string log = testing::internal::GetCapturedStderr();
    const auto first = log.find("vkCreateLogged: caught an allocation failure");
    ASSERT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find("vkCreateLogged", first + 1), std::string::npos) << log;
}

int g_undone = 0;

VkResult create_that_throws_after_making(VkDevice /*device*/, uint32_t* out) {
    const UndoOnUnwind undo([] { ++g_undone; });
    *out = 1;  // made something
    throw std::bad_alloc();
}

VkResult create_that_fails_or_succeeds(VkDevice /*device*/, uint32_t* out) {
    const UndoOnUnwind undo([] { ++g_undone; });
    return *out == 0 ? VK_ERROR_OUT_OF_DEVICE_MEMORY : VK_SUCCESS;
}

TEST(UndoOnUnwind, RunsWhenAnExceptionLeavesTheScopeAndOnlyThen) {
    g_undone = 0;
    uint32_t out = 0;
    EXPECT_EQ(
        (AbiGuard<"vkCreateUndone", &create_that_throws_after_making>::call(VK_NULL_HANDLE, &out)),
        VK_ERROR_OUT_OF_HOST_MEMORY);
    EXPECT_EQ(g_undone, 1);
    out = 0;
    EXPECT_EQ(create_that_fails_or_succeeds(VK_NULL_HANDLE, &out), VK_ERROR_OUT_OF_DEVICE_MEMORY);
    out = 1;
    EXPECT_EQ(create_that_fails_or_succeeds(VK_NULL_HANDLE, &out), VK_SUCCESS);
    EXPECT_EQ(g_undone, 1);  // returns, failed or not, are the function's own business
    // Inside a handler of another exception, a scope that returns normally still does nothing.
    try {
        throw std::runtime_error("outer");
    } catch (const std::runtime_error&) {
        EXPECT_EQ(create_that_fails_or_succeeds(VK_NULL_HANDLE, &out), VK_SUCCESS);
    }
    EXPECT_EQ(g_undone, 1);
}

}  // namespace
}  // namespace sb::util
