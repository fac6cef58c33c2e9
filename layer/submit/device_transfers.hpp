// A bridging device's state for foreign queue-family transfers: which memory is a dma-buf, which
// command buffers carry transfers, and the submit-time fences.
#pragma once

#include "submit/external_memory.hpp"
#include "submit/submit_bridge.hpp"
#include "submit/transfer_log.hpp"

namespace sb::submit {

struct DeviceTransfers {
    DeviceTransfers(const dispatch::DeviceTable& next, VkDevice device,
                    PFN_vkSetDeviceLoaderData set_loader_data, std::vector<QueueFamily> queues,
                    TransferPaths paths)
        : bridge(next, device, set_loader_data, std::move(queues), paths) {}

    ExternalMemoryTable memory;
    TransferLog log;
    SubmitBridge bridge;
};

}  // namespace sb::submit
