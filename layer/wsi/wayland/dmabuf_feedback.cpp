#include "wsi/wayland/dmabuf_feedback.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "kernel/unique_fd.hpp"

namespace sb::wsi::wayland {
namespace {

struct FeedbackDestroyer {
    void operator()(zwp_linux_dmabuf_feedback_v1* feedback) const {
        zwp_linux_dmabuf_feedback_v1_destroy(feedback);
    }
};
using FeedbackPtr = std::unique_ptr<zwp_linux_dmabuf_feedback_v1, FeedbackDestroyer>;

// The format table's entry layout, fixed by the protocol.
struct TableEntry {
    uint32_t format;
    uint32_t padding;
    uint64_t modifier;
};

struct Collector {
    DmabufFeedback feedback;
    std::vector<FormatModifier> table;
    FeedbackTranche tranche;  // being received
    bool done = false;
    bool malformed = false;
};

dev_t device_of(const wl_array* array, bool* malformed) {
    dev_t device = 0;
    if (array->size != sizeof device) {
        *malformed = true;
        return 0;
    }
    std::memcpy(&device, array->data, sizeof device);
    return device;
}

void on_done(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/) {
    static_cast<Collector*>(data)->done = true;
}

// The fd is ours: it is closed here whatever happens.
void on_format_table(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, int32_t fd,
                     uint32_t size) {
    auto* c = static_cast<Collector*>(data);
    const kernel::UniqueFd table_fd(fd);
    c->table.clear();
    if (size % sizeof(TableEntry) != 0) {
        c->malformed = true;
        return;
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, table_fd.get(), 0);
    if (map == MAP_FAILED) {
        c->malformed = true;
        return;
    }
    const auto* entries = static_cast<const TableEntry*>(map);
    for (size_t i = 0; i < size / sizeof(TableEntry); ++i) {
        c->table.push_back({entries[i].format, entries[i].modifier});
    }
    ::munmap(map, size);
}

void on_main_device(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, wl_array* device) {
    auto* c = static_cast<Collector*>(data);
    c->feedback.main_device = device_of(device, &c->malformed);
}

void on_tranche_done(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/) {
    auto* c = static_cast<Collector*>(data);
    c->feedback.tranches.push_back(std::move(c->tranche));
    c->tranche = FeedbackTranche{};
}

void on_tranche_target_device(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/,
                              wl_array* device) {
    auto* c = static_cast<Collector*>(data);
    c->tranche.target_device = device_of(device, &c->malformed);
}

void on_tranche_formats(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, wl_array* indices) {
    auto* c = static_cast<Collector*>(data);
    const auto* index = static_cast<const uint16_t*>(indices->data);
    for (size_t i = 0; i < indices->size / sizeof(uint16_t); ++i) {
        if (index[i] >= c->table.size()) {
            c->malformed = true;
            return;
        }
        c->tranche.formats.push_back(c->table[index[i]]);
    }
}

void on_tranche_flags(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, uint32_t flags) {
    static_cast<Collector*>(data)->tranche.flags = flags;
}

constexpr zwp_linux_dmabuf_feedback_v1_listener kFeedbackListener = {
    .done = on_done,
    .format_table = on_format_table,
    .main_device = on_main_device,
    .tranche_done = on_tranche_done,
    .tranche_target_device = on_tranche_target_device,
    .tranche_formats = on_tranche_formats,
    .tranche_flags = on_tranche_flags,
};

}  // namespace

kernel::Result<DmabufFeedback> read_default_feedback(zwp_linux_dmabuf_v1* dmabuf,
                                                     PrivateQueue& queue,
                                                     std::chrono::milliseconds timeout) {
    // The feedback object inherits `dmabuf`'s queue: its events never reach the app.
    FeedbackPtr feedback(zwp_linux_dmabuf_v1_get_default_feedback(dmabuf));
    if (!feedback) {
        return kernel::Error{ENOMEM, "zwp_linux_dmabuf_v1.get_default_feedback"};
    }
    Collector collector;
    zwp_linux_dmabuf_feedback_v1_add_listener(feedback.get(), &kFeedbackListener, &collector);
    // The compositor sends the whole feedback at once, ending with `done`.
    if (auto st = queue.roundtrip(timeout); !st) {
        return st.error();
    }
    if (!collector.done || collector.malformed) {
        return kernel::Error{EPROTO, "zwp_linux_dmabuf_feedback_v1 (incomplete or malformed)"};
    }
    return std::move(collector.feedback);
}

}  // namespace sb::wsi::wayland
