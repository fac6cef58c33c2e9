#include "kernel/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/fd_count.hpp"

namespace sb::kernel {
namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

UniqueFd make_pipe_end(UniqueFd* other) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    *other = UniqueFd(fds[1]);
    return UniqueFd(fds[0]);
}

TEST(UniqueFd, ClosesExactlyOnceOnDestruction) {
    UniqueFd w;
    int raw = -1;
    {
        UniqueFd r = make_pipe_end(&w);
        raw = r.get();
        ASSERT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnership) {
    UniqueFd w;
    UniqueFd a = make_pipe_end(&w);
    const int raw = a.get();
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseHandsOverWithoutClosing) {
    UniqueFd w;
    UniqueFd a = make_pipe_end(&w);
    const int raw = a.release();
    EXPECT_FALSE(a.valid());
    EXPECT_TRUE(is_open(raw));
    UniqueFd again(raw);
}

TEST(UniqueFd, DuplicateIsCloseOnExecAndIndependent) {
    UniqueFd w;
    UniqueFd a = make_pipe_end(&w);
    auto copy = UniqueFd::duplicate(a.get());
    ASSERT_TRUE(copy.ok());
    EXPECT_NE(copy->get(), a.get());
    EXPECT_TRUE(sb::test::has_cloexec(copy->get()));
    a.reset();
    EXPECT_TRUE(is_open(copy->get()));
}

TEST(UniqueFd, DuplicateOfABadFdIsAnErrorWithContext) {
    auto copy = UniqueFd::duplicate(-1);
    ASSERT_FALSE(copy.ok());
    EXPECT_EQ(copy.error().errnum, EBADF);
    EXPECT_EQ(copy.error().describe(), "fcntl(F_DUPFD_CLOEXEC): Bad file descriptor (errno 9)");
}

TEST(UniqueFd, NoFdGrowthOverManyCycles) {
    const int before = sb::test::open_fd_count();
    for (int i = 0; i < 100; ++i) {
        UniqueFd w;
        UniqueFd r = make_pipe_end(&w);
        auto copy = UniqueFd::duplicate(r.get());
        ASSERT_TRUE(copy.ok());
    }
    EXPECT_EQ(sb::test::open_fd_count(), before);
}

}  // namespace
}  // namespace sb::kernel
