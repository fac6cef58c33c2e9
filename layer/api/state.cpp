#include "api/state.hpp"

#include "util/log.hpp"
#include "util/switches.hpp"

namespace sb::api {

dispatch::ObjectMap<InstanceData>& instances() {
    static dispatch::ObjectMap<InstanceData> map;
    return map;
}

dispatch::ObjectMap<DeviceData>& devices() {
    static dispatch::ObjectMap<DeviceData> map;
    return map;
}

bridge::Mode requested_mode() {
    const char* text = util::switch_value(util::Switch::mode);
    if (auto mode = bridge::parse_mode(text)) {
        return *mode;
    }
    SB_LOG_ONCE(error, "SYNCBRIDGE_MODE=%s is not one of auto|import|wait|passthrough; using auto",
                text);
    return bridge::Mode::automatic;
}

const PhysicalDeviceInfo& InstanceData::physical_device_info(VkPhysicalDevice pd) {
    std::lock_guard lock(mutex_);
    auto it = physical_devices_.find(pd);
    if (it != physical_devices_.end()) {
        return it->second;
    }
    PhysicalDeviceInfo info;
    info.caps = bridge::probe_device_capabilities(next, pd);
    info.choice = bridge::choose_strategy(info.caps, bridge::kernel_support(), requested_mode());
    if (info.choice.override_refused) {
        SB_LOG(error, "%s: %s", info.caps.device_name.c_str(), info.choice.reason.c_str());
    }
    SB_LOG(info, "%s (%s): strategy %s: %s", info.caps.device_name.c_str(),
           info.caps.driver_name.c_str(), bridge::to_string(info.choice.strategy),
           info.choice.reason.c_str());
    return physical_devices_.emplace(pd, std::move(info)).first->second;
}

}  // namespace sb::api
