// zwp_linux_dmabuf_v1 version 4 feedback: the compositor's main device and, per tranche in order
// of preference, the format + modifier pairs it takes (from the shared format table). Versions
// 4 and later send no `modifier` events: this is the only way to learn the pairs there.
#pragma once

#include <chrono>

#include "kernel/result.hpp"
#include "wsi/wayland/feedback_parser.hpp"
#include "wsi/wayland/linux_dmabuf.hpp"
#include "wsi/wayland/private_queue.hpp"

namespace sb::wsi::wayland {

// The default feedback of `dmabuf` (bound at version 4 or later on `queue`): one roundtrip.
// EPROTO when the compositor sends anything unusable (feedback_parser.hpp: a table of the
// wrong size or in an unreadable fd, an index past its end, ...).
kernel::Result<DmabufFeedback> read_default_feedback(zwp_linux_dmabuf_v1* dmabuf,
                                                     PrivateQueue& queue,
                                                     std::chrono::milliseconds timeout);

}  // namespace sb::wsi::wayland
