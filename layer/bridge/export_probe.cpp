#include "bridge/export_probe.hpp"

#include <future>
#include <thread>

#include "bridge/fence_transfer.hpp"
#include "kernel/sync_file.hpp"
#include "util/host_alloc.hpp"
#include "util/thread.hpp"

namespace sb::bridge {
namespace {

constexpr uint64_t kDrainTimeoutNs = 5'000'000'000;

// The probe's Vulkan objects, destroyed in one place whatever the outcome.
struct ProbeObjects {
    const dispatch::DeviceTable& next;
    VkDevice device;
    VkCommandPool pool = VK_NULL_HANDLE;
    VkCommandBuffer commands = VK_NULL_HANDLE;
    VkEvent event = VK_NULL_HANDLE;
    VkSemaphore carrier = VK_NULL_HANDLE;
    VkFence done = VK_NULL_HANDLE;
    bool submitted = false;

    ProbeObjects(const dispatch::DeviceTable& table, VkDevice dev) : next(table), device(dev) {}
    ProbeObjects(const ProbeObjects&) = delete;
    ProbeObjects& operator=(const ProbeObjects&) = delete;
    ~ProbeObjects() {
        if (submitted) {
            // Nothing may be destroyed while the batch is pending; if it never finishes the
            // device is broken, and leaking these beats a use-after-free in the driver.
            (void)next.SetEvent(device, event);
            if (next.WaitForFences(device, 1, &done, VK_TRUE, kDrainTimeoutNs) != VK_SUCCESS) {
                return;
            }
        }
        next.DestroyFence(device, done, nullptr);
        next.DestroySemaphore(device, carrier, nullptr);
        next.DestroyEvent(device, event, nullptr);
        next.DestroyCommandPool(device, pool, util::c_heap_callbacks());  // frees `commands`
    }
};

VkResult create_objects(ProbeObjects& o, uint32_t family,
                        PFN_vkSetDeviceLoaderData set_loader_data) {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.queueFamilyIndex = family;
    // The pool's memory comes from the C heap, not the app's callbacks. lavapipe 22.3.6 records
    // vkCmdWaitEvents through vk_common_CmdPipelineBarrier, which asks the pool's allocator for
    // zero bytes for each empty barrier array; an app allocator that answers that with NULL (the
    // Vulkan CTS's does) sends lavapipe down an error path that hands pfnFree two pointers into
    // its own stack (the CTS's simulate_oom cases aborted in "free(): invalid pointer" here).
    // kernel.wsi-layer-swapchain DeviceCreationWithAnAllocatorThatRefusesZeroBytes fails
    // without this.
    if (VkResult r =
            o.next.CreateCommandPool(o.device, &pool_info, util::c_heap_callbacks(), &o.pool);
        r != VK_SUCCESS) {
        return r;
    }
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = o.pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    if (VkResult r = o.next.AllocateCommandBuffers(o.device, &alloc, &o.commands);
        r != VK_SUCCESS) {
        return r;
    }
    // A dispatchable object made below the loader: layers under this one find their state
    // through its dispatch pointer, which only the loader's callback sets.
    if (VkResult r = set_loader_data(o.device, o.commands); r != VK_SUCCESS) {
        return r;
    }
    VkEventCreateInfo event_info{VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
    if (VkResult r = o.next.CreateEvent(o.device, &event_info, nullptr, &o.event);
        r != VK_SUCCESS) {
        return r;
    }
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (VkResult r = o.next.CreateFence(o.device, &fence_info, nullptr, &o.done); r != VK_SUCCESS) {
        return r;
    }
    return create_exportable_semaphore(o.next, o.device, &o.carrier);
}

// A batch the GPU cannot finish before the host sets the event (allowed outside a render pass),
// signalling the carrier.
VkResult submit_stalled_batch(ProbeObjects& o, VkQueue queue) {
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (VkResult r = o.next.BeginCommandBuffer(o.commands, &begin); r != VK_SUCCESS) {
        return r;
    }
    o.next.CmdWaitEvents(o.commands, 1, &o.event, VK_PIPELINE_STAGE_HOST_BIT,
                         VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, nullptr, 0, nullptr, 0, nullptr);
    if (VkResult r = o.next.EndCommandBuffer(o.commands); r != VK_SUCCESS) {
        return r;
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &o.commands;
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &o.carrier;
    const VkResult r = o.next.QueueSubmit(queue, 1, &submit, o.done);
    o.submitted = r == VK_SUCCESS;
    return r;
}

struct Exported {
    VkResult result = VK_ERROR_UNKNOWN;
    int fd = -1;
};

Exported export_carrier(const ProbeObjects& o) {
    VkSemaphoreGetFdInfoKHR get{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
    get.semaphore = o.carrier;
    get.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    Exported out;
    out.result = o.next.GetSemaphoreFdKHR(o.device, &get, &out.fd);
    return out;
}

}  // namespace

const char* to_string(SyncFdExport behaviour) {
    switch (behaviour) {
        case SyncFdExport::deferred:
            return "deferred";
        case SyncFdExport::blocking:
            return "blocking";
        case SyncFdExport::unknown:
            break;
    }
    return "unknown";
}

ExportProbe probe_sync_fd_export(const dispatch::DeviceTable& next, VkDevice device, VkQueue queue,
                                 uint32_t family, PFN_vkSetDeviceLoaderData set_loader_data,
                                 std::chrono::milliseconds blocking_threshold) {
    ExportProbe probe;
    ProbeObjects objects(next, device);
    if (VkResult r = create_objects(objects, family, set_loader_data); r != VK_SUCCESS) {
        probe.detail = "could not create the probe's objects (VkResult " + std::to_string(r) + ")";
        return probe;
    }
    if (VkResult r = submit_stalled_batch(objects, queue); r != VK_SUCCESS) {
        probe.detail = "could not submit the probe's batch (VkResult " + std::to_string(r) + ")";
        return probe;
    }
    const auto start = std::chrono::steady_clock::now();
    // The export runs on a thread of its own: a blocking driver returns only after the event.
    std::packaged_task<Exported()> task([&objects] { return export_carrier(objects); });
    std::future<Exported> exported = task.get_future();
    std::thread exporter;
    if (const int failed = util::start_thread(
            "sb-export-probe", [&task] { task(); }, &exporter);
        failed != 0) {
        // The batch is released and drained by ~ProbeObjects; the device is set up without
        // knowing how its export behaves (as when the probe's objects cannot be made).
        probe.detail = "could not start the probe's thread: " +
                       kernel::Error{failed, "pthread_create"}.describe();
        return probe;
    }
    const bool returned_early = exported.wait_for(blocking_threshold) == std::future_status::ready;
    (void)next.SetEvent(device, objects.event);
    exporter.join();
    const Exported result = exported.get();
    probe.export_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    const kernel::SyncFile sync_file{kernel::UniqueFd(result.fd)};
    if (result.result != VK_SUCCESS) {
        probe.detail =
            "vkGetSemaphoreFdKHR(SYNC_FD) failed (VkResult " + std::to_string(result.result) + ")";
        return probe;
    }
    probe.behaviour = returned_early ? SyncFdExport::deferred : SyncFdExport::blocking;
    probe.detail = returned_early ? "vkGetSemaphoreFdKHR returned while the GPU waited"
                                  : "vkGetSemaphoreFdKHR did not return within " +
                                        std::to_string(blocking_threshold.count()) +
                                        " ms while the GPU waited: it waits for the work";
    return probe;
}

}  // namespace sb::bridge
