// wp_presentation (presentation-time, v1): clock CLOCK_MONOTONIC; each feedback is either
// `presented` at the vblank that first showed its commit, or `discarded` when newer content
// replaced it first or its surface went away.
#pragma once

#include <wayland-server-core.h>

namespace sb::compositor {

struct Server;

wl_global* presentation_create(Server& server);

}  // namespace sb::compositor
