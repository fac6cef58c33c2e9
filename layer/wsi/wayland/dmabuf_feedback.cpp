#include "wsi/wayland/dmabuf_feedback.hpp"

#include <cerrno>
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

// The listener only unpacks the events; FeedbackParser (feedback_parser.hpp) judges them.
FeedbackParser* parser_of(void* data) {
    return static_cast<FeedbackParser*>(data);
}

std::span<const std::byte> bytes_of(const wl_array* array) {
    return {static_cast<const std::byte*>(array->data), array->size};
}

void on_done(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/) {
    parser_of(data)->on_done();
}

// The fd is ours: it is closed here whatever happens.
void on_format_table(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, int32_t fd,
                     uint32_t size) {
    const kernel::UniqueFd table_fd(fd);
    auto bytes = read_format_table_file(table_fd.get(), size);
    if (!bytes) {
        parser_of(data)->on_error(bytes.error());
        return;
    }
    parser_of(data)->on_format_table(*bytes);
}

void on_main_device(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, wl_array* device) {
    parser_of(data)->on_main_device(bytes_of(device));
}

void on_tranche_done(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/) {
    parser_of(data)->on_tranche_done();
}

void on_tranche_target_device(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/,
                              wl_array* device) {
    parser_of(data)->on_tranche_target_device(bytes_of(device));
}

void on_tranche_formats(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, wl_array* indices) {
    parser_of(data)->on_tranche_formats(bytes_of(indices));
}

void on_tranche_flags(void* data, zwp_linux_dmabuf_feedback_v1* /*feedback*/, uint32_t flags) {
    parser_of(data)->on_tranche_flags(flags);
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
    FeedbackParser parser;
    zwp_linux_dmabuf_feedback_v1_add_listener(feedback.get(), &kFeedbackListener, &parser);
    // The compositor sends the whole feedback at once, ending with `done`.
    if (auto st = queue.roundtrip(timeout); !st) {
        return st.error();
    }
    return std::move(parser).finish();
}

}  // namespace sb::wsi::wayland
