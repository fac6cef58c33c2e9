// The generated zwp_linux_dmabuf_v1 client API and owners for its objects.
#pragma once

#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "wsi/wayland/proxy.hpp"

namespace sb::wsi::wayland {

// The oldest version this window system uses: `format` + `modifier` events, and create_immed
// (since 2).
constexpr uint32_t kLinuxDmabufVersion = 3;
// The newest: the pairs come from the default feedback (dmabuf_feedback.hpp) instead, with the
// compositor's main device.
constexpr uint32_t kLinuxDmabufFeedbackVersion = 4;

struct DmabufDestroyer {
    void operator()(zwp_linux_dmabuf_v1* dmabuf) const { zwp_linux_dmabuf_v1_destroy(dmabuf); }
    void operator()(zwp_linux_buffer_params_v1* params) const {
        zwp_linux_buffer_params_v1_destroy(params);
    }
};

using DmabufPtr = std::unique_ptr<zwp_linux_dmabuf_v1, DmabufDestroyer>;
using BufferParamsPtr = std::unique_ptr<zwp_linux_buffer_params_v1, DmabufDestroyer>;

}  // namespace sb::wsi::wayland
