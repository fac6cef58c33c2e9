// The probe's decision logic, with the kernel's answers injected: an old kernel must select the
// userspace-wait fallback; anything else must reach the caller as an error with its errno.
#include "kernel/probe.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/dma-buf.h>
#include <sys/mman.h>

#include <atomic>

#include "kernel/sys.hpp"

namespace sb::kernel {
namespace {

struct FakeKernel {
    static inline std::atomic<int> export_errno{0};
    static inline std::atomic<int> import_errno{0};
    static inline std::atomic<int> interruptions{0};
    static inline std::atomic<int> calls{0};

    static int ioctl(int fd, unsigned long request, void* arg) {
        ++calls;
        if (interruptions > 0) {
            --interruptions;
            errno = EINTR;
            return -1;
        }
        if (request == DMA_BUF_IOCTL_EXPORT_SYNC_FILE) {
            if (export_errno != 0) {
                errno = export_errno;
                return -1;
            }
            // Any fresh fd stands in for the sync_file the kernel would create.
            static_cast<dma_buf_export_sync_file*>(arg)->fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
            return 0;
        }
        if (request == DMA_BUF_IOCTL_IMPORT_SYNC_FILE) {
            if (import_errno != 0) {
                errno = import_errno;
                return -1;
            }
            return 0;
        }
        errno = ENOTTY;
        return -1;
    }
};

class ProbeWithFakeKernel : public ::testing::Test {
  protected:
    void SetUp() override {
        FakeKernel::export_errno = 0;
        FakeKernel::import_errno = 0;
        FakeKernel::interruptions = 0;
        FakeKernel::calls = 0;
        previous_ = set_ioctl_for_testing(&FakeKernel::ioctl);
        buffer_ = DmaBuf(UniqueFd(::memfd_create("not-a-dma-buf", MFD_CLOEXEC)));
    }
    void TearDown() override { set_ioctl_for_testing(previous_); }

    IoctlFn previous_ = nullptr;
    DmaBuf buffer_;
};

TEST_F(ProbeWithFakeKernel, BothIoctlsWorkingMeansPresent) {
    auto support = probe_sync_file_ioctls(buffer_);
    ASSERT_TRUE(support.ok()) << support.error().describe();
    EXPECT_EQ(*support, SyncFileIoctls::present);
}

TEST_F(ProbeWithFakeKernel, EnottyFromAPre60KernelMeansAbsent) {
    FakeKernel::export_errno = ENOTTY;
    auto support = probe_sync_file_ioctls(buffer_);
    ASSERT_TRUE(support.ok());
    EXPECT_EQ(*support, SyncFileIoctls::absent);
}

TEST_F(ProbeWithFakeKernel, EinvalMeansAbsent) {
    FakeKernel::export_errno = EINVAL;
    EXPECT_EQ(*probe_sync_file_ioctls(buffer_), SyncFileIoctls::absent);
}

TEST_F(ProbeWithFakeKernel, ExportWithoutImportMeansAbsent) {
    FakeKernel::import_errno = ENOTTY;
    EXPECT_EQ(*probe_sync_file_ioctls(buffer_), SyncFileIoctls::absent);
}

TEST_F(ProbeWithFakeKernel, ARevokedBufferIsAnErrorNotAnOldKernel) {
    FakeKernel::export_errno = ENODEV;
    auto support = probe_sync_file_ioctls(buffer_);
    ASSERT_FALSE(support.ok());
    EXPECT_EQ(support.error().errnum, ENODEV);
    EXPECT_STREQ(support.error().op, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
}

TEST_F(ProbeWithFakeKernel, AFailingImportKeepsItsErrnoAndContext) {
    FakeKernel::import_errno = ENOMEM;
    auto support = probe_sync_file_ioctls(buffer_);
    ASSERT_FALSE(support.ok());
    EXPECT_EQ(support.error().errnum, ENOMEM);
    EXPECT_STREQ(support.error().op, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
    EXPECT_NE(support.error().describe().find("Cannot allocate memory"), std::string::npos);
}

TEST_F(ProbeWithFakeKernel, InterruptedIoctlsAreRestarted) {
    FakeKernel::interruptions = 3;
    auto support = probe_sync_file_ioctls(buffer_);
    ASSERT_TRUE(support.ok());
    EXPECT_EQ(*support, SyncFileIoctls::present);
    EXPECT_EQ(FakeKernel::calls, 5);
}

TEST(ProbeClassification, OnlyTheOldKernelErrnosMeanAbsent) {
    EXPECT_EQ(*classify_sync_file_ioctl_failure(Error{ENOTTY, "x"}), SyncFileIoctls::absent);
    EXPECT_EQ(*classify_sync_file_ioctl_failure(Error{EINVAL, "x"}), SyncFileIoctls::absent);
    for (int errnum : {EBADF, ENODEV, ENOMEM, EPERM, EIO, EFAULT}) {
        auto result = classify_sync_file_ioctl_failure(Error{errnum, "x"});
        ASSERT_FALSE(result.ok()) << errnum;
        EXPECT_EQ(result.error().errnum, errnum);
    }
}

// With the real kernel: this host has no DRM, so no dma-buf; a memfd stands in for "a file that
// has no such ioctl", which the kernel answers with ENOTTY, as a pre-6.0 dma-buf would.
TEST(ProbeOnThisHost, AFileWithoutTheIoctlsIsReportedAbsent) {
    DmaBuf not_a_dma_buf(UniqueFd(::memfd_create("not-a-dma-buf", MFD_CLOEXEC)));
    auto support = probe_sync_file_ioctls(not_a_dma_buf);
    ASSERT_TRUE(support.ok()) << support.error().describe();
    EXPECT_EQ(*support, SyncFileIoctls::absent);
}

}  // namespace
}  // namespace sb::kernel
