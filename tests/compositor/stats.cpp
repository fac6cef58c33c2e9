#include "compositor/stats.hpp"

#include <cinttypes>
#include <cstdio>
#include <utility>

namespace sb::compositor {

std::string describe(const CommitRecord& r) {
    auto frame = [](const std::optional<uint32_t>& f) {
        return f ? std::to_string(*f) : std::string("none");
    };
    char line[400];
    std::snprintf(line, sizeof line,
                  "commit %" PRIu64
                  " surface %u buffer %u: pixel 0x%08x frame %s (expected %s), read %.1f ms "
                  "after the commit%s%s%s%s%s%s%s",
                  r.commit, r.surface, r.buffer, r.first_pixel, frame(r.frame).c_str(),
                  frame(r.expected_frame).c_str(),
                  std::chrono::duration<double, std::milli>(r.commit_to_read).count(),
                  r.waited ? " (waited for write fences)" : "", r.stale ? " STALE" : "",
                  r.torn ? " TORN" : "", r.skipped ? " skipped" : "",
                  r.overwritten ? " OVERWRITTEN" : "", r.wait_timed_out ? " wait-timeout" : "",
                  r.read_error ? " read-error" : "");
    return line;
}

std::string summary_line(const Counters& c) {
    const std::pair<const char*, uint64_t> fields[] = {
        {"commits", c.commits},
        {"frames_checked", c.frames_checked},
        {"stale", c.stale},
        {"torn", c.torn},
        {"overwrites", c.overwrites},
        {"skipped", c.skipped},
        {"fence_waits", c.fence_waits},
        {"wait_timeouts", c.wait_timeouts},
        {"read_errors", c.read_errors},
        {"read_fences", c.read_fences_signalled},
        {"read_fences_refused", c.read_fences_refused},
        {"releases", c.releases_sent},
        {"releases_reordered", c.releases_reordered},
        {"shm_frames", c.shm_frames},
        {"feedback_presented", c.feedback_presented},
        {"feedback_discarded", c.feedback_discarded},
        {"frame_callbacks", c.frame_callbacks_done},
        {"configures", c.configures_sent},
        {"buffers", c.buffers_created},
        {"rejected", c.buffers_rejected},
        {"clients", c.clients_connected},
        {"vanished", c.clients_vanished},
        {"explicit_frames", c.explicit_frames},
        {"protocol_errors", c.protocol_errors},
    };
    std::string line;
    for (const auto& [name, value] : fields) {
        if (!line.empty()) {
            line += ' ';
        }
        line += name;
        line += '=';
        line += std::to_string(value);
    }
    return line;
}

Counters Stats::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

std::vector<CommitRecord> Stats::commits() const {
    std::lock_guard lock(mutex_);
    return records_;
}

void Stats::update(const std::function<void(Counters&)>& change) {
    {
        std::lock_guard lock(mutex_);
        change(counters_);
    }
    changed_.notify_all();
}

size_t Stats::add_record(const CommitRecord& record) {
    size_t index = SIZE_MAX;
    {
        std::lock_guard lock(mutex_);
        counters_.frames_checked++;
        counters_.stale += record.stale ? 1 : 0;
        counters_.torn += record.torn ? 1 : 0;
        counters_.skipped += record.skipped ? 1 : 0;
        counters_.wait_timeouts += record.wait_timed_out ? 1 : 0;
        counters_.read_errors += record.read_error ? 1 : 0;
        if (records_.size() < kMaxRecords) {
            index = records_.size();
            records_.push_back(record);
        }
    }
    changed_.notify_all();
    return index;
}

void Stats::mark_overwritten(size_t index) {
    {
        std::lock_guard lock(mutex_);
        counters_.overwrites++;
        if (index < records_.size()) {
            records_[index].overwritten = true;
        }
    }
    changed_.notify_all();
}

void Stats::keep_image(FrameImage image) {
    std::lock_guard lock(mutex_);
    image_ = std::move(image);
}

std::optional<FrameImage> Stats::kept_image() const {
    std::lock_guard lock(mutex_);
    return image_;
}

bool Stats::wait_until(const std::function<bool(const Counters&)>& done,
                       std::chrono::nanoseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(counters_); });
}

}  // namespace sb::compositor
