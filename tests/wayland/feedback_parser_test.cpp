// The linux-dmabuf feedback's parsers (layer/wsi/wayland/feedback_parser) over bytes, without a
// compositor: good input parsed in full, each defect a hostile compositor can send refused with
// EPROTO, and the format table read from its file without trusting the size sent.
#include "wsi/wayland/feedback_parser.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "kernel/unique_fd.hpp"

namespace sb::wsi::wayland {
namespace {

constexpr uint32_t kXR24 = 0x34325258;
constexpr uint32_t kAR24 = 0x34325241;
constexpr uint64_t kTiled = 0x0100000000000002;

std::vector<std::byte> table_bytes(const std::vector<FormatModifier>& pairs) {
    std::vector<std::byte> bytes(pairs.size() * kFormatTableEntrySize);
    for (size_t i = 0; i < pairs.size(); ++i) {
        std::memcpy(&bytes[i * 16], &pairs[i].drm_format, 4);
        std::memcpy(&bytes[i * 16 + 8], &pairs[i].modifier, 8);
    }
    return bytes;
}

std::vector<std::byte> index_bytes(const std::vector<uint16_t>& indices) {
    std::vector<std::byte> bytes(indices.size() * 2);
    std::memcpy(bytes.data(), indices.data(), bytes.size());
    return bytes;
}

template <typename T>
std::string op_of(const kernel::Result<T>& result) {
    return result ? "ok" : result.error().op;
}

TEST(FeedbackParser, ATableAndItsIndicesGiveThePairsInTheTranchesOrder) {
    const std::vector<FormatModifier> pairs = {{kXR24, 0}, {kAR24, 0}, {kXR24, kTiled}};
    auto table = parse_format_table(table_bytes(pairs));
    ASSERT_TRUE(table) << op_of(table);
    ASSERT_EQ(table->size(), 3u);
    EXPECT_EQ((*table)[2].modifier, kTiled);
    auto named = formats_at_indices(*table, index_bytes({2, 0, 2}));
    ASSERT_TRUE(named) << op_of(named);
    ASSERT_EQ(named->size(), 3u);
    EXPECT_EQ((*named)[0].modifier, kTiled);
    EXPECT_EQ((*named)[1].drm_format, kXR24);
}

TEST(FeedbackParser, EachDefectIsRefusedWithEproto) {
    const auto good = table_bytes({{kXR24, 0}, {kAR24, 0}});
    auto short_table = parse_format_table(std::span(good).first(good.size() - 1));
    ASSERT_FALSE(short_table);
    EXPECT_EQ(short_table.error().errnum, EPROTO);
    // 65537 entries: one no index can name.
    const std::vector<std::byte> huge((kMaxFormatTableEntries + 1) * kFormatTableEntrySize);
    EXPECT_FALSE(parse_format_table(huge));
    EXPECT_TRUE(parse_format_table(std::span(huge).first(huge.size() - 16)));

    auto table = parse_format_table(good);
    ASSERT_TRUE(table);
    auto past = formats_at_indices(*table, index_bytes({0, 2}));
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().errnum, EPROTO);
    auto odd = index_bytes({1});
    odd.push_back(std::byte{0});
    EXPECT_FALSE(formats_at_indices(*table, odd));
    EXPECT_FALSE(formats_at_indices({}, index_bytes({0})));  // indices before any table

    EXPECT_FALSE(parse_device(std::vector<std::byte>(sizeof(dev_t) - 1)));
    EXPECT_TRUE(parse_device(std::vector<std::byte>(sizeof(dev_t))));
}

TEST(FeedbackParser, TheFirstDefectIsReportedAndNothingIsTakenWithoutDone) {
    const auto table = table_bytes({{kXR24, 0}});
    FeedbackParser good;
    good.on_format_table(table);
    good.on_tranche_formats(index_bytes({0}));
    good.on_tranche_done();
    good.on_done();
    auto feedback = std::move(good).finish();
    ASSERT_TRUE(feedback) << op_of(feedback);
    ASSERT_EQ(feedback->tranches.size(), 1u);
    EXPECT_EQ(feedback->tranches[0].formats.size(), 1u);

    FeedbackParser unfinished;
    unfinished.on_format_table(table);
    EXPECT_FALSE(std::move(unfinished).finish());

    FeedbackParser bad;
    bad.on_format_table(table);
    bad.on_tranche_formats(index_bytes({1}));
    bad.on_main_device(std::vector<std::byte>(3));
    bad.on_done();
    auto refused = std::move(bad).finish();
    ASSERT_FALSE(refused);
    EXPECT_EQ(std::string(refused.error().op),
              "tranche_formats: an index past the format table's end");
}

kernel::UniqueFd memfd_with(const std::vector<std::byte>& bytes) {
    kernel::UniqueFd fd(memfd_create("table", MFD_CLOEXEC));
    EXPECT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    return fd;
}

TEST(FeedbackParser, TheTableFileIsReadOnlyAsFarAsItReallyGoes) {
    const auto bytes = table_bytes({{kXR24, 0}, {kAR24, kTiled}});
    const kernel::UniqueFd fd = memfd_with(bytes);
    auto read = read_format_table_file(fd.get(), static_cast<uint32_t>(bytes.size()));
    ASSERT_TRUE(read) << op_of(read);
    EXPECT_EQ(*read, bytes);
    // A size past the file's end: a mapping of it would fault (SIGBUS) on the first entry
    // beyond the last page; here it is an error before anything is read.
    EXPECT_FALSE(read_format_table_file(fd.get(), 4096 * 16));
    EXPECT_FALSE(read_format_table_file(fd.get(), (kMaxFormatTableEntries + 1) * 16));

    int pipe_fds[2];
    ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
    const kernel::UniqueFd reader(pipe_fds[0]);
    const kernel::UniqueFd writer(pipe_fds[1]);
    EXPECT_FALSE(read_format_table_file(reader.get(), 16));
}

// A hostile list's length cannot make the dedup quadratic: 65536 distinct pairs, each sent
// twice (the most a feedback table can name), in well under a second.
TEST(FeedbackParser, UniquePairsStayLinearInTheListsLength) {
    const auto start = std::chrono::steady_clock::now();
    UniqueFormatList list;
    for (int round = 0; round < 2; ++round) {
        for (uint32_t i = 0; i < kMaxFormatTableEntries; ++i) {
            list.add({kXR24 + (i & 1), uint64_t{i} << 8});
        }
    }
    EXPECT_EQ(list.pairs().size(), kMaxFormatTableEntries);
    EXPECT_EQ(list.pairs()[1].modifier, uint64_t{1} << 8);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace sb::wsi::wayland
