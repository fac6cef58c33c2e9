// gpusim's per-instance and per-device state, found from any dispatchable handle by its
// dispatch key (as in syncbridge's layer/api/state.hpp).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "dispatch/dispatch_table.hpp"
#include "dispatch/object_map.hpp"
#include "gpusim/config.hpp"
#include "gpusim/memory.hpp"
#include "gpusim/sync.hpp"
#include "support/vgem.hpp"
#include "util/host_alloc.hpp"

namespace sb::gpusim {

class SimQueue;

struct Instance {
    VkInstance handle = VK_NULL_HANDLE;
    dispatch::InstanceTable next;
    util::SavedAllocator alloc;
    Config config;
    Offer offer;
};

// The device extensions the app enabled that change what gpusim does.
struct EnabledExtensions {
    bool memory_fd = false;
    bool dma_buf = false;
    bool drm_format_modifier = false;
    bool semaphore_fd = false;
    bool fence_fd = false;
    bool memory_host = false;  // by the app itself (gpusim always enables it on lavapipe)
};

struct Device {
    VkDevice handle = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    Instance* instance = nullptr;
    dispatch::DeviceTable next;
    PFN_vkGetDeviceProcAddr next_get_device_proc_addr = nullptr;
    util::SavedAllocator alloc;
    Config config;
    Offer offer;
    EnabledExtensions enabled;
    VkDeviceSize host_pointer_alignment = 4096;  // minImportedHostPointerAlignment
    // vgem backs dma-buf memory and SYNC_FD payloads; absent when gpusim offers neither.
    std::optional<test::Vgem> vgem;

    SyncTable sync;
    MemoryTable memory;
    std::vector<SimQueue*> queues;  // owned; created at vkCreateDevice, one per VkQueue
    // Set when lavapipe failed a submit behind the app's back: later calls report it.
    std::atomic<bool> lost{false};
    std::atomic<uint64_t> submits{0};  // for GPUSIM_DEVICE_LOST_AFTER

    SimQueue* queue(VkQueue handle) const;
    // When a submit made now reaches lavapipe: the latency plus the jitter.
    Clock::time_point due_time();

  private:
    std::mutex jitter_mutex_;
    std::optional<std::mt19937_64> jitter_;
};

dispatch::ObjectMap<Instance>& instances();
dispatch::ObjectMap<Device>& devices();

inline Instance* instance_of(const void* handle) {
    return instances().find(dispatch::dispatch_key(handle));
}
inline Device* device_of(const void* handle) {
    return devices().find(dispatch::dispatch_key(handle));
}

}  // namespace sb::gpusim
