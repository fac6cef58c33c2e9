// A sync_file: one fd that stands for a set of dma_fences and signals when all of them have.
// It is how a fence crosses between the kernel, Vulkan (SYNC_FD payloads) and other processes.
#pragma once

#include <chrono>
#include <cstdint>

#include "kernel/result.hpp"
#include "kernel/sys.hpp"
#include "kernel/unique_fd.hpp"

namespace sb::kernel {

struct SyncFileInfo {
    enum class State { active, signalled, error };
    State state = State::active;
    int fence_error = 0;  // the first fence's error (negative errno) when state == error
    uint32_t fence_count = 0;
};

class SyncFile {
  public:
    // The signalled stub: no fd at all, as Vulkan's SYNC_FD export may return (-1) for work that
    // has already completed. Every wait on it returns at once.
    SyncFile() = default;
    explicit SyncFile(UniqueFd fd) : fd_(std::move(fd)) {}

    // Takes a second reference to a sync_file someone else owns.
    static Result<SyncFile> duplicate_from(int fd);

    // Merges two sync_files into one that signals when both have (SYNC_IOC_MERGE). Merging with
    // the stub is a plain duplicate: the stub adds no fence.
    static Result<SyncFile> merge(const SyncFile& a, const SyncFile& b);

    [[nodiscard]] bool is_stub() const { return !fd_.valid(); }
    [[nodiscard]] int fd() const { return fd_.get(); }
    // For handing the payload to a consumer that takes ownership (e.g. vkImportSemaphoreFdKHR).
    [[nodiscard]] UniqueFd take_fd() { return std::move(fd_); }

    // Blocks until every fence signals or `timeout` passes (negative: forever).
    [[nodiscard]] Result<WaitOutcome> wait(std::chrono::nanoseconds timeout) const;
    // Never blocks.
    [[nodiscard]] Result<bool> is_signalled() const;
    [[nodiscard]] Result<SyncFileInfo> info() const;
    [[nodiscard]] Result<SyncFile> duplicate() const;

  private:
    UniqueFd fd_;
};

}  // namespace sb::kernel
