#include "wsi/wayland/dmabuf_buffers.hpp"

#include <cerrno>
#include <cstdint>

#include "util/log.hpp"

namespace sb::wsi::wayland {
namespace {

struct Pending {
    BufferParamsPtr params;
    BufferPtr buffer;
    bool failed = false;
};

// create_immed answers success with silence; `created` belongs to the other request, `create`.
void params_created(void* /*data*/, zwp_linux_buffer_params_v1* /*params*/, wl_buffer* /*buffer*/) {
}

void params_failed(void* data, zwp_linux_buffer_params_v1* /*params*/) {
    static_cast<Pending*>(data)->failed = true;
}

constexpr zwp_linux_buffer_params_v1_listener kParamsListener = {
    .created = params_created,
    .failed = params_failed,
};

kernel::Status request_buffer(zwp_linux_dmabuf_v1* dmabuf, const BufferDescription& desc,
                              Pending* pending) {
    if (desc.width > INT32_MAX || desc.height > INT32_MAX) {
        return kernel::Error{ERANGE, "zwp_linux_buffer_params_v1.create_immed (size)"};
    }
    // New objects inherit the factory's queue: params and buffer land on the private queue.
    pending->params.reset(zwp_linux_dmabuf_v1_create_params(dmabuf));
    if (!pending->params) {
        return kernel::Error{ENOMEM, "zwp_linux_dmabuf_v1.create_params"};
    }
    zwp_linux_buffer_params_v1_add_listener(pending->params.get(), &kParamsListener, pending);
    // The caller's fd goes in as it is: libwayland sends a duplicate of every fd argument
    // (F_DUPFD_CLOEXEC when the request is marshalled, closed once sent), so the caller keeps
    // its own and nothing here may close it.
    zwp_linux_buffer_params_v1_add(pending->params.get(), desc.dma_buf_fd, 0, desc.offset,
                                   desc.stride, static_cast<uint32_t>(desc.modifier >> 32),
                                   static_cast<uint32_t>(desc.modifier & 0xffffffffu));
    pending->buffer.reset(zwp_linux_buffer_params_v1_create_immed(
        pending->params.get(), static_cast<int32_t>(desc.width), static_cast<int32_t>(desc.height),
        desc.drm_format, 0));
    if (!pending->buffer) {
        return kernel::Error{ENOMEM, "zwp_linux_buffer_params_v1.create_immed"};
    }
    return {};
}

}  // namespace

kernel::Result<std::vector<BufferPtr>> create_dmabuf_buffers(
    PrivateQueue& queue, zwp_linux_dmabuf_v1* dmabuf, const std::vector<BufferDescription>& buffers,
    std::chrono::milliseconds timeout) {
    // Sized once: the params listeners point into it.
    std::vector<Pending> pending(buffers.size());
    for (size_t i = 0; i < buffers.size(); ++i) {
        if (auto st = request_buffer(dmabuf, buffers[i], &pending[i]); !st) {
            return st.error();
        }
    }
    // One roundtrip for all: a refusal (`failed`, or a protocol error) arrives before its answer.
    if (auto st = queue.roundtrip(timeout); !st) {
        return st.error();
    }
    std::vector<BufferPtr> made;
    made.reserve(buffers.size());
    for (size_t i = 0; i < pending.size(); ++i) {
        if (pending[i].failed) {
            const BufferDescription& desc = buffers[i];
            SB_LOG(error,
                   "wayland: the compositor refused image %zu's dma-buf (%ux%u, format 0x%08x, "
                   "modifier 0x%016llx, offset %u, stride %u)",
                   i, desc.width, desc.height, desc.drm_format,
                   static_cast<unsigned long long>(desc.modifier), desc.offset, desc.stride);
            return kernel::Error{EINVAL, "zwp_linux_buffer_params_v1.failed"};
        }
        made.push_back(std::move(pending[i].buffer));
    }
    // The params are single-use; destroying them (with `pending`) leaves the buffers alive.
    return made;
}

}  // namespace sb::wsi::wayland
