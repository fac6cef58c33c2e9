#include "kernel/sync_file.hpp"

#include <linux/sync_file.h>
#include <poll.h>

#include <cstring>

namespace sb::kernel {

Result<SyncFile> SyncFile::duplicate_from(int fd) {
    if (fd < 0) {
        return SyncFile{};
    }
    auto copy = UniqueFd::duplicate(fd);
    if (!copy) {
        return copy.error();
    }
    return SyncFile(std::move(copy).value());
}

Result<SyncFile> SyncFile::merge(const SyncFile& a, const SyncFile& b) {
    if (a.is_stub()) {
        return b.duplicate();
    }
    if (b.is_stub()) {
        return a.duplicate();
    }
    sync_merge_data data{};
    std::strncpy(data.name, "syncbridge", sizeof(data.name) - 1);
    data.fd2 = b.fd();
    // The kernel creates the merged fd with O_CLOEXEC.
    if (auto st = checked_ioctl(a.fd(), SYNC_IOC_MERGE, &data, "SYNC_IOC_MERGE"); !st) {
        return st.error();
    }
    return SyncFile(UniqueFd(data.fence));
}

Result<WaitOutcome> SyncFile::wait(std::chrono::nanoseconds timeout) const {
    if (is_stub()) {
        return WaitOutcome::ready;
    }
    // A sync_file is readable (POLLIN) once all of its fences have signalled.
    return poll_until(fd(), POLLIN, timeout, "poll(sync_file)");
}

Result<bool> SyncFile::is_signalled() const {
    auto outcome = wait(std::chrono::nanoseconds(0));
    if (!outcome) {
        return outcome.error();
    }
    return *outcome == WaitOutcome::ready;
}

Result<SyncFileInfo> SyncFile::info() const {
    if (is_stub()) {
        return SyncFileInfo{SyncFileInfo::State::signalled, 0, 0};
    }
    // num_fences == 0 asks only for the count and status, without the per-fence array.
    sync_file_info raw{};
    if (auto st = checked_ioctl(fd(), SYNC_IOC_FILE_INFO, &raw, "SYNC_IOC_FILE_INFO"); !st) {
        return st.error();
    }
    SyncFileInfo out;
    out.fence_count = raw.num_fences;
    if (raw.status > 0) {
        out.state = SyncFileInfo::State::signalled;
    } else if (raw.status < 0) {
        out.state = SyncFileInfo::State::error;
        out.fence_error = raw.status;
    }
    return out;
}

Result<SyncFile> SyncFile::duplicate() const {
    return duplicate_from(fd());
}

}  // namespace sb::kernel
