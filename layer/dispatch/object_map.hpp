// Per-object layer state, found by the object's dispatch key: the loader's dispatch-table
// pointer stored at the start of every dispatchable handle. An instance shares its key with its
// physical devices; a device with its queues and command buffers.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace sb::dispatch {

inline void* dispatch_key(const void* handle) {
    return *static_cast<void* const*>(handle);
}

// Maps keys to objects it does not own. Lookups take a shared lock: they happen on every
// intercepted call, from any thread; inserts and removals happen at create/destroy time only.
template <typename T>
class ObjectMap {
  public:
    void insert(const void* key, T* object) {
        std::unique_lock lock(mutex_);
        map_[key] = object;
    }
    [[nodiscard]] T* find(const void* key) const {
        std::shared_lock lock(mutex_);
        auto it = map_.find(key);
        return it != map_.end() ? it->second : nullptr;
    }
    T* remove(const void* key) {
        std::unique_lock lock(mutex_);
        auto it = map_.find(key);
        if (it == map_.end()) {
            return nullptr;
        }
        T* object = it->second;
        map_.erase(it);
        return object;
    }

  private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<const void*, T*> map_;
};

}  // namespace sb::dispatch
