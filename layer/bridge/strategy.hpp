// The one sync strategy a device gets, chosen once from what its driver and the kernel can do.
//
//   kernel_import  render-done fences travel as sync_files into the dma-buf (IMPORT_SYNC_FILE)
//                  and the consumer's reads come back out (EXPORT_SYNC_FILE): no CPU waits.
//   userspace_wait the layer's own thread waits for the GPU before handing a buffer over, and
//                  polls the dma-buf before handing it back: correct, at some latency.
//   passthrough    the layer cannot help this driver (no dma-buf export): it stays out of the way.
#pragma once

#include <optional>
#include <string>

#include "bridge/capabilities.hpp"
#include "bridge/kernel_support.hpp"

namespace sb::bridge {

enum class Strategy { kernel_import, userspace_wait, passthrough };
enum class Mode { automatic, import, wait, passthrough };

struct StrategyChoice {
    Strategy strategy = Strategy::passthrough;
    std::string reason;             // why this strategy, in words a user can act on
    bool override_refused = false;  // SYNCBRIDGE_MODE asked for something impossible
};

// SYNCBRIDGE_MODE=auto|import|wait|passthrough; nullopt for text that is none of these.
std::optional<Mode> parse_mode(const char* text);

// Pure: the same inputs always give the same choice (the tests walk the whole matrix).
StrategyChoice choose_strategy(const DeviceCapabilities& caps, const KernelSupport& kernel,
                               Mode requested);

// Who allocates a bridged swapchain's dma-bufs: the driver when it can export them, the layer
// when it cannot (kernel/dma_buf_allocator.hpp). `layer_requested` (SYNCBRIDGE_MEMORY=layer)
// makes the layer allocate for a driver that imports too: a consumer that mishandles the
// driver's own dma-bufs (Mesa 25's llvmpipe in weston 14 faults on lavapipe 25's udmabuf-backed
// ones) takes the layer's. Pure, like choose_strategy: the layer and syncbridge-info both ask it.
struct AllocatorChoice {
    bool layer_allocates = false;
    std::string reason;             // why, in words a user can act on
    bool override_refused = false;  // SYNCBRIDGE_MEMORY=layer asked for something impossible
};
AllocatorChoice choose_allocator(const DeviceCapabilities& caps, const KernelSupport& kernel,
                                 bool layer_requested);

const char* to_string(Strategy strategy);
const char* to_string(Mode mode);

}  // namespace sb::bridge
