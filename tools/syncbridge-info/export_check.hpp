// syncbridge-info's run of the layer's SYNC_FD export probe (bridge/export_probe.hpp) on a
// device of its own: does this driver's export wait for the GPU?
#pragma once

#include <vulkan/vulkan.h>

#include "bridge/export_probe.hpp"
#include "dispatch/dispatch_table.hpp"

namespace sb::info {

// Creates a device on `pd` with SYNC_FD semaphores, probes, destroys it.
bridge::ExportProbe check_sync_fd_export(const dispatch::InstanceTable& instance_table,
                                         VkPhysicalDevice pd);

}  // namespace sb::info
