// A wl_buffer made from a single-plane linux-dmabuf import: the dma-buf, its mapping, and the
// compositor's GEM handle for read fences. Shared: the wl_buffer resource holds one reference,
// and so does every surface state and composite that still uses the buffer, so a client may
// destroy its wl_buffer at any time without pulling memory from under a pending read.
#pragma once

#include <wayland-server-core.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "compositor/content.hpp"
#include "compositor/frame_colour.hpp"
#include "compositor/frame_image.hpp"
#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"

namespace sb::compositor {

struct Server;

struct BufferLayout {
    int32_t width = 0;
    int32_t height = 0;
    uint32_t format = 0;  // DRM fourcc
    uint64_t modifier = 0;
    uint32_t offset = 0;
    uint32_t stride = 0;
    uint32_t flags = 0;  // zwp_linux_buffer_params_v1.flags
};

class Buffer : public std::enable_shared_from_this<Buffer> {
  public:
    // Checks that `dma_buf` is a dma-buf large enough for `layout`, and maps it for reading.
    static kernel::Result<std::shared_ptr<Buffer>> import(Server& server, kernel::DmaBuf dma_buf,
                                                          const BufferLayout& layout);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    // Creates the wl_buffer resource (id 0: a server-created object, for `created`).
    // Returns nullptr when out of memory (the client got no_memory).
    wl_resource* create_resource(wl_client* client, uint32_t id);
    // The buffer behind a wl_buffer resource, or nullptr if it is not one of ours.
    static std::shared_ptr<Buffer> from_resource(wl_resource* resource);

    // wl_buffer.release, as often as the release misbehaviour says (never, once, twice);
    // nothing once the client destroyed the wl_buffer.
    void send_release();

    // Reads the visible pixels. `bracketed`: inside DMA_BUF_IOCTL_SYNC begin/end(read), which
    // waits for write fences by itself, so only call it bracketed when they have signalled.
    // `copy`: also copies them out, in the same bracket, so the copy is what was checked.
    [[nodiscard]] kernel::Result<Content> read(bool bracketed, FrameImage* copy = nullptr) const;

    // The compositor's GEM handle for this buffer on its vgem fd (imported on first use).
    [[nodiscard]] kernel::Result<uint32_t> gem_handle();

    [[nodiscard]] uint32_t id() const { return id_; }
    [[nodiscard]] const BufferLayout& layout() const { return layout_; }
    [[nodiscard]] const kernel::DmaBuf& dma_buf() const { return dma_buf_; }
    [[nodiscard]] PixelOrder pixel_order() const;

    // The hash of what the compositor read from this buffer last time (the stale check).
    std::optional<uint64_t> last_read_hash;
    // Server::frames_read when it was last read (1-based; 0: never): the release order's check.
    uint64_t last_read_number = 0;

  private:
    Buffer(Server& server, kernel::DmaBuf dma_buf, kernel::DmaBufMapping mapping,
           const BufferLayout& layout);
    static void destroy_resource(wl_resource* resource);

    Server& server_;
    const uint32_t id_;
    kernel::DmaBuf dma_buf_;
    kernel::DmaBufMapping mapping_;
    BufferLayout layout_;
    std::optional<uint32_t> gem_handle_;
    wl_resource* resource_ = nullptr;
    std::shared_ptr<Buffer> resource_ref_;  // the wl_buffer resource's reference
};

}  // namespace sb::compositor
