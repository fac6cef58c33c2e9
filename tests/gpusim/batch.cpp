#include "gpusim/batch.hpp"

#include "dispatch/chain.hpp"

namespace sb::gpusim {
namespace {

// The structures whose arrays run parallel to the semaphore lists: rebuilt, never copied.
constexpr VkStructureType kTimeline = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO;
constexpr VkStructureType kGroup = VK_STRUCTURE_TYPE_DEVICE_GROUP_SUBMIT_INFO;

uint64_t at(const uint64_t* values, uint32_t count, uint32_t i) {
    return values != nullptr && i < count ? values[i] : 0;
}
uint32_t at(const uint32_t* values, uint32_t count, uint32_t i) {
    return values != nullptr && i < count ? values[i] : 0;
}

}  // namespace

bool Batch::copy_from(const VkSubmitInfo& info) {
    const auto* timeline =
        dispatch::find_struct<VkTimelineSemaphoreSubmitInfo>(info.pNext, kTimeline);
    const auto* group = dispatch::find_struct<VkDeviceGroupSubmitInfo>(info.pNext, kGroup);
    had_timeline_info_ = timeline != nullptr;
    had_device_group_info_ = group != nullptr;
    const VkTimelineSemaphoreSubmitInfo no_timeline{kTimeline};
    const VkDeviceGroupSubmitInfo no_group{kGroup};
    if (timeline == nullptr) {
        timeline = &no_timeline;
    }
    if (group == nullptr) {
        group = &no_group;
    }
    waits.clear();
    for (uint32_t i = 0; i < info.waitSemaphoreCount; ++i) {
        waits.push_back({info.pWaitSemaphores[i],
                         at(timeline->pWaitSemaphoreValues, timeline->waitSemaphoreValueCount, i),
                         info.pWaitDstStageMask[i],
                         at(group->pWaitSemaphoreDeviceIndices, group->waitSemaphoreCount, i)});
    }
    signals.clear();
    for (uint32_t i = 0; i < info.signalSemaphoreCount; ++i) {
        signals.push_back(
            {info.pSignalSemaphores[i],
             at(timeline->pSignalSemaphoreValues, timeline->signalSemaphoreValueCount, i), 0,
             at(group->pSignalSemaphoreDeviceIndices, group->signalSemaphoreCount, i)});
    }
    command_buffers.clear();
    for (uint32_t i = 0; i < info.commandBufferCount; ++i) {
        command_buffers.push_back({info.pCommandBuffers[i], at(group->pCommandBufferDeviceMasks,
                                                               group->commandBufferCount, i)});
    }
    return rest_.copy(info.pNext, {kTimeline, kGroup});
}

bool Batch::copy_from(const VkSubmitInfo2& info) {
    flags_ = info.flags;
    waits.clear();
    for (uint32_t i = 0; i < info.waitSemaphoreInfoCount; ++i) {
        const auto& s = info.pWaitSemaphoreInfos[i];
        waits.push_back({s.semaphore, s.value, s.stageMask, s.deviceIndex});
    }
    signals.clear();
    for (uint32_t i = 0; i < info.signalSemaphoreInfoCount; ++i) {
        const auto& s = info.pSignalSemaphoreInfos[i];
        signals.push_back({s.semaphore, s.value, s.stageMask, s.deviceIndex});
    }
    command_buffers.clear();
    for (uint32_t i = 0; i < info.commandBufferInfoCount; ++i) {
        const auto& c = info.pCommandBufferInfos[i];
        command_buffers.push_back({c.commandBuffer, c.deviceMask});
    }
    return rest_.copy(info.pNext);
}

bool Batch::copy_from(const VkBindSparseInfo& info) {
    const auto* timeline =
        dispatch::find_struct<VkTimelineSemaphoreSubmitInfo>(info.pNext, kTimeline);
    had_timeline_info_ = timeline != nullptr;
    const VkTimelineSemaphoreSubmitInfo no_timeline{kTimeline};
    if (timeline == nullptr) {
        timeline = &no_timeline;
    }
    waits.clear();
    for (uint32_t i = 0; i < info.waitSemaphoreCount; ++i) {
        // A sparse binding waits before it does anything at all.
        waits.push_back({info.pWaitSemaphores[i],
                         at(timeline->pWaitSemaphoreValues, timeline->waitSemaphoreValueCount, i),
                         VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0});
    }
    signals.clear();
    for (uint32_t i = 0; i < info.signalSemaphoreCount; ++i) {
        signals.push_back(
            {info.pSignalSemaphores[i],
             at(timeline->pSignalSemaphoreValues, timeline->signalSemaphoreValueCount, i), 0, 0});
    }
    command_buffers.clear();
    // VkDeviceGroupBindSparseInfo says where binds happen; there are none to place.
    return rest_.copy(nullptr);
}

const VkSubmitInfo& Batch::build_submit_info() {
    wait_semaphores_.clear();
    wait_stages_.clear();
    wait_values_.clear();
    wait_indices_.clear();
    for (const auto& op : waits) {
        wait_semaphores_.push_back(op.semaphore);
        // Came from a VkPipelineStageFlags (or is ALL_COMMANDS): fits.
        wait_stages_.push_back(static_cast<VkPipelineStageFlags>(op.stages));
        wait_values_.push_back(op.value);
        wait_indices_.push_back(op.device_index);
    }
    signal_semaphores_.clear();
    signal_values_.clear();
    signal_indices_.clear();
    for (const auto& op : signals) {
        signal_semaphores_.push_back(op.semaphore);
        signal_values_.push_back(op.value);
        signal_indices_.push_back(op.device_index);
    }
    command_buffer_handles_.clear();
    masks_.clear();
    for (const auto& op : command_buffers) {
        command_buffer_handles_.push_back(op.command_buffer);
        masks_.push_back(op.device_mask);
    }

    const void* next = rest_.head();
    if (had_timeline_info_) {
        timeline_ = {kTimeline};
        timeline_.pNext = next;
        timeline_.waitSemaphoreValueCount = static_cast<uint32_t>(wait_values_.size());
        timeline_.pWaitSemaphoreValues = wait_values_.data();
        timeline_.signalSemaphoreValueCount = static_cast<uint32_t>(signal_values_.size());
        timeline_.pSignalSemaphoreValues = signal_values_.data();
        next = &timeline_;
    }
    if (had_device_group_info_) {
        group_ = {kGroup};
        group_.pNext = next;
        group_.waitSemaphoreCount = static_cast<uint32_t>(wait_indices_.size());
        group_.pWaitSemaphoreDeviceIndices = wait_indices_.data();
        group_.commandBufferCount = static_cast<uint32_t>(masks_.size());
        group_.pCommandBufferDeviceMasks = masks_.data();
        group_.signalSemaphoreCount = static_cast<uint32_t>(signal_indices_.size());
        group_.pSignalSemaphoreDeviceIndices = signal_indices_.data();
        next = &group_;
    }
    info_ = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
    info_.pNext = next;
    info_.waitSemaphoreCount = static_cast<uint32_t>(wait_semaphores_.size());
    info_.pWaitSemaphores = wait_semaphores_.data();
    info_.pWaitDstStageMask = wait_stages_.data();
    info_.commandBufferCount = static_cast<uint32_t>(command_buffer_handles_.size());
    info_.pCommandBuffers = command_buffer_handles_.data();
    info_.signalSemaphoreCount = static_cast<uint32_t>(signal_semaphores_.size());
    info_.pSignalSemaphores = signal_semaphores_.data();
    return info_;
}

const VkSubmitInfo2& Batch::build_submit_info2() {
    auto semaphore_info = [](const SemaphoreOp& op) {
        VkSemaphoreSubmitInfo s{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
        s.semaphore = op.semaphore;
        s.value = op.value;
        s.stageMask = op.stages;
        s.deviceIndex = op.device_index;
        return s;
    };
    wait_infos_.clear();
    for (const auto& op : waits) {
        wait_infos_.push_back(semaphore_info(op));
    }
    signal_infos_.clear();
    for (const auto& op : signals) {
        signal_infos_.push_back(semaphore_info(op));
    }
    command_buffer_infos_.clear();
    for (const auto& op : command_buffers) {
        VkCommandBufferSubmitInfo c{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
        c.commandBuffer = op.command_buffer;
        c.deviceMask = op.device_mask;
        command_buffer_infos_.push_back(c);
    }
    info2_ = {VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    info2_.pNext = rest_.head();
    info2_.flags = flags_;
    info2_.waitSemaphoreInfoCount = static_cast<uint32_t>(wait_infos_.size());
    info2_.pWaitSemaphoreInfos = wait_infos_.data();
    info2_.commandBufferInfoCount = static_cast<uint32_t>(command_buffer_infos_.size());
    info2_.pCommandBufferInfos = command_buffer_infos_.data();
    info2_.signalSemaphoreInfoCount = static_cast<uint32_t>(signal_infos_.size());
    info2_.pSignalSemaphoreInfos = signal_infos_.data();
    return info2_;
}

}  // namespace sb::gpusim
