// Walking the loader's layer chain at vkCreateInstance / vkCreateDevice (loader-layer interface
// version 2): the loader passes each layer a link to the next one in the create info's pNext.
#pragma once

#include <vulkan/vk_layer.h>

#include <optional>

namespace sb::dispatch {

// The link info for this layer, or nullptr if the loader gave none (not called by a loader).
VkLayerInstanceCreateInfo* find_instance_link(const VkInstanceCreateInfo* info);
VkLayerDeviceCreateInfo* find_device_link(const VkDeviceCreateInfo* info);

// The loader's callback that makes a dispatchable object the layer obtained from below (a queue
// for the layer's own submits) callable through the loader, as if the app had obtained it.
PFN_vkSetDeviceLoaderData find_set_device_loader_data(const VkDeviceCreateInfo* info);

// The next layer's entry points for vkCreateInstance, from the loader's link. advance() moves
// the link on to the next layer; call it right before `create`, which reads the same chain.
struct NextInstanceLink {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    PFN_vkCreateInstance create;
    VkLayerInstanceCreateInfo* link;
    void advance() const { link->u.pLayerInfo = link->u.pLayerInfo->pNext; }
};
std::optional<NextInstanceLink> next_instance_link(const VkInstanceCreateInfo* info);

// The same for vkCreateDevice on `instance`.
struct NextDeviceLink {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    PFN_vkGetDeviceProcAddr get_device_proc_addr;
    PFN_vkCreateDevice create;
    VkLayerDeviceCreateInfo* link;
    void advance() const { link->u.pLayerInfo = link->u.pLayerInfo->pNext; }
};
std::optional<NextDeviceLink> next_device_link(const VkDeviceCreateInfo* info, VkInstance instance);

// Finds a structure of type `sType` in a const pNext chain.
const void* find_in_chain(const void* pnext, VkStructureType sType);

template <typename T>
const T* find_struct(const void* pnext, VkStructureType sType) {
    return static_cast<const T*>(find_in_chain(pnext, sType));
}

}  // namespace sb::dispatch
