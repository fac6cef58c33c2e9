#include "export_check.hpp"

#include <string>

namespace sb::info {
namespace {

// Objects made through the loader's own entry points already carry its dispatch pointer.
VKAPI_ATTR VkResult VKAPI_CALL already_dispatchable(VkDevice /*device*/, void* /*object*/) {
    return VK_SUCCESS;
}

}  // namespace

bridge::ExportProbe check_sync_fd_export(const dispatch::InstanceTable& instance_table,
                                         VkPhysicalDevice pd) {
    const float priority = 1.0F;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = 0;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    const char* extensions[] = {"VK_KHR_external_semaphore_fd"};
    VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = extensions;
    VkDevice device = VK_NULL_HANDLE;
    if (VkResult r = instance_table.CreateDevice(pd, &info, nullptr, &device); r != VK_SUCCESS) {
        bridge::ExportProbe failed;
        failed.detail = "vkCreateDevice failed (VkResult " + std::to_string(r) + ")";
        return failed;
    }
    dispatch::DeviceTable table;
    dispatch::load_device_table(table, device, vkGetDeviceProcAddr);
    VkQueue queue = VK_NULL_HANDLE;
    table.GetDeviceQueue(device, 0, 0, &queue);
    bridge::ExportProbe probe =
        bridge::probe_sync_fd_export(table, device, queue, 0, &already_dispatchable);
    table.DestroyDevice(device, nullptr);
    return probe;
}

}  // namespace sb::info
