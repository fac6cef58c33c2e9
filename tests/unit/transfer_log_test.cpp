// Foreign transfers on the host: which barriers are transfers, which memory is a dma-buf, and
// the command buffer records from recording to submit (layer/submit). Handles are made-up
// values: nothing here calls Vulkan. The dma-bufs are memfds (the table only keeps the fds).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <vector>

#include "submit/external_memory.hpp"
#include "submit/foreign_transfer.hpp"
#include "submit/transfer_log.hpp"

namespace sb::submit {
namespace {

// Made-up handles: addresses inside one scratch array, never dereferenced; equal values give
// equal handle values, whatever the type.
char* scratch(size_t value) {
    static char bytes[256];
    return &bytes[value % sizeof(bytes)];
}

template <typename Handle>
Handle fake(size_t value) {
    return reinterpret_cast<Handle>(scratch(value));
}

kernel::DmaBuf memfd() {
    return kernel::DmaBuf(kernel::UniqueFd(::memfd_create("sb-fake-dma-buf", MFD_CLOEXEC)));
}

std::shared_ptr<const kernel::DmaBuf> shared_memfd() {
    return std::make_shared<const kernel::DmaBuf>(memfd());
}

TEST(ForeignTransfer, OnlyBarriersBetweenVulkanAndTheOutsideAreTransfers) {
    constexpr uint32_t kForeign = VK_QUEUE_FAMILY_FOREIGN_EXT;
    constexpr uint32_t kExternal = VK_QUEUE_FAMILY_EXTERNAL;
    constexpr uint32_t kIgnored = VK_QUEUE_FAMILY_IGNORED;
    EXPECT_EQ(classify_transfer(0, kForeign), ForeignTransfer::release);
    EXPECT_EQ(classify_transfer(2, kExternal), ForeignTransfer::release);
    EXPECT_EQ(classify_transfer(kForeign, 0), ForeignTransfer::acquire);
    EXPECT_EQ(classify_transfer(kExternal, 1), ForeignTransfer::acquire);
    EXPECT_EQ(classify_transfer(0, 1), ForeignTransfer::none);  // between two of our families
    EXPECT_EQ(classify_transfer(kIgnored, kIgnored), ForeignTransfer::none);
    EXPECT_EQ(classify_transfer(kForeign, kForeign), ForeignTransfer::none);
    EXPECT_EQ(classify_transfer(kForeign, kExternal), ForeignTransfer::none);
    EXPECT_EQ(classify_transfer(kIgnored, kForeign), ForeignTransfer::release);
}

TEST(ExternalMemoryTable, ResourcesFindTheirMemorysDmaBufUntilItIsFreed) {
    ExternalMemoryTable table;
    EXPECT_TRUE(table.empty());
    const auto memory = fake<VkDeviceMemory>(100);
    const auto ordinary = fake<VkDeviceMemory>(200);
    table.add_memory(memory, memfd());
    EXPECT_FALSE(table.empty());

    table.bind_buffer(fake<VkBuffer>(1), memory);
    table.bind_image(fake<VkImage>(1), memory);  // same handle value, other type
    table.bind_buffer(fake<VkBuffer>(2), ordinary);
    const auto found = table.buffer_memory(fake<VkBuffer>(1));
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(table.image_memory(fake<VkImage>(1)), found);
    EXPECT_EQ(table.buffer_memory(fake<VkBuffer>(2)), nullptr);

    // A buffer rebound (a reused handle) to ordinary memory is forgotten.
    table.bind_image(fake<VkImage>(1), ordinary);
    EXPECT_EQ(table.image_memory(fake<VkImage>(1)), nullptr);

    // Freed memory: its resources find nothing, and only records still holding the dma-buf
    // keep its fd open.
    const int fd = found->fd();
    table.remove_memory(memory);
    EXPECT_TRUE(table.empty());
    EXPECT_EQ(table.buffer_memory(fake<VkBuffer>(1)), nullptr);
    EXPECT_EQ(found.use_count(), 1);
    EXPECT_GE(::fcntl(fd, F_GETFD), 0);
}

class TransferLogTest : public ::testing::Test {
  protected:
    VkCommandBuffer cb(size_t value) { return fake<VkCommandBuffer>(value); }

    std::vector<Transfer> acquires_of(VkCommandBuffer buffer) const {
        std::vector<Transfer> acquires;
        std::vector<Transfer> releases;
        log_.collect(buffer, &acquires, &releases);
        return acquires;
    }
    std::vector<Transfer> releases_of(VkCommandBuffer buffer) const {
        std::vector<Transfer> acquires;
        std::vector<Transfer> releases;
        log_.collect(buffer, &acquires, &releases);
        return releases;
    }

    TransferLog log_;
    const VkCommandPool pool_a_ = fake<VkCommandPool>(10);
    const VkCommandPool pool_b_ = fake<VkCommandPool>(11);
    const std::shared_ptr<const kernel::DmaBuf> buffer_ = shared_memfd();
};

TEST_F(TransferLogTest, RecordsSplitIntoAcquiresAndReleasesInOrder) {
    const VkCommandBuffer buffers[] = {cb(1)};
    log_.allocated(pool_a_, buffers, 1);
    EXPECT_TRUE(log_.empty());
    const auto other = shared_memfd();
    log_.record(cb(1), {buffer_, ForeignTransfer::acquire});
    log_.record(cb(1), {other, ForeignTransfer::release});
    log_.record(cb(1), {buffer_, ForeignTransfer::release});
    EXPECT_FALSE(log_.empty());
    ASSERT_EQ(acquires_of(cb(1)).size(), 1u);
    const auto releases = releases_of(cb(1));
    ASSERT_EQ(releases.size(), 2u);
    EXPECT_EQ(releases[0].buffer, other);
    EXPECT_EQ(releases[1].buffer, buffer_);
    EXPECT_TRUE(releases_of(cb(2)).empty());
}

TEST_F(TransferLogTest, BeginningResettingFreeingAndPoolsEndRecords) {
    const VkCommandBuffer in_a[] = {cb(1), cb(2)};
    const VkCommandBuffer in_b[] = {cb(3)};
    log_.allocated(pool_a_, in_a, 2);
    log_.allocated(pool_b_, in_b, 1);
    auto record_all = [&] {
        for (size_t i = 1; i <= 3; ++i) {
            log_.record(cb(i), {buffer_, ForeignTransfer::release});
        }
    };

    record_all();
    log_.reset(cb(1));  // vkBeginCommandBuffer or vkResetCommandBuffer
    EXPECT_TRUE(releases_of(cb(1)).empty());
    EXPECT_EQ(releases_of(cb(2)).size(), 1u);

    log_.pool_reset(pool_a_);
    EXPECT_TRUE(releases_of(cb(2)).empty());
    EXPECT_EQ(releases_of(cb(3)).size(), 1u) << "another pool's buffer lost its record";

    record_all();
    log_.freed(in_b, 1);
    EXPECT_TRUE(releases_of(cb(3)).empty());
    log_.pool_destroyed(pool_a_);
    EXPECT_TRUE(log_.empty());
    // Every record is gone, and with them every reference to the dma-buf but the test's.
    EXPECT_EQ(buffer_.use_count(), 1);
}

TEST_F(TransferLogTest, APrimaryCarriesTheTransfersOfTheSecondariesItExecutes) {
    const VkCommandBuffer buffers[] = {cb(1), cb(2), cb(3)};
    log_.allocated(pool_a_, buffers, 3);
    log_.record(cb(2), {buffer_, ForeignTransfer::acquire});
    log_.record(cb(3), {buffer_, ForeignTransfer::release});
    const VkCommandBuffer secondaries[] = {cb(2), cb(3)};
    log_.executed(cb(1), secondaries, 2);
    EXPECT_EQ(acquires_of(cb(1)).size(), 1u);
    EXPECT_EQ(releases_of(cb(1)).size(), 1u);
}

TEST_F(TransferLogTest, AReusedHandleStartsEmpty) {
    const VkCommandBuffer buffers[] = {cb(1)};
    log_.allocated(pool_a_, buffers, 1);
    log_.record(cb(1), {buffer_, ForeignTransfer::release});
    // A driver may hand out a handle again; the new command buffer starts with nothing.
    log_.allocated(pool_b_, buffers, 1);
    EXPECT_TRUE(releases_of(cb(1)).empty());
}

}  // namespace
}  // namespace sb::submit
