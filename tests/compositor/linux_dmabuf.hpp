// zwp_linux_dmabuf_v1, version 3: advertises format + modifier pairs (format and modifier
// events, no v4 feedback), and makes single-plane wl_buffers with create (created / failed) or
// create_immed.
#pragma once

#include <wayland-server-core.h>

namespace sb::compositor {

struct Server;

constexpr uint32_t kLinuxDmabufVersion = 3;

wl_global* linux_dmabuf_create(Server& server);

}  // namespace sb::compositor
