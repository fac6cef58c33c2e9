#include "wsi/wayland/feedback_parser.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace sb::wsi::wayland {
namespace {

// Copies, not casts: the bytes come with no alignment promise.
template <typename T>
T load(std::span<const std::byte> bytes, size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

kernel::Error malformed(const char* what) {
    return kernel::Error{EPROTO, what};
}

}  // namespace

kernel::Result<std::vector<FormatModifier>> parse_format_table(std::span<const std::byte> bytes) {
    if (bytes.size() % kFormatTableEntrySize != 0) {
        return malformed("format table: size is not a multiple of 16 bytes");
    }
    const size_t entries = bytes.size() / kFormatTableEntrySize;
    if (entries > kMaxFormatTableEntries) {
        return malformed("format table: more entries than a 16-bit index can name");
    }
    std::vector<FormatModifier> table;
    table.reserve(entries);
    for (size_t i = 0; i < entries; ++i) {
        const size_t at = i * kFormatTableEntrySize;
        table.push_back({load<uint32_t>(bytes, at), load<uint64_t>(bytes, at + 8)});
    }
    return table;
}

kernel::Result<std::vector<FormatModifier>> formats_at_indices(
    std::span<const FormatModifier> table, std::span<const std::byte> indices) {
    if (indices.size() % sizeof(uint16_t) != 0) {
        return malformed("tranche_formats: not a whole number of 16-bit indices");
    }
    std::vector<FormatModifier> formats;
    formats.reserve(indices.size() / sizeof(uint16_t));
    for (size_t at = 0; at < indices.size(); at += sizeof(uint16_t)) {
        const uint16_t index = load<uint16_t>(indices, at);
#ifndef SYNCBRIDGE_FUZZ_PLANTED_OOB  // the fuzzers' control (tests/fuzz) leaves the check out
        if (index >= table.size()) {
            return malformed("tranche_formats: an index past the format table's end");
        }
#endif
        formats.push_back(table.data()[index]);
    }
    return formats;
}

kernel::Result<dev_t> parse_device(std::span<const std::byte> bytes) {
    if (bytes.size() != sizeof(dev_t)) {
        return malformed("device: not the size of a dev_t");
    }
    return load<dev_t>(bytes, 0);
}

kernel::Result<std::vector<std::byte>> read_format_table_file(int fd, uint32_t size) {
    if (size > kMaxFormatTableEntries * kFormatTableEntrySize) {
        return malformed("format table: more entries than a 16-bit index can name");
    }
    // fstat first: a size beyond the file is refused before any memory is spent on it.
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return malformed("format table: the fd is not a readable file");
    }
    if (st.st_size < static_cast<off_t>(size)) {
        return malformed("format table: the file is shorter than the size sent");
    }
    std::vector<std::byte> bytes(size);
    size_t got = 0;
    while (got < size) {
        const ssize_t n = ::pread(fd, bytes.data() + got, size - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return malformed("format table: the file cannot be read to the size sent");
        }
        got += static_cast<size_t>(n);
    }
    return bytes;
}

void FeedbackParser::on_error(const kernel::Error& error) {
    if (!failed_) {
        failed_ = true;
        error_ = error;
    }
}

void FeedbackParser::on_format_table(std::span<const std::byte> bytes) {
    auto table = parse_format_table(bytes);
    if (!table) {
        table_.clear();
        on_error(table.error());
        return;
    }
    table_ = std::move(*table);
}

void FeedbackParser::on_main_device(std::span<const std::byte> bytes) {
    auto device = parse_device(bytes);
    if (!device) {
        on_error(device.error());
        return;
    }
    feedback_.main_device = *device;
}

void FeedbackParser::on_tranche_target_device(std::span<const std::byte> bytes) {
    auto device = parse_device(bytes);
    if (!device) {
        on_error(device.error());
        return;
    }
    tranche_.target_device = *device;
}

void FeedbackParser::on_tranche_formats(std::span<const std::byte> indices) {
    auto formats = formats_at_indices(table_, indices);
    if (!formats) {
        on_error(formats.error());
        return;
    }
    // The protocol allows several tranche_formats events per tranche: they add up.
    tranche_.formats.insert(tranche_.formats.end(), formats->begin(), formats->end());
}

void FeedbackParser::on_tranche_flags(uint32_t flags) {
    tranche_.flags = flags;
}

void FeedbackParser::on_tranche_done() {
    feedback_.tranches.push_back(std::move(tranche_));
    tranche_ = FeedbackTranche{};
}

void FeedbackParser::on_done() {
    done_ = true;
}

kernel::Result<DmabufFeedback> FeedbackParser::finish() && {
    if (failed_) {
        return error_;
    }
    if (!done_) {
        return malformed("feedback: incomplete (no done event)");
    }
    return std::move(feedback_);
}

size_t UniqueFormatList::PairHash::operator()(const FormatModifier& pair) const {
    return std::hash<uint64_t>{}(pair.modifier) ^ (std::hash<uint32_t>{}(pair.drm_format) << 1);
}

void UniqueFormatList::add(const FormatModifier& pair) {
    if (seen_.insert(pair).second) {
        pairs_.push_back(pair);
    }
}

std::vector<FormatModifier> pairs_of(const DmabufFeedback& feedback) {
    UniqueFormatList list;
    for (const FeedbackTranche& tranche : feedback.tranches) {
        for (const FormatModifier& pair : tranche.formats) {
            list.add(pair);
        }
    }
    return std::move(list).take();
}

}  // namespace sb::wsi::wayland
