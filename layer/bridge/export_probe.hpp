// Does the driver's SYNC_FD export wait for the GPU? Some drivers (lavapipe 25) make
// vkGetSemaphoreFdKHR block until the work behind the semaphore has finished, and return a
// signalled sync_file. Exporting at present time would then make the app's thread wait for its
// own frame, which the bridge promises never to do: such a device exports on the layer's thread.
//
// Measured, not looked up: a batch that waits on a VkEvent only the probe sets is submitted with
// an exportable semaphore; a driver whose export has not returned while the GPU is provably
// stalled on that event blocks. The event is set afterwards either way, so nothing hangs.
#pragma once

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include <chrono>
#include <string>

#include "dispatch/dispatch_table.hpp"

namespace sb::bridge {

enum class SyncFdExport {
    deferred,  // returns at once with a sync_file that signals when the work completes
    blocking,  // waits for the work before returning
    unknown,   // the probe could not run (reason in ExportProbe::detail)
};

const char* to_string(SyncFdExport behaviour);

struct ExportProbe {
    SyncFdExport behaviour = SyncFdExport::unknown;
    std::chrono::microseconds export_time{0};  // how long the export took while the GPU waited
    std::string detail;
};

// Runs the probe on `queue` (of `family`), which nobody else may use meanwhile: the layer calls
// it inside vkCreateDevice, before the app has the device. Costs one submit and, for a blocking
// driver, `blocking_threshold`.
ExportProbe probe_sync_fd_export(
    const dispatch::DeviceTable& next, VkDevice device, VkQueue queue, uint32_t family,
    PFN_vkSetDeviceLoaderData set_loader_data,
    std::chrono::milliseconds blocking_threshold = std::chrono::milliseconds(100));

}  // namespace sb::bridge
