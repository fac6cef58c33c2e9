// wl_output, version 2: one output the size of the toplevels (or 1024x768), refreshing every
// refresh_ms. Offered with wl_drm only (Options::wl_drm_device), for Xwayland: its rootless
// windows' resolution emulation takes the first output without checking that there is one.
#pragma once

#include <wayland-server-core.h>

namespace sb::compositor {

struct Server;

wl_global* output_create(Server& server);

}  // namespace sb::compositor
