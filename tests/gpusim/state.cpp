#include "gpusim/state.hpp"

#include "gpusim/queue.hpp"

namespace sb::gpusim {

dispatch::ObjectMap<Instance>& instances() {
    static dispatch::ObjectMap<Instance> map;
    return map;
}

dispatch::ObjectMap<Device>& devices() {
    static dispatch::ObjectMap<Device> map;
    return map;
}

SimQueue* Device::queue(VkQueue handle) const {
    for (SimQueue* q : queues) {
        if (q->handle() == handle) {
            return q;
        }
    }
    return nullptr;
}

Clock::time_point Device::due_time() {
    auto delay = std::chrono::microseconds(uint64_t{config.latency_ms} * 1000);
    if (config.jitter_ms != 0) {
        std::lock_guard lock(jitter_mutex_);
        if (!jitter_) {
            jitter_.emplace(config.seed);
        }
        // Drawn straight from the engine, so that a seed gives the same delays everywhere.
        delay += std::chrono::microseconds((*jitter_)() % (uint64_t{config.jitter_ms} * 1000 + 1));
    }
    return Clock::now() + delay;
}

void MemoryTable::insert(VkDeviceMemory memory, std::shared_ptr<DmaBufMemory> record) {
    std::unique_lock lock(mutex_);
    map_[memory] = std::move(record);
}

std::shared_ptr<DmaBufMemory> MemoryTable::find(VkDeviceMemory memory) const {
    std::shared_lock lock(mutex_);
    auto it = map_.find(memory);
    return it != map_.end() ? it->second : nullptr;
}

std::shared_ptr<DmaBufMemory> MemoryTable::remove(VkDeviceMemory memory) {
    std::unique_lock lock(mutex_);
    auto it = map_.find(memory);
    if (it == map_.end()) {
        return nullptr;
    }
    auto record = std::move(it->second);
    map_.erase(it);
    return record;
}

size_t MemoryTable::size() const {
    std::shared_lock lock(mutex_);
    return map_.size();
}

}  // namespace sb::gpusim
