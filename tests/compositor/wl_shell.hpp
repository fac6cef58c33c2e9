// wl_shell v1, the core protocol's deprecated shell, for clients that know no other
// (gfxrecon-replay 0.9.18's Wayland window): a wl_shell_surface is a role with no rules, its
// window-management requests are accepted and ignored, and no configure is ever sent (the
// client chooses its size).
#pragma once

#include <wayland-server-core.h>

namespace sb::compositor {

struct Server;

wl_global* wl_shell_create(Server& server);

}  // namespace sb::compositor
