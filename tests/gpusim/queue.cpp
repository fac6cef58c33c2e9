#include "gpusim/queue.hpp"

#include <pthread.h>

#include <system_error>

#include "gpusim/log.hpp"
#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

// How often a thread blocked on something outside its control looks up to check for stop().
constexpr auto kSlice = std::chrono::milliseconds(100);
constexpr uint64_t kSliceNs = 100'000'000;

}  // namespace

SimQueue::~SimQueue() {
    stop();
}

VkResult SimQueue::start() {
    VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    const VkResult r =
        device_.next.CreateFence(device_.handle, &info, device_.alloc.get(), &internal_fence_);
    if (r != VK_SUCCESS) {
        return r;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        GPUSIM_LOG(error, "cannot start a queue thread: %s", e.what());
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    return VK_SUCCESS;
}

void SimQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    {
        // A thread waiting for another queue's progress sleeps on the device's condition.
        std::lock_guard lock(device_.sync.mutex);
    }
    device_.sync.progress.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    std::deque<QueueItem> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(items_);
    }
    if (!left.empty()) {
        GPUSIM_LOG(warn, "device destroyed with %zu submit(s) still queued: dropped", left.size());
    }
    for (auto& item : left) {
        retire(item, /*handed=*/false);
    }
    if (internal_fence_ != VK_NULL_HANDLE) {
        device_.next.DestroyFence(device_.handle, internal_fence_, device_.alloc.get());
        internal_fence_ = VK_NULL_HANDLE;
    }
}

void SimQueue::push(std::vector<QueueItem>& items) {
    {
        std::lock_guard lock(mutex_);
        for (auto& item : items) {
            items_.push_back(std::move(item));
        }
        pushed_ += items.size();
    }
    changed_.notify_all();
}

void SimQueue::wait_handed_off() {
    std::unique_lock lock(mutex_);
    const uint64_t target = pushed_;
    changed_.wait(lock, [&] { return handed_ >= target || stopping_.load(); });
}

void SimQueue::wait_retired() {
    std::unique_lock lock(mutex_);
    const uint64_t target = pushed_;
    changed_.wait(lock, [&] { return retired_ >= target || stopping_.load(); });
}

void SimQueue::run() {
    (void)pthread_setname_np(pthread_self(), "gpusim-queue");
    for (;;) {
        std::optional<QueueItem> item;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stopping_.load() || !items_.empty(); });
            if (stopping_) {
                return;
            }
            item.emplace(std::move(items_.front()));
            items_.pop_front();
        }
        wait_until_due(*item);
        wait_dependencies(*item);
        if (stopping_) {
            // stop() releases the rest of the queue; this one was already taken out of it.
            retire(*item, /*handed=*/false);
            return;
        }
        hand_off(*item);
        retire(*item, /*handed=*/true);
    }
}

void SimQueue::wait_until_due(const QueueItem& item) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, item.due, [&] { return stopping_.load(); });
}

void SimQueue::wait_dependencies(const QueueItem& item) {
    for (const auto& payload : item.wait_payloads) {
        while (!stopping_) {
            const VkResult r = wait_payload(*payload, Clock::now() + kSlice);
            if (r != VK_TIMEOUT) {
                break;
            }
        }
    }
    std::unique_lock lock(device_.sync.mutex);
    for (const auto& [semaphore, count] : item.wait_handed) {
        while (!stopping_ && semaphore->signals_handed < count) {
            device_.sync.progress.wait_for(lock, kSlice);
        }
    }
}

void SimQueue::hand_off(QueueItem& item) {
    VkResult r = VK_SUCCESS;
    {
        std::lock_guard lock(driver_mutex_);
        if (!item.batch) {
            r = device_.next.QueueSubmit(queue_, 0, nullptr, item.fence);
        } else if (item.api == QueueItem::Api::submit2) {
            auto submit2 = device_.next.QueueSubmit2 != nullptr ? device_.next.QueueSubmit2
                                                                : device_.next.QueueSubmit2KHR;
            r = submit2(queue_, 1, &item.batch->build_submit_info2(), item.fence);
        } else {
            r = device_.next.QueueSubmit(queue_, 1, &item.batch->build_submit_info(), item.fence);
        }
        // The empty submit's fence signals once everything before it on the queue has finished.
        if (r == VK_SUCCESS && !item.vgem_fences.empty()) {
            r = device_.next.QueueSubmit(queue_, 0, nullptr, internal_fence_);
        }
    }
    if (r != VK_SUCCESS) {
        GPUSIM_LOG(error, "lavapipe refused a submit gpusim had accepted (VkResult %d)", r);
        device_.lost = true;
    }
    {
        std::lock_guard lock(device_.sync.mutex);
        for (const auto& semaphore : item.plain_signals) {
            ++semaphore->signals_handed;
        }
        item.plain_signals.clear();
        if (item.fence_state) {
            --item.fence_state->queued;
            item.fence_state.reset();
        }
    }
    device_.sync.progress.notify_all();
    {
        std::lock_guard lock(mutex_);
        ++handed_;
    }
    changed_.notify_all();
}

void SimQueue::wait_finished() {
    for (;;) {
        const VkResult r =
            device_.next.WaitForFences(device_.handle, 1, &internal_fence_, VK_TRUE, kSliceNs);
        if (r == VK_SUCCESS) {
            break;
        }
        if (r != VK_TIMEOUT) {
            GPUSIM_LOG(error, "waiting for lavapipe to finish a submit: VkResult %d", r);
            device_.lost = true;
            return;
        }
        if (stopping_) {
            return;
        }
    }
    (void)device_.next.ResetFences(device_.handle, 1, &internal_fence_);
}

void SimQueue::retire(QueueItem& item, bool handed) {
    if (!handed) {
        // Dropped without reaching lavapipe (the device is going away): release the counters
        // and the payloads as if it had, so that nobody waits for it forever.
        std::lock_guard lock(device_.sync.mutex);
        for (const auto& semaphore : item.plain_signals) {
            ++semaphore->signals_handed;
        }
        if (item.fence_state) {
            --item.fence_state->queued;
        }
    }
    if (!item.vgem_fences.empty()) {
        if (!stopping_ && !device_.lost) {
            wait_finished();
        }
        for (uint32_t id : item.vgem_fences) {
            if (auto st = device_.vgem->signal(id); !st) {
                GPUSIM_LOG(error, "signalling vgem fence %u: %s", id,
                           st.error().describe().c_str());
            }
        }
    }
    { std::lock_guard lock(device_.sync.mutex); }
    device_.sync.progress.notify_all();
    {
        std::lock_guard lock(mutex_);
        if (!handed) {
            ++handed_;
        }
        ++retired_;
    }
    changed_.notify_all();
}

}  // namespace sb::gpusim
