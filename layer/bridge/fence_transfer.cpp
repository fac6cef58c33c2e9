#include "bridge/fence_transfer.hpp"

#include "util/fault.hpp"
#include "util/log.hpp"
#include "util/scratch_array.hpp"

namespace sb::bridge {
namespace {

// Vulkan takes ownership of an imported fd only on success: on failure the UniqueFd closes it.
VkResult import_into_semaphore(const dispatch::DeviceTable& next, VkDevice device,
                               kernel::UniqueFd fd, VkSemaphore semaphore) {
    VkImportSemaphoreFdInfoKHR info{VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR};
    info.semaphore = semaphore;
    info.flags = VK_SEMAPHORE_IMPORT_TEMPORARY_BIT;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    info.fd = fd.get();
    const auto fault = util::injected_fault(util::FaultSite::import_semaphore_fd);
    const VkResult r =
        fault ? static_cast<VkResult>(*fault) : next.ImportSemaphoreFdKHR(device, &info);
    if (r == VK_SUCCESS) {
        (void)fd.release();
    }
    return r;
}

VkResult import_into_fence(const dispatch::DeviceTable& next, VkDevice device, kernel::UniqueFd fd,
                           VkFence fence) {
    VkImportFenceFdInfoKHR info{VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR};
    info.fence = fence;
    info.flags = VK_FENCE_IMPORT_TEMPORARY_BIT;
    info.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
    info.fd = fd.get();
    const auto fault = util::injected_fault(util::FaultSite::import_fence_fd);
    const VkResult r = fault ? static_cast<VkResult>(*fault) : next.ImportFenceFdKHR(device, &info);
    if (r == VK_SUCCESS) {
        (void)fd.release();
    }
    return r;
}

}  // namespace

VkResult create_exportable_semaphore(const dispatch::DeviceTable& next, VkDevice device,
                                     VkSemaphore* semaphore, const VkAllocationCallbacks* alloc) {
    VkExportSemaphoreCreateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
    export_info.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    VkSemaphoreCreateInfo create{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    create.pNext = &export_info;
    return next.CreateSemaphore(device, &create, alloc, semaphore);
}

VkResult export_render_done(const dispatch::DeviceTable& next, VkDevice device, VkQueue queue,
                            const VkSemaphore* waits, uint32_t wait_count, VkSemaphore carrier,
                            kernel::SyncFile* render_done, bool* carrier_signalled) {
    bool ignored = false;
    bool& signalled = carrier_signalled != nullptr ? *carrier_signalled : ignored;
    signalled = false;
    // The semaphores are the app's render-done signals: wait for all of the work before them.
    // (A present rarely waits on more than a few; the small array avoids a heap allocation.)
    util::ScratchArray<VkPipelineStageFlags, 8> stages(wait_count);
    for (uint32_t i = 0; i < wait_count; ++i) {
        stages[i] = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = wait_count;
    submit.pWaitSemaphores = waits;
    submit.pWaitDstStageMask = stages.data();
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &carrier;
    if (VkResult r = next.QueueSubmit(queue, 1, &submit, VK_NULL_HANDLE); r != VK_SUCCESS) {
        return r;
    }
    signalled = true;
    VkSemaphoreGetFdInfoKHR get{VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR};
    get.semaphore = carrier;
    get.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    int fd = -1;
    const auto fault = util::injected_fault(util::FaultSite::get_semaphore_fd);
    if (VkResult r =
            fault ? static_cast<VkResult>(*fault) : next.GetSemaphoreFdKHR(device, &get, &fd);
        r != VK_SUCCESS) {
        return r;  // the carrier still holds the render-done: the caller must consume it
    }
    signalled = false;
    // -1 is a valid answer: the work had already completed.
    *render_done = kernel::SyncFile(kernel::UniqueFd(fd));
    return VK_SUCCESS;
}

VkResult import_sync_file(const dispatch::DeviceTable& next, VkDevice device,
                          kernel::SyncFile payload, VkSemaphore semaphore, VkFence fence,
                          Unimported* unimported) {
    Unimported ignored;
    Unimported& left = unimported != nullptr ? *unimported : ignored;
    left = Unimported{semaphore, fence};
    if (semaphore != VK_NULL_HANDLE) {
        // The fence needs the payload too: the semaphore gets a copy. A stub stays -1, which a
        // SYNC_FD import reads as "already signalled".
        kernel::UniqueFd fd;
        if (fence == VK_NULL_HANDLE) {
            fd = payload.take_fd();
        } else if (!payload.is_stub()) {
            auto copy = kernel::UniqueFd::duplicate(payload.fd());
            if (!copy) {
                SB_LOG_ONCE(error, "acquire: %s", copy.error().describe().c_str());
                return VK_ERROR_OUT_OF_HOST_MEMORY;
            }
            fd = std::move(copy).value();
        }
        if (VkResult r = import_into_semaphore(next, device, std::move(fd), semaphore);
            r != VK_SUCCESS) {
            return r;
        }
        left.semaphore = VK_NULL_HANDLE;
    }
    if (fence != VK_NULL_HANDLE) {
        if (VkResult r = import_into_fence(next, device, payload.take_fd(), fence);
            r != VK_SUCCESS) {
            return r;
        }
        left.fence = VK_NULL_HANDLE;
    }
    return VK_SUCCESS;
}

VkResult export_consumer_reads(const kernel::DmaBuf& buffer, kernel::SyncFile* reads) {
    // For write access: every fence in the buffer, readers' and writers' alike.
    const auto fault = util::injected_fault(util::FaultSite::export_sync_file);
    auto pending = fault ? kernel::Result<kernel::SyncFile>(
                               kernel::Error{*fault, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE"})
                         : buffer.export_sync_file(kernel::Access::write);
    if (!pending) {
        SB_LOG_ONCE(error, "acquire: %s", pending.error().describe().c_str());
        return pending.error().errnum == ENODEV ? VK_ERROR_SURFACE_LOST_KHR
                                                : VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    *reads = std::move(pending).value();
    return VK_SUCCESS;
}

VkResult import_consumer_reads(const dispatch::DeviceTable& next, VkDevice device,
                               const kernel::DmaBuf& buffer, VkSemaphore semaphore, VkFence fence) {
    kernel::SyncFile reads;
    if (VkResult r = export_consumer_reads(buffer, &reads); r != VK_SUCCESS) {
        return r;
    }
    return import_sync_file(next, device, std::move(reads), semaphore, fence);
}

}  // namespace sb::bridge
