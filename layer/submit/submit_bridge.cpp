#include "submit/submit_bridge.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "bridge/fence_transfer.hpp"
#include "util/log.hpp"

namespace sb::submit {
namespace {

using namespace std::chrono_literals;

// Error paths wait on the CPU instead, with a deadline past vgem's and most GPUs' own timeouts.
constexpr auto kCpuWaitDeadline = 20s;
constexpr uint64_t kDrainTimeoutNs = 5'000'000'000;

// Every fence an acquirer may have to wait for, merged: the other side's writes, and its reads,
// since the app may write after the acquire.
kernel::Result<kernel::SyncFile> pending_foreign_work(const std::vector<Transfer>& acquires) {
    kernel::SyncFile merged;
    for (const Transfer& transfer : acquires) {
        // An idle buffer (the usual case: the other side finished long ago) adds nothing, and
        // one poll costs less than a sync_file made and closed.
        if (auto idle = transfer.buffer->wait_idle(kernel::Access::write, {});
            idle && *idle == kernel::WaitOutcome::ready) {
            continue;
        }
        auto fences = transfer.buffer->export_sync_file(kernel::Access::write);
        if (!fences) {
            return fences.error();
        }
        if (merged.is_stub()) {
            merged = std::move(fences).value();
            continue;
        }
        auto both = kernel::SyncFile::merge(merged, *fences);
        if (!both) {
            return both.error();
        }
        merged = std::move(both).value();
    }
    return merged;
}

// The fallback when the GPU cannot be made to wait: the app's thread waits, so that the GPU at
// least never touches memory the other side still uses.
VkResult wait_idle_on_cpu(const std::vector<Transfer>& acquires) {
    for (const Transfer& transfer : acquires) {
        auto outcome = transfer.buffer->wait_idle(kernel::Access::write, kCpuWaitDeadline);
        if (!outcome || *outcome != kernel::WaitOutcome::ready) {
            SB_LOG_ONCE(error, "acquire from a foreign queue family: the dma-buf stayed busy");
            return VK_ERROR_DEVICE_LOST;
        }
    }
    return VK_SUCCESS;
}

}  // namespace

SubmitBridge::SubmitBridge(const dispatch::DeviceTable& next, VkDevice device,
                           PFN_vkSetDeviceLoaderData set_loader_data,
                           std::vector<QueueFamily> queues, TransferPaths paths)
    : next_(next),
      device_(device),
      set_loader_data_(set_loader_data),
      queues_(std::move(queues)),
      paths_(paths) {}

SubmitBridge::~SubmitBridge() {
    // The releaser first: it finishes the release it waits for and signals the rest (cancelled),
    // so no vgem fence outlives the device pending.
    releaser_.reset();
    for (const DeferredSlot& slot : deferred_) {
        next_.DestroyFence(device_, slot.fence, nullptr);
    }
    // vkDestroyDevice's caller has waited for the device to be idle; the drain is a safety net.
    for (const WaitSlot& slot : in_flight_) {
        (void)next_.WaitForFences(device_, 1, &slot.fence, VK_TRUE, kDrainTimeoutNs);
        destroy_slot(slot);
    }
    for (const WaitSlot& slot : idle_) {
        destroy_slot(slot);
    }
    for (const FamilyBarrier& barrier : barriers_) {
        next_.DestroyCommandPool(device_, barrier.pool, nullptr);  // frees its command buffer
    }
    if (release_carrier_ != VK_NULL_HANDLE) {
        next_.DestroySemaphore(device_, release_carrier_, nullptr);
    }
}

void SubmitBridge::destroy_slot(const WaitSlot& slot) {
    next_.DestroySemaphore(device_, slot.semaphore, nullptr);
    next_.DestroyFence(device_, slot.fence, nullptr);
}

VkResult SubmitBridge::take_slot(WaitSlot* slot) {
    while (!in_flight_.empty() &&
           next_.GetFenceStatus(device_, in_flight_.front().fence) == VK_SUCCESS) {
        const WaitSlot done = in_flight_.front();
        in_flight_.pop_front();
        if (next_.ResetFences(device_, 1, &done.fence) == VK_SUCCESS) {
            idle_.push_back(done);
        } else {
            destroy_slot(done);
        }
    }
    if (!idle_.empty()) {
        *slot = idle_.back();
        idle_.pop_back();
        return VK_SUCCESS;
    }
    VkSemaphoreCreateInfo semaphore_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    WaitSlot made;
    if (VkResult r = next_.CreateSemaphore(device_, &semaphore_info, nullptr, &made.semaphore);
        r != VK_SUCCESS) {
        return r;
    }
    if (VkResult r = next_.CreateFence(device_, &fence_info, nullptr, &made.fence);
        r != VK_SUCCESS) {
        next_.DestroySemaphore(device_, made.semaphore, nullptr);
        return r;
    }
    *slot = made;
    return VK_SUCCESS;
}

// A primary command buffer with one full pipeline barrier: executed right after the layer's
// semaphore wait, it makes every command later on the queue wait as well (a semaphore wait alone
// holds only its own batch).
VkResult SubmitBridge::record_barrier(uint32_t family, FamilyBarrier* barrier) {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.queueFamilyIndex = family;
    barrier->family = family;
    if (VkResult r = next_.CreateCommandPool(device_, &pool_info, nullptr, &barrier->pool);
        r != VK_SUCCESS) {
        return r;
    }
    VkCommandBufferAllocateInfo alloc_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc_info.commandPool = barrier->pool;
    alloc_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc_info.commandBufferCount = 1;
    VkResult r = next_.AllocateCommandBuffers(device_, &alloc_info, &barrier->commands);
    if (r == VK_SUCCESS) {
        // A dispatchable object the loader did not make: it needs the loader's dispatch pointer.
        r = set_loader_data_ != nullptr ? set_loader_data_(device_, barrier->commands)
                                        : VK_ERROR_INITIALIZATION_FAILED;
    }
    if (r == VK_SUCCESS) {
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        // Several queues of the family may run it at once.
        begin.flags = VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
        r = next_.BeginCommandBuffer(barrier->commands, &begin);
    }
    if (r == VK_SUCCESS) {
        VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        memory.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
        memory.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT;
        next_.CmdPipelineBarrier(barrier->commands, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                                 VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &memory, 0, nullptr, 0,
                                 nullptr);
        r = next_.EndCommandBuffer(barrier->commands);
    }
    if (r != VK_SUCCESS) {
        next_.DestroyCommandPool(device_, barrier->pool, nullptr);
    }
    return r;
}

VkResult SubmitBridge::barrier_commands(VkQueue queue, VkCommandBuffer* commands) {
    auto queue_it = std::find_if(queues_.begin(), queues_.end(),
                                 [&](const QueueFamily& q) { return q.queue == queue; });
    if (queue_it == queues_.end()) {
        return VK_ERROR_INITIALIZATION_FAILED;  // a queue the layer never saw (protected)
    }
    for (const FamilyBarrier& barrier : barriers_) {
        if (barrier.family == queue_it->family) {
            *commands = barrier.commands;
            return VK_SUCCESS;
        }
    }
    FamilyBarrier made;
    if (VkResult r = record_barrier(queue_it->family, &made); r != VK_SUCCESS) {
        return r;
    }
    barriers_.push_back(made);
    *commands = made.commands;
    return VK_SUCCESS;
}

VkResult SubmitBridge::wait_for_acquired(VkQueue queue, const std::vector<Transfer>& acquires) {
    if (!paths_.gpu_waits_for_acquires) {
        return wait_idle_on_cpu(
            acquires);  // returns at once for buffers the other side is done with
    }
    auto pending = pending_foreign_work(acquires);
    if (!pending) {
        SB_LOG_ONCE(error, "acquire from a foreign queue family: %s; waiting on the CPU",
                    pending.error().describe().c_str());
        return wait_idle_on_cpu(acquires);
    }
    if (pending->is_stub()) {
        return VK_SUCCESS;  // nothing pending: the other side is done with every buffer
    }
    std::lock_guard lock(mutex_);
    VkCommandBuffer barrier = VK_NULL_HANDLE;
    WaitSlot slot;
    VkResult r = barrier_commands(queue, &barrier);
    if (r == VK_SUCCESS) {
        r = take_slot(&slot);
    }
    if (r != VK_SUCCESS) {
        SB_LOG_ONCE(error,
                    "acquire from a foreign queue family: no barrier batch (%d); waiting "
                    "on the CPU",
                    r);
        return wait_idle_on_cpu(acquires);
    }
    r = bridge::import_sync_file(next_, device_, std::move(pending).value(), slot.semaphore,
                                 VK_NULL_HANDLE);
    if (r != VK_SUCCESS) {
        idle_.push_back(slot);  // a failed import leaves the semaphore as it was
        SB_LOG_ONCE(error,
                    "acquire from a foreign queue family: SYNC_FD import failed (%d); "
                    "waiting on the CPU",
                    r);
        return wait_idle_on_cpu(acquires);
    }
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = 1;
    submit.pWaitSemaphores = &slot.semaphore;
    submit.pWaitDstStageMask = &stage;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &barrier;
    r = next_.QueueSubmit(queue, 1, &submit, slot.fence);
    if (r != VK_SUCCESS) {
        destroy_slot(slot);  // its temporary payload was never consumed
        return r;
    }
    in_flight_.push_back(slot);
    return VK_SUCCESS;
}

VkResult SubmitBridge::fence_released(VkQueue queue, const std::vector<Transfer>& releases) {
    return paths_.export_releases ? export_release_fence(queue, releases)
                                  : defer_release_fence(queue, releases);
}

VkResult SubmitBridge::export_release_fence(VkQueue queue, const std::vector<Transfer>& releases) {
    kernel::SyncFile done;
    {
        std::lock_guard lock(mutex_);
        VkResult r = VK_SUCCESS;
        if (release_carrier_ == VK_NULL_HANDLE) {
            r = bridge::create_exportable_semaphore(next_, device_, &release_carrier_);
        }
        // A batch with no waits signals after everything before it on the queue: the app's
        // batches of this vkQueueSubmit included. Exporting leaves the carrier ready for reuse.
        if (r == VK_SUCCESS) {
            r = bridge::export_render_done(next_, device_, queue, nullptr, 0, release_carrier_,
                                           &done);
        }
        if (r == VK_ERROR_DEVICE_LOST) {
            return r;
        }
        if (r != VK_SUCCESS) {
            SB_LOG_ONCE(error,
                        "release to a foreign queue family: no SYNC_FD (%d); waiting for "
                        "the queue on the CPU",
                        r);
            return next_.QueueWaitIdle(queue);
        }
    }
    for (const Transfer& transfer : releases) {
        if (auto st = transfer.buffer->import_sync_file(done, kernel::Access::write); !st) {
            // Without the fence the other side would read early: the app's thread waits instead.
            SB_LOG_ONCE(error, "release to a foreign queue family: %s; waiting on the CPU",
                        st.error().describe().c_str());
            auto outcome = done.wait(kCpuWaitDeadline);
            return outcome && *outcome == kernel::WaitOutcome::ready ? VK_SUCCESS
                                                                     : VK_ERROR_DEVICE_LOST;
        }
    }
    return VK_SUCCESS;
}

// Looks once for what deferred releases need: vgem's fences and the layer's thread. Called with
// mutex_ held.
bool SubmitBridge::start_deferred_releases() {
    if (deferred_tried_) {
        return vgem_.has_value() && releaser_ != nullptr;
    }
    deferred_tried_ = true;
    auto vgem = kernel::Vgem::open();
    if (!vgem) {
        SB_LOG_ONCE(warn,
                    "release to a foreign queue family: no fence the layer can signal (%s: is "
                    "the vgem module loaded?); the app's thread waits for the GPU at each release",
                    vgem.error().describe().c_str());
        return false;
    }
    auto releaser = std::make_unique<bridge::HandOverThread>(
        [this](uint32_t index, bridge::HandOverOutcome outcome) {
            finish_deferred(index, outcome);
        },
        std::chrono::duration_cast<std::chrono::nanoseconds>(kCpuWaitDeadline));
    if (releaser->start_error() != 0) {
        SB_LOG_ONCE(error,
                    "release to a foreign queue family: the layer's thread did not start (errno "
                    "%d); the app's thread waits for the GPU at each release",
                    releaser->start_error());
        return false;
    }
    vgem_.emplace(std::move(vgem).value());
    releaser_ = std::move(releaser);
    return true;
}

VkResult SubmitBridge::take_deferred_slot(uint32_t* index) {
    for (uint32_t i = 0; i < deferred_.size(); ++i) {
        if (!deferred_[i].busy) {
            *index = i;
            deferred_[i].busy = true;
            return VK_SUCCESS;
        }
    }
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    DeferredSlot made;
    if (VkResult r = next_.CreateFence(device_, &fence_info, nullptr, &made.fence);
        r != VK_SUCCESS) {
        return r;
    }
    made.busy = true;
    deferred_.push_back(made);
    *index = static_cast<uint32_t>(deferred_.size() - 1);
    return VK_SUCCESS;
}

VkResult SubmitBridge::wait_on_app_thread(VkFence fence) {
    const auto deadline = std::chrono::duration_cast<std::chrono::nanoseconds>(kCpuWaitDeadline);
    VkResult r = next_.WaitForFences(device_, 1, &fence, VK_TRUE, deadline.count());
    return r == VK_TIMEOUT ? VK_ERROR_DEVICE_LOST : r;
}

VkResult SubmitBridge::defer_release_fence(VkQueue queue, const std::vector<Transfer>& releases) {
    uint32_t index = 0;
    VkFence fence = VK_NULL_HANDLE;
    {
        std::lock_guard lock(mutex_);
        const bool deferrable = start_deferred_releases();
        if (VkResult r = take_deferred_slot(&index); r != VK_SUCCESS) {
            SB_LOG_ONCE(error,
                        "release to a foreign queue family: no fence (%d); waiting for "
                        "the queue on the CPU",
                        r);
            return next_.QueueWaitIdle(queue);
        }
        DeferredSlot& slot = deferred_[index];
        fence = slot.fence;
        // An empty batch signals its fence once everything before it on the queue is done: the
        // app's batches of this submit included.
        if (VkResult r = next_.QueueSubmit(queue, 0, nullptr, fence); r != VK_SUCCESS) {
            slot.busy = false;  // never submitted: still unsignalled, ready for reuse
            return r;
        }
        auto pending = deferrable
                           ? vgem_->pending_sync_file()
                           : kernel::Result<kernel::PendingFence>(kernel::Error{ENODEV, "no vgem"});
        bool fenced = static_cast<bool>(pending);
        for (const Transfer& transfer : releases) {
            if (!fenced) {
                break;
            }
            if (auto st = transfer.buffer->import_sync_file(pending->file, kernel::Access::write);
                !st) {
                SB_LOG_ONCE(error,
                            "release to a foreign queue family: %s; the app's thread "
                            "waits for the GPU instead",
                            st.error().describe().c_str());
                fenced = false;
            }
        }
        if (!fenced) {
            if (deferrable && !pending) {
                SB_LOG_ONCE(error,
                            "release to a foreign queue family: no vgem fence (%s); the "
                            "app's thread waits for the GPU instead",
                            pending.error().describe().c_str());
            }
            VkResult r = wait_on_app_thread(fence);
            if (pending) {
                (void)vgem_->signal(pending->fence_id);  // some buffers may hold it already
            }
            if (r == VK_SUCCESS) {
                (void)next_.ResetFences(device_, 1, &fence);
                slot.busy = false;
            }
            return r;
        }
        slot.vgem_fence = pending->fence_id;
    }
    // Outside mutex_: the thread takes it in finish_deferred.
    releaser_->enqueue(
        index,
        [this, fence](std::chrono::nanoseconds timeout) -> kernel::Result<kernel::WaitOutcome> {
            VkFence waited = fence;
            VkResult r = next_.WaitForFences(device_, 1, &waited, VK_TRUE,
                                             static_cast<uint64_t>(timeout.count()));
            if (r == VK_SUCCESS) {
                return kernel::WaitOutcome::ready;
            }
            if (r == VK_TIMEOUT) {
                return kernel::WaitOutcome::timed_out;
            }
            return kernel::Error{EIO, "vkWaitForFences (deferred release)"};
        });
    return VK_SUCCESS;
}

// On the releaser thread: the app's batches are done (or will never be: the fence is signalled
// regardless, so that the other side is not left waiting for vgem's timeout).
void SubmitBridge::finish_deferred(uint32_t index, bridge::HandOverOutcome outcome) {
    std::lock_guard lock(mutex_);
    DeferredSlot& slot = deferred_[index];
    if (outcome != bridge::HandOverOutcome::ready &&
        outcome != bridge::HandOverOutcome::cancelled) {
        SB_LOG_ONCE(error,
                    "release to a foreign queue family: the GPU did not finish (%s); "
                    "releasing the buffer anyway",
                    outcome == bridge::HandOverOutcome::timed_out ? "timed out" : "device lost");
    }
    if (auto st = vgem_->signal(slot.vgem_fence); !st) {
        SB_LOG_ONCE(error, "release to a foreign queue family: %s", st.error().describe().c_str());
    }
    // A cancelled wait (the device is going) leaves the fence as it is: it is destroyed next.
    if (outcome == bridge::HandOverOutcome::ready &&
        next_.ResetFences(device_, 1, &slot.fence) == VK_SUCCESS) {
        slot.busy = false;
    }
}

}  // namespace sb::submit
