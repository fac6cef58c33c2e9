// The parsers of what a compositor sends about the dma-bufs it takes, as pure functions over
// bytes: no Wayland, so that tests and fuzzers (tests/fuzz) can feed them anything. Everything
// here is compositor-supplied and untrusted: bad input is an EPROTO error naming the defect,
// never a read out of bounds, a crash or an unbounded allocation.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "kernel/result.hpp"
#include "wsi/window_system.hpp"

namespace sb::wsi::wayland {

// The format table's entry, fixed by linux-dmabuf v4: format (u32), padding (u32), modifier
// (u64), native endian.
inline constexpr size_t kFormatTableEntrySize = 16;
// Tranches name entries by 16-bit index: entries past 65536 can never be named, so a bigger
// table is refused rather than read (it would only cost memory).
inline constexpr size_t kMaxFormatTableEntries = 65536;

struct FeedbackTranche {
    dev_t target_device = 0;
    uint32_t flags = 0;  // ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT
    std::vector<FormatModifier> formats;
};

struct DmabufFeedback {
    dev_t main_device = 0;                  // the device the compositor composites with
    std::vector<FeedbackTranche> tranches;  // most preferred first
};

// The table's pairs, in table order. EPROTO when the size is not a whole number of entries or
// the table has more entries than an index can name.
kernel::Result<std::vector<FormatModifier>> parse_format_table(std::span<const std::byte> bytes);

// The table entries that a tranche_formats array (16-bit indices) names, in its order. EPROTO
// when the array is not a whole number of indices or an index is past the table's end.
kernel::Result<std::vector<FormatModifier>> formats_at_indices(
    std::span<const FormatModifier> table, std::span<const std::byte> indices);

// A dev_t sent as a wl_array (main_device, tranche_target_device). EPROTO unless it is exactly
// a dev_t's size.
kernel::Result<dev_t> parse_device(std::span<const std::byte> bytes);

// The format table the compositor shares as a file: `size` bytes read with pread, not mmap, so
// that a table shorter than announced (or truncated meanwhile) is a short read, not a SIGBUS.
// EPROTO when the fd cannot be read (a pipe, a socket, ...) or holds less than `size` bytes.
kernel::Result<std::vector<std::byte>> read_format_table_file(int fd, uint32_t size);

// A zwp_linux_dmabuf_feedback_v1's events, in the order they come, gathered into one feedback.
// The first defect is kept: finish() reports it.
class FeedbackParser {
  public:
    void on_format_table(std::span<const std::byte> bytes);
    void on_main_device(std::span<const std::byte> bytes);
    void on_tranche_target_device(std::span<const std::byte> bytes);
    void on_tranche_formats(std::span<const std::byte> indices);
    void on_tranche_flags(uint32_t flags);
    void on_tranche_done();
    void on_done();
    // A defect found outside the parser (the table's fd could not be read).
    void on_error(const kernel::Error& error);

    [[nodiscard]] bool done() const { return done_; }
    // The feedback once `done` came and nothing was wrong; else the first defect (EPROTO), or
    // "incomplete" when `done` never came.
    kernel::Result<DmabufFeedback> finish() &&;

  private:
    DmabufFeedback feedback_;
    std::vector<FormatModifier> table_;
    FeedbackTranche tranche_;  // being received
    bool done_ = false;
    bool failed_ = false;
    kernel::Error error_{};
};

// Format + modifier pairs, each kept once, in the order first added. Linear in what is added:
// a compositor's list of any length cannot make it quadratic.
class UniqueFormatList {
  public:
    void add(const FormatModifier& pair);
    [[nodiscard]] const std::vector<FormatModifier>& pairs() const { return pairs_; }
    std::vector<FormatModifier> take() && { return std::move(pairs_); }

  private:
    struct PairHash {
        size_t operator()(const FormatModifier& pair) const;
    };
    struct PairEqual {
        bool operator()(const FormatModifier& a, const FormatModifier& b) const {
            return a.drm_format == b.drm_format && a.modifier == b.modifier;
        }
    };
    std::vector<FormatModifier> pairs_;
    std::unordered_set<FormatModifier, PairHash, PairEqual> seen_;
};

// Every tranche's pairs, most preferred tranche first, each once.
std::vector<FormatModifier> pairs_of(const DmabufFeedback& feedback);

}  // namespace sb::wsi::wayland
