#include "wsi/image_ownership.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sb::wsi {
namespace {

using E = OwnershipEvent;
using O = ImageOwner;

TEST(ImageOwnership, AFullFrameGoesAroundTheCycle) {
    ImageOwnership images(3);
    EXPECT_TRUE(images.apply(1, E::acquire));
    EXPECT_EQ(images.owner(1), O::acquired);
    EXPECT_TRUE(images.apply(1, E::queue_present));
    EXPECT_TRUE(images.apply(1, E::hand_over));
    EXPECT_EQ(images.owner(1), O::held_by_consumer);
    EXPECT_TRUE(images.apply(1, E::release));
    EXPECT_EQ(images.owner(1), O::released);
    EXPECT_TRUE(images.apply(1, E::acquire));
    EXPECT_EQ(images.refused(), 0u);
}

// Every (owner, event) pair: exactly the documented transitions are allowed.
TEST(ImageOwnership, TheTableAllowsOnlyTheDocumentedTransitions) {
    struct Allowed {
        O from;
        E event;
        O to;
    };
    const Allowed allowed[] = {
        {O::free, E::acquire, O::acquired},
        {O::released, E::acquire, O::acquired},
        {O::acquired, E::queue_present, O::queued},
        {O::queued, E::hand_over, O::held_by_consumer},
        {O::held_by_consumer, E::release, O::released},
        {O::free, E::retire, O::free},
        {O::queued, E::retire, O::free},
        {O::held_by_consumer, E::retire, O::free},
        {O::released, E::retire, O::free},
    };
    for (O from : {O::free, O::acquired, O::queued, O::held_by_consumer, O::released}) {
        for (E event : {E::acquire, E::queue_present, E::hand_over, E::release, E::retire}) {
            bool expected = false;
            O expected_to{};
            for (const auto& a : allowed) {
                if (a.from == from && a.event == event) {
                    expected = true;
                    expected_to = a.to;
                }
            }
            O to{};
            EXPECT_EQ(next_owner(from, event, &to), expected)
                << to_string(from) << " + " << to_string(event);
            if (expected) {
                EXPECT_EQ(to, expected_to) << to_string(from) << " + " << to_string(event);
            }
        }
    }
}

TEST(ImageOwnership, NeverHandsAnUnpresentedImageToTheConsumer) {
    ImageOwnership images(2);
    ASSERT_TRUE(images.apply(0, E::acquire));
    EXPECT_FALSE(images.apply(0, E::hand_over));
    EXPECT_EQ(images.owner(0), O::acquired);
    EXPECT_EQ(images.refused(), 1u);
}

TEST(ImageOwnership, NeverLetsTheAppAcquireWhatTheConsumerHolds) {
    ImageOwnership images(1);
    ASSERT_TRUE(images.apply(0, E::acquire));
    ASSERT_TRUE(images.apply(0, E::queue_present));
    ASSERT_TRUE(images.apply(0, E::hand_over));
    EXPECT_EQ(images.find_acquirable(), -1);
    EXPECT_FALSE(images.apply(0, E::acquire));
}

TEST(ImageOwnership, ADoubleReleaseIsRefusedAndCounted) {
    ImageOwnership images(1);
    ASSERT_TRUE(images.apply(0, E::acquire));
    ASSERT_TRUE(images.apply(0, E::queue_present));
    ASSERT_TRUE(images.apply(0, E::hand_over));
    EXPECT_TRUE(images.apply(0, E::release));
    EXPECT_FALSE(images.apply(0, E::release));
    EXPECT_EQ(images.refused(), 1u);
    EXPECT_EQ(images.owner(0), O::released);
}

TEST(ImageOwnership, AcquiresFreeImagesFirstThenTheLongestReleased) {
    ImageOwnership images(3);
    for (uint32_t i : {0u, 1u, 2u}) {
        ASSERT_TRUE(images.apply(i, E::acquire));
        ASSERT_TRUE(images.apply(i, E::queue_present));
        ASSERT_TRUE(images.apply(i, E::hand_over));
    }
    ASSERT_TRUE(images.apply(2, E::release));
    ASSERT_TRUE(images.apply(0, E::release));
    EXPECT_EQ(images.find_acquirable(), 2);
    ASSERT_TRUE(images.apply(1, E::retire));
    EXPECT_EQ(images.find_acquirable(), 1);
}

TEST(ImageOwnership, RetireKeepsTheAppsAcquiredImage) {
    ImageOwnership images(2);
    ASSERT_TRUE(images.apply(0, E::acquire));
    EXPECT_FALSE(images.apply(0, E::retire));
    EXPECT_EQ(images.owner(0), O::acquired);
}

TEST(ImageOwnership, ConcurrentAcquiresOfOneImageHaveExactlyOneWinner) {
    for (int round = 0; round < 50; ++round) {
        ImageOwnership images(1);
        std::atomic<int> winners{0};
        std::vector<std::thread> threads;
        threads.reserve(4);
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] { winners += images.apply(0, E::acquire) ? 1 : 0; });
        }
        for (auto& t : threads) {
            t.join();
        }
        EXPECT_EQ(winners, 1);
    }
}

TEST(ImageOwnership, OutOfRangeIndicesAreRefused) {
    ImageOwnership images(2);
    EXPECT_FALSE(images.apply(2, E::acquire));
    EXPECT_EQ(images.refused(), 1u);
}

}  // namespace
}  // namespace sb::wsi
