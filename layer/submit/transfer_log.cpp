#include "submit/transfer_log.hpp"

namespace sb::submit {

void TransferLog::update_count() {
    carrying_.store(records_.size(), std::memory_order_relaxed);
}

void TransferLog::allocated(VkCommandPool pool, const VkCommandBuffer* buffers, uint32_t count) {
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < count; ++i) {
        pools_[buffers[i]] = pool;
        // A handle the driver reuses starts with nothing.
        records_.erase(buffers[i]);
    }
    update_count();
}

void TransferLog::freed(const VkCommandBuffer* buffers, uint32_t count) {
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < count; ++i) {
        pools_.erase(buffers[i]);
        records_.erase(buffers[i]);
    }
    update_count();
}

void TransferLog::pool_reset(VkCommandPool pool) {
    if (empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    std::erase_if(records_, [&](const auto& entry) {
        auto it = pools_.find(entry.first);
        return it != pools_.end() && it->second == pool;
    });
    update_count();
}

void TransferLog::pool_destroyed(VkCommandPool pool) {
    std::lock_guard lock(mutex_);
    std::erase_if(pools_, [&](const auto& entry) {
        if (entry.second != pool) {
            return false;
        }
        records_.erase(entry.first);
        return true;
    });
    update_count();
}

void TransferLog::reset(VkCommandBuffer buffer) {
    if (empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    records_.erase(buffer);
    update_count();
}

void TransferLog::record(VkCommandBuffer buffer, Transfer transfer) {
    std::lock_guard lock(mutex_);
    records_[buffer].push_back(std::move(transfer));
    update_count();
}

void TransferLog::executed(VkCommandBuffer primary, const VkCommandBuffer* secondaries,
                           uint32_t count) {
    if (empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < count; ++i) {
        auto it = records_.find(secondaries[i]);
        if (it == records_.end()) {
            continue;
        }
        // Copied before the insert: records_[primary] may rehash the map.
        const std::vector<Transfer> carried = it->second;
        auto& into = records_[primary];
        into.insert(into.end(), carried.begin(), carried.end());
    }
    update_count();
}

void TransferLog::collect(VkCommandBuffer buffer, std::vector<Transfer>* acquires,
                          std::vector<Transfer>* releases) const {
    if (empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    auto it = records_.find(buffer);
    if (it == records_.end()) {
        return;
    }
    for (const Transfer& transfer : it->second) {
        (transfer.direction == ForeignTransfer::acquire ? acquires : releases)->push_back(transfer);
    }
}

}  // namespace sb::submit
