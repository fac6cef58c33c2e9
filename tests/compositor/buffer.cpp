#include "compositor/buffer.hpp"

#include <drm_fourcc.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <wayland-server-protocol.h>

#include <algorithm>
#include <cerrno>

#include "compositor/server.hpp"

namespace sb::compositor {
namespace {

void handle_destroy(wl_client* /*client*/, wl_resource* resource) {
    wl_resource_destroy(resource);
}

const struct wl_buffer_interface kBufferImpl = {
    .destroy = handle_destroy,
};

}  // namespace

kernel::Result<std::shared_ptr<Buffer>> Buffer::import(Server& server, kernel::DmaBuf dma_buf,
                                                       const BufferLayout& layout) {
    // A GPU compositor's EGL import would refuse anything else (a memfd, a pipe).
    struct statfs fs {};
    if (::fstatfs(dma_buf.fd(), &fs) != 0) {
        return kernel::last_error("fstatfs(dma-buf)");
    }
    if (fs.f_type != DMA_BUF_MAGIC) {
        return kernel::Error{EBADF, "linux-dmabuf import: the fd is not a dma-buf"};
    }
    auto size = dma_buf.size();
    if (!size) {
        return size.error();
    }
    const PixelRect rect{layout.offset, layout.stride, layout.width, layout.height};
    if (!rect_fits(rect, *size)) {
        return kernel::Error{EINVAL, "linux-dmabuf import: the plane does not fit the dma-buf"};
    }
    auto mapping = dma_buf.map(*size, kernel::Access::read);
    if (!mapping) {
        return mapping.error();
    }
    return std::shared_ptr<Buffer>(
        new Buffer(server, std::move(dma_buf), std::move(mapping).value(), layout));
}

Buffer::Buffer(Server& server, kernel::DmaBuf dma_buf, kernel::DmaBufMapping mapping,
               const BufferLayout& layout)
    : server_(server),
      id_(server.next_buffer_id++),
      dma_buf_(std::move(dma_buf)),
      mapping_(std::move(mapping)),
      layout_(layout) {}

Buffer::~Buffer() {
    if (gem_handle_ && server_.gem) {
        server_.gem->release(*gem_handle_);
    }
}

wl_resource* Buffer::create_resource(wl_client* client, uint32_t id) {
    wl_resource* resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
    if (resource == nullptr) {
        wl_client_post_no_memory(client);
        return nullptr;
    }
    wl_resource_set_implementation(resource, &kBufferImpl, this, &Buffer::destroy_resource);
    resource_ = resource;
    resource_ref_ = shared_from_this();
    server_.stats.update([](Counters& c) { c.buffers_created++; });
    return resource;
}

void Buffer::destroy_resource(wl_resource* resource) {
    auto* self = static_cast<Buffer*>(wl_resource_get_user_data(resource));
    self->resource_ = nullptr;
    // May free the buffer: the last statement that touches it.
    std::shared_ptr<Buffer> last = std::move(self->resource_ref_);
}

std::shared_ptr<Buffer> Buffer::from_resource(wl_resource* resource) {
    if (resource == nullptr ||
        wl_resource_instance_of(resource, &wl_buffer_interface, &kBufferImpl) == 0) {
        return nullptr;
    }
    return static_cast<Buffer*>(wl_resource_get_user_data(resource))->shared_from_this();
}

void Buffer::send_release() {
    if (resource_ == nullptr) {
        return;
    }
    int times = 1;
    switch (server_.options.release_misbehaviour) {
        case ReleaseMisbehaviour::none:
            break;
        case ReleaseMisbehaviour::never:
            times = 0;
            break;
        case ReleaseMisbehaviour::twice:
            times = 2;
            break;
    }
    for (int i = 0; i < times; ++i) {
        wl_buffer_send_release(resource_);
    }
    const bool reordered = last_read_number < server_.newest_read_released;
    server_.newest_read_released = std::max(server_.newest_read_released, last_read_number);
    server_.stats.update([&](Counters& c) {
        c.releases_sent += times;
        c.releases_reordered += reordered ? 1 : 0;
    });
}

kernel::Result<Content> Buffer::read(bool bracketed, FrameImage* copy) const {
    if (bracketed) {
        if (auto st = dma_buf_.begin_cpu_access(kernel::Access::read); !st) {
            return st.error();
        }
    }
    const PixelRect rect{layout_.offset, layout_.stride, layout_.width, layout_.height};
    const auto* memory = static_cast<const uint8_t*>(mapping_.data());
    const Content content = inspect_pixels(memory, mapping_.size(), rect);
    if (copy != nullptr) {
        *copy = copy_pixels(memory, mapping_.size(), rect);
        copy->format = layout_.format;
    }
    if (bracketed) {
        if (auto st = dma_buf_.end_cpu_access(kernel::Access::read); !st) {
            return st.error();
        }
    }
    return content;
}

kernel::Result<uint32_t> Buffer::gem_handle() {
    if (!gem_handle_) {
        if (!server_.gem) {
            return kernel::Error{ENODEV, "read fence: the compositor has no vgem device"};
        }
        auto handle = server_.gem->acquire(dma_buf_);
        if (!handle) {
            return handle.error();
        }
        gem_handle_ = *handle;
    }
    return *gem_handle_;
}

PixelOrder Buffer::pixel_order() const {
    return layout_.format == DRM_FORMAT_ABGR8888 || layout_.format == DRM_FORMAT_XBGR8888
               ? PixelOrder::abgr
               : PixelOrder::argb;
}

}  // namespace sb::compositor
