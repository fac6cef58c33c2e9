// Queue-family ownership transfers to and from the world outside Vulkan.
//
// A barrier whose destination family is VK_QUEUE_FAMILY_FOREIGN_EXT or VK_QUEUE_FAMILY_EXTERNAL
// *releases* a resource to another user of its memory (a compositor, a video encoder, another
// API); one whose source family is either *acquires* it back. An explicit-sync driver does
// nothing at those points, but the other user synchronises implicitly, through the fences in the
// memory's dma-buf. So the layer adds a write fence at a release and waits for the dma-buf's
// fences at an acquire, at the submit that carries the barrier.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>

#include "kernel/dma_buf.hpp"

namespace sb::submit {

enum class ForeignTransfer : uint8_t { none, release, acquire };

// True for the two families that stand for users outside this Vulkan device.
constexpr bool is_outside_vulkan(uint32_t family) {
    return family == VK_QUEUE_FAMILY_FOREIGN_EXT || family == VK_QUEUE_FAMILY_EXTERNAL;
}

// What a barrier with these families does to the resource's ownership. A transfer between two
// outside families, or none at all (equal families, VK_QUEUE_FAMILY_IGNORED), is none of ours.
constexpr ForeignTransfer classify_transfer(uint32_t src_family, uint32_t dst_family) {
    if (src_family == dst_family) {
        return ForeignTransfer::none;
    }
    if (is_outside_vulkan(dst_family) && !is_outside_vulkan(src_family)) {
        return ForeignTransfer::release;
    }
    if (is_outside_vulkan(src_family) && !is_outside_vulkan(dst_family)) {
        return ForeignTransfer::acquire;
    }
    return ForeignTransfer::none;
}

// One transfer recorded in a command buffer: the dma-buf behind the resource's memory (shared,
// so that the memory may be freed before the command buffer is reset), and its direction.
struct Transfer {
    std::shared_ptr<const kernel::DmaBuf> buffer;
    ForeignTransfer direction = ForeignTransfer::none;
};

}  // namespace sb::submit
