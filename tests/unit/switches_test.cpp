// The layer's environment switches: one table, complete and consistent.
#include "util/switches.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <string>
#include <string_view>

namespace sb::util {
namespace {

TEST(Switches, NamesAreTheLayersOwnAndUniqueAndTestSwitchesSayTheyAre) {
    std::set<std::string> names;
    for (const SwitchInfo& info : all_switches()) {
        const std::string_view name = info.name;
        EXPECT_TRUE(name.starts_with("SYNCBRIDGE_")) << name;
        EXPECT_TRUE(names.insert(info.name).second) << name << " twice";
        EXPECT_EQ(info.test_only, name.starts_with("SYNCBRIDGE_TEST_")) << name;
        EXPECT_NE(std::string_view(info.effect), "") << name;
        EXPECT_EQ(&switch_info(info.which), &info);
    }
    EXPECT_EQ(switch_info(Switch::wayland_sync).name, std::string_view("SYNCBRIDGE_WAYLAND_SYNC"));
}

TEST(Switches, AnEmptyValueIsUnsetAndValuesAreReadAtEachCall) {
    const char* name = switch_info(Switch::test_no_syncobj_eventfd).name;
    ::unsetenv(name);
    EXPECT_EQ(switch_value(Switch::test_no_syncobj_eventfd), nullptr);
    ::setenv(name, "", 1);
    EXPECT_EQ(switch_value(Switch::test_no_syncobj_eventfd), nullptr);
    EXPECT_FALSE(switch_is(Switch::test_no_syncobj_eventfd, ""));
    ::setenv(name, "1", 1);
    EXPECT_STREQ(switch_value(Switch::test_no_syncobj_eventfd), "1");
    EXPECT_TRUE(switch_is(Switch::test_no_syncobj_eventfd, "1"));
    EXPECT_FALSE(switch_is(Switch::test_no_syncobj_eventfd, "10"));
    ::unsetenv(name);
    EXPECT_FALSE(switch_is(Switch::test_no_syncobj_eventfd, "1"));
}

}  // namespace
}  // namespace sb::util
