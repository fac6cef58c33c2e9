// Foreign transfers recorded into command buffers (submit/transfer_log.hpp): release and acquire
// barriers to and from VK_QUEUE_FAMILY_FOREIGN_EXT / EXTERNAL on resources in dma-buf memory,
// and the command buffer lifetimes that end their records. vkCmdWaitEvents(2) are not here: the
// spec forbids ownership transfers in them. Only devices with DeviceData::transfers get these
// intercepts; they forward for every other device.
#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "submit/device_transfers.hpp"

namespace sb::api {
namespace {

// Records the barriers that transfer a resource in dma-buf memory. Barriers that transfer
// nothing, the usual case, cost a comparison each and no lookup.
template <typename BufferBarrier, typename ImageBarrier>
void note_transfers(submit::DeviceTransfers& transfers, VkCommandBuffer commands,
                    uint32_t buffer_count, const BufferBarrier* buffers, uint32_t image_count,
                    const ImageBarrier* images) {
    for (uint32_t i = 0; i < buffer_count; ++i) {
        const auto direction = submit::classify_transfer(buffers[i].srcQueueFamilyIndex,
                                                         buffers[i].dstQueueFamilyIndex);
        if (direction == submit::ForeignTransfer::none || transfers.memory.empty()) {
            continue;
        }
        if (auto dma_buf = transfers.memory.buffer_memory(buffers[i].buffer)) {
            transfers.log.record(commands, {std::move(dma_buf), direction});
        }
    }
    for (uint32_t i = 0; i < image_count; ++i) {
        const auto direction =
            submit::classify_transfer(images[i].srcQueueFamilyIndex, images[i].dstQueueFamilyIndex);
        if (direction == submit::ForeignTransfer::none || transfers.memory.empty()) {
            continue;
        }
        if (auto dma_buf = transfers.memory.image_memory(images[i].image)) {
            transfers.log.record(commands, {std::move(dma_buf), direction});
        }
    }
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL AllocateCommandBuffers(VkDevice device,
                                                      const VkCommandBufferAllocateInfo* info,
                                                      VkCommandBuffer* buffers) {
    DeviceData* dev = device_data(device);
    const VkResult r = dev->next.AllocateCommandBuffers(device, info, buffers);
    if (r == VK_SUCCESS && dev->transfers) {
        dev->transfers->log.allocated(info->commandPool, buffers, info->commandBufferCount);
    }
    return r;
}

VKAPI_ATTR void VKAPI_CALL FreeCommandBuffers(VkDevice device, VkCommandPool pool, uint32_t count,
                                              const VkCommandBuffer* buffers) {
    DeviceData* dev = device_data(device);
    if (dev->transfers) {
        dev->transfers->log.freed(buffers, count);
    }
    dev->next.FreeCommandBuffers(device, pool, count, buffers);
}

VKAPI_ATTR VkResult VKAPI_CALL ResetCommandPool(VkDevice device, VkCommandPool pool,
                                                VkCommandPoolResetFlags flags) {
    DeviceData* dev = device_data(device);
    if (dev->transfers) {
        dev->transfers->log.pool_reset(pool);
    }
    return dev->next.ResetCommandPool(device, pool, flags);
}

VKAPI_ATTR void VKAPI_CALL DestroyCommandPool(VkDevice device, VkCommandPool pool,
                                              const VkAllocationCallbacks* alloc) {
    DeviceData* dev = device_data(device);
    if (dev->transfers && pool != VK_NULL_HANDLE) {
        dev->transfers->log.pool_destroyed(pool);
    }
    dev->next.DestroyCommandPool(device, pool, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL BeginCommandBuffer(VkCommandBuffer commands,
                                                  const VkCommandBufferBeginInfo* info) {
    DeviceData* dev = device_data(commands);
    if (dev->transfers) {
        dev->transfers->log.reset(commands);  // beginning resets a recorded buffer
    }
    return dev->next.BeginCommandBuffer(commands, info);
}

VKAPI_ATTR VkResult VKAPI_CALL ResetCommandBuffer(VkCommandBuffer commands,
                                                  VkCommandBufferResetFlags flags) {
    DeviceData* dev = device_data(commands);
    if (dev->transfers) {
        dev->transfers->log.reset(commands);
    }
    return dev->next.ResetCommandBuffer(commands, flags);
}

VKAPI_ATTR void VKAPI_CALL CmdPipelineBarrier(
    VkCommandBuffer commands, VkPipelineStageFlags src_stages, VkPipelineStageFlags dst_stages,
    VkDependencyFlags flags, uint32_t memory_count, const VkMemoryBarrier* memory,
    uint32_t buffer_count, const VkBufferMemoryBarrier* buffers, uint32_t image_count,
    const VkImageMemoryBarrier* images) {
    DeviceData* dev = device_data(commands);
    if (dev->transfers) {
        note_transfers(*dev->transfers, commands, buffer_count, buffers, image_count, images);
    }
    dev->next.CmdPipelineBarrier(commands, src_stages, dst_stages, flags, memory_count, memory,
                                 buffer_count, buffers, image_count, images);
}

VKAPI_ATTR void VKAPI_CALL CmdPipelineBarrier2(VkCommandBuffer commands,
                                               const VkDependencyInfo* dependency) {
    DeviceData* dev = device_data(commands);
    if (dev->transfers) {
        note_transfers(*dev->transfers, commands, dependency->bufferMemoryBarrierCount,
                       dependency->pBufferMemoryBarriers, dependency->imageMemoryBarrierCount,
                       dependency->pImageMemoryBarriers);
    }
    auto next = dev->next.CmdPipelineBarrier2 != nullptr ? dev->next.CmdPipelineBarrier2
                                                         : dev->next.CmdPipelineBarrier2KHR;
    next(commands, dependency);
}

VKAPI_ATTR void VKAPI_CALL CmdExecuteCommands(VkCommandBuffer commands, uint32_t count,
                                              const VkCommandBuffer* secondaries) {
    DeviceData* dev = device_data(commands);
    if (dev->transfers) {
        dev->transfers->log.executed(commands, secondaries, count);
    }
    dev->next.CmdExecuteCommands(commands, count, secondaries);
}

}  // namespace sb::api
